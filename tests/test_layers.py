"""The layer contract (issue 13), read from the source with `ast`: which module may import which,
no import cycle, no old top-level names, and all SQL in storage/.

Every import counts: at module level, inside functions, under `if TYPE_CHECKING:`, in try blocks.
`from kracht.x import y` is an import of the module kracht.x.y where there is one (else of
kracht.x); relative imports are resolved against the importing module's package. A module is
named by its path in the repository (`workflow/engine.py`); distribution/__init__.py is the
package's own `kracht/__init__.py`.

The rules (their data follows this docstring):

- layer: LAYERS lists the package's parts, highest layer first; a module imports only modules of
  its own layer or of lower ones. RULES is the general form, one entry per part: the layers make
  the first entries, and a finer rule is one more entry (every entry whose part holds a module
  applies to it).
- engine: workflow/engine.py imports no module of workflow/services/ and no stage module of
  states/: only states/base.py and states/sections.py (and the states package itself).
- cycle: no import cycle. Every import a -> b between two modules of one strongly connected
  component of the import graph (all the imports above) is a violation, so a cycle shows as its
  imports, and breaking one only ever removes entries.
- bare-import: no .py file of the repository (package, tests, bench, hatch_build.py) imports a
  part by its old top-level name (`import workflow`, `from storage import audit`), nor names one
  in the dotted string given to `importlib.import_module`, `__import__`, `patch` or
  `monkeypatch.setattr`.
- All SQL in storage/. Outside storage/, a module of the package
  - sql-import: imports nothing of SQL_LIBRARIES (SQLAlchemy, SQLModel, Alembic, the database
    drivers) except SQL_IMPORTS_ALLOWED: the Session type, for annotations, and sqlalchemy.exc, the
    errors to catch. Everything else there builds or runs SQL (`select`, `col`, `func`, `text`,
    `update`, `import sqlalchemy as sa`, a driver's `connect`).
  - sql-call: calls no SESSION_METHODS method (those that run SQL or stage a write: `exec`,
    `execute`, `get`, `add`, `delete`, `flush`, ...) on a session: an expression whose last name is
    in SESSION_NAMES (`db`, kracht's one name for a session: `db: Session`, `with session(url) as
    db`, `unit.db`), or a name bound to one in its scope or an enclosing one: a parameter
    annotated `Session`, or `with`/`=` from a call of SESSION_OPENERS (`Session(...)`,
    `sqlite3.connect(...)`, `engine.begin()`).
  - sql-text: holds no string that reads as SQL (SQL_TEXT: upper-case `SELECT ... FROM`,
    `INSERT INTO`, `UPDATE x SET`, `DELETE FROM`, `CREATE/ALTER/DROP TABLE|INDEX|VIEW|TRIGGER`,
    `PRAGMA`).
  Not checked: SQL the ORM emits by itself (a lazy relationship, an expired attribute) and column
  expressions (`Application.state == "idea"`) built outside storage and passed in.

A violation is (rule, file, what): `what` is the imported module's path (layer, engine, cycle),
the name imported (bare-import, sql-import), `handle.method` (sql-call) or the text (sql-text).
KNOWN lists the violations of today's code: the suite fails on any other, and on an entry that no
longer occurs, so the list only shrinks. Each rule is shown to catch a violation planted in a
copy of the sources.
"""

from __future__ import annotations

import ast
import functools
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "kracht"
PACKAGE_INIT = "distribution/"  # its __init__.py is the package's: kracht/__init__.py

# The package's parts, highest layer first. A part is a path prefix: "commands/" is the folder.
LAYERS: list[tuple[str, ...]] = [
    ("cli.py", "__main__.py", "commands/", "web/"),  # the edges: the command line, the web
    ("workflow/",),  # the road, services/, reports/ and demo/
    ("notifications/",),
    ("states/",),
    ("basics/",),
    ("storage/",),
    ("distribution/",),  # kracht/__init__.py: imports nothing of kracht
]


@dataclass(frozen=True)
class Rule:
    """Modules under `part` import only modules under `may` (any, when None), and nothing under
    `never` unless it is also under `unless`."""

    name: str
    part: str
    may: tuple[str, ...] | None = None
    never: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


def layer_rules(layers: list[tuple[str, ...]]) -> list[Rule]:
    """One rule per part: it may import its own layer and those below."""
    return [
        Rule("layer", part, may=tuple(p for lower in layers[i:] for p in lower))
        for i, layer in enumerate(layers)
        for part in layer
    ]


RULES: list[Rule] = [
    *layer_rules(LAYERS),
    Rule(
        "engine",
        "workflow/engine.py",
        never=("workflow/services/", "states/"),
        unless=("states/__init__.py", "states/base.py", "states/sections.py"),
    ),
]

SQL_HOME = "storage/"
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic", "sqlite3", "psycopg", "psycopg2")
SQL_IMPORTS_ALLOWED = ("sqlmodel.Session", "sqlalchemy.orm.Session", "sqlalchemy.exc.")
SESSION_NAMES = ("db",)
SESSION_OPENERS = ("session", "Session", "connect", "begin")
SESSION_METHODS = (
    "add", "add_all", "begin", "begin_nested", "bulk_insert_mappings", "bulk_save_objects",
    "bulk_update_mappings", "commit", "connection", "delete", "exec", "exec_driver_sql",
    "execute", "executemany", "executescript", "flush", "get", "get_one", "merge", "query",
    "refresh", "rollback", "scalar", "scalars",
)  # fmt: skip
SQL_TEXT = re.compile(
    r"\s*(SELECT\s.*\bFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s"
    r"|(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER)\s|PRAGMA\s+\w)",
    re.DOTALL,
)
STRING_IMPORTERS = ("import_module", "__import__", "patch", "setattr")

Violation = tuple[str, str, str]  # (rule, file, what)

KNOWN: set[Violation] = set()  # every violation fixed: any new one fails the suite


# -- reading the sources ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: str  # in the repository, with forward slashes
    name: str  # the dotted module name
    tree: ast.Module
    imports: tuple[tuple[str, int], ...]  # (absolute dotted name, line) of every import


def under(path: str, part: str) -> bool:
    return path.startswith(part) if part.endswith("/") else path == part


def in_package(path: str) -> bool:
    return any(under(path, part) for layer in LAYERS for part in layer)


def python_files(root: Path) -> list[str]:
    """Every .py file of the repository but those in hidden folders, __pycache__ and build/."""
    found = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] == "build" or any(p.startswith(".") or p == "__pycache__" for p in parts):
            continue
        found.append("/".join(parts))
    return sorted(found)


def module_name(path: str) -> str:
    if in_package(path):
        parts = [PACKAGE, *path.removeprefix(PACKAGE_INIT).removesuffix(".py").split("/")]
    else:
        parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.Module, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of every import in `tree`: `from a import b` gives a.b."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                package = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{package}.{base}" if base else package
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def read_source(root: Path, path: str) -> Source:
    tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=path)
    name = module_name(path)
    return Source(path, name, tree, tuple(imports_of(tree, name, path.endswith("__init__.py"))))


def read_sources(root: Path) -> dict[str, Source]:
    return {path: read_source(root, path) for path in python_files(root)}


def import_graph(sources: dict[str, Source]) -> dict[str, set[str]]:
    """path -> paths of the package modules it imports (a name's longest module prefix)."""
    by_name = {s.name: s.path for s in sources.values() if in_package(s.path)}
    graph: dict[str, set[str]] = {path: set() for path in by_name.values()}
    for path in graph:
        for imported, _line in sources[path].imports:
            name = imported
            while name and name not in by_name:
                name = name.rpartition(".")[0]
            if name:
                graph[path].add(by_name[name])
    return graph


# -- the rules ----------------------------------------------------------------------------------


def breaks(rule: Rule, target: str) -> bool:
    if rule.may is not None and not any(under(target, part) for part in rule.may):
        return True
    return any(under(target, p) for p in rule.never) and not any(
        under(target, p) for p in rule.unless
    )


def rule_violations(graph: dict[str, set[str]], rules: list[Rule]) -> set[Violation]:
    return {
        (rule.name, importer, target)
        for importer, targets in graph.items()
        for rule in rules
        if under(importer, rule.part)
        for target in targets
        if breaks(rule, target)
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components (Tarjan) of two or more modules, or of
    one that imports itself; each sorted, and the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_violations(graph: dict[str, set[str]]) -> set[Violation]:
    return {
        ("cycle", a, b) for component in cycles(graph) for a in component for b in graph[a]
        if b in component
    }  # fmt: skip


def old_names() -> set[str]:
    """The parts' old top-level names: workflow, storage, cli, ..."""
    names = {part.removesuffix("/").removesuffix(".py") for layer in LAYERS for part in layer}
    return names - {"__main__"}


def bare_imports(sources: dict[str, Source]) -> set[Violation]:
    old = old_names()
    found = {
        ("bare-import", s.path, name)
        for s in sources.values()
        for name, _line in s.imports
        if name.split(".")[0] in old
    }
    for s in sources.values():
        for node in ast.walk(s.tree):
            text = string_import(node)
            if text is not None and text.split(".")[0] in old:
                found.add(("bare-import", s.path, text))
    return found


def string_import(node: ast.AST) -> str | None:
    """The dotted name a call imports by string (`import_module("a.b")`, `patch("a.b.c")`)."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    called = (
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    )
    first = node.args[0]
    if called not in STRING_IMPORTERS or not isinstance(first, ast.Constant):
        return None
    if not isinstance(first.value, str) or not re.fullmatch(r"[\w.]+", first.value):
        return None
    return first.value if "." in first.value or "import" in called else None


def sql_imports(source: Source) -> set[Violation]:
    def allowed(name: str) -> bool:
        return any(
            name == a or (a.endswith(".") and name.startswith(a)) for a in SQL_IMPORTS_ALLOWED
        )

    return {
        ("sql-import", source.path, name)
        for name, _line in source.imports
        if name.split(".")[0] in SQL_LIBRARIES and not allowed(name)
    }


def last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return last_name(node.func)
    return ""


def names_session(annotation: ast.AST | None) -> bool:
    if annotation is None:
        return False
    for node in ast.walk(annotation):
        if last_name(node) == "Session":
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.search(r"\bSession\b", node.value):
                return True
    return False


def opens_session(value: ast.AST | None) -> bool:
    return isinstance(value, ast.Call) and last_name(value.func) in SESSION_OPENERS


Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def in_scope(scope: Scope) -> Iterator[ast.AST]:
    """The nodes of `scope`, a nested function or lambda included but not its inside."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))


def session_bindings(scope: Scope) -> set[str]:
    """The names `scope` binds to a session: annotated parameters, `with`/`=` from an opener."""
    bound: set[str] = set()
    if not isinstance(scope, ast.Module):
        arguments = scope.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        bound |= {a.arg for a in every if names_session(a.annotation)}
    for node in in_scope(scope):
        if isinstance(node, ast.withitem) and opens_session(node.context_expr):
            bound |= {
                n.id for n in ast.walk(node.optional_vars or ast.Pass()) if isinstance(n, ast.Name)
            }
        elif isinstance(node, ast.Assign | ast.AnnAssign) and opens_session(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound |= {t.id for t in targets if isinstance(t, ast.Name)}
    return bound


def session_calls(scope: Scope, path: str, outer: frozenset[str] = frozenset()) -> set[Violation]:
    """Calls of SESSION_METHODS on a session in `scope` and the functions nested in it."""
    sessions = outer | session_bindings(scope)
    found: set[Violation] = set()
    for node in in_scope(scope):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found |= session_calls(node, path, sessions)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_METHODS
        ):
            handle = last_name(node.func.value)
            is_bound = isinstance(node.func.value, ast.Name) and handle in sessions
            if handle in SESSION_NAMES or is_bound:
                found.add(("sql-call", path, f"{handle}.{node.func.attr}"))
    return found


def sql_texts(source: Source) -> set[Violation]:
    return {
        ("sql-text", source.path, " ".join(node.value.split())[:60])
        for node in ast.walk(source.tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if SQL_TEXT.match(node.value)
    }


def sql_violations(sources: dict[str, Source]) -> set[Violation]:
    found: set[Violation] = set()
    for s in sources.values():
        if in_package(s.path) and not under(s.path, SQL_HOME):
            found |= sql_imports(s) | session_calls(s.tree, s.path) | sql_texts(s)
    return found


def violations(root: Path, rules: list[Rule] = RULES) -> set[Violation]:
    """Every violation of the contract in the sources under `root`."""
    sources = read_sources(root)
    graph = import_graph(sources)
    return (
        rule_violations(graph, rules)
        | cycle_violations(graph)
        | bare_imports(sources)
        | sql_violations(sources)
    )


def explain(found: set[Violation], root: Path = ROOT) -> str:
    lines = [f"  {rule}: {file} -> {what}" for rule, file, what in sorted(found)]
    if any(rule == "cycle" for rule, _, _ in found):
        lines += ["cycles:"] + [
            "  " + " <-> ".join(c) for c in cycles(import_graph(read_sources(root)))
        ]
    return "\n".join(lines)


@functools.cache
def found_today() -> frozenset[Violation]:
    return frozenset(violations(ROOT))


# -- the tests ----------------------------------------------------------------------------------


def test_every_package_module_is_in_exactly_one_layer() -> None:
    modules = [p for p in python_files(ROOT) if in_package(p)]
    layers = {
        p: [i for i, layer in enumerate(LAYERS) if any(under(p, x) for x in layer)] for p in modules
    }
    assert "workflow/engine.py" in layers
    assert {p: ls for p, ls in layers.items() if len(ls) != 1} == {}


def test_no_two_modules_of_the_package_share_a_name() -> None:
    """A module's name says what it holds wherever it is imported (packages' own __init__ apart)."""
    by_name: dict[str, list[str]] = {}
    for path in python_files(ROOT):
        if in_package(path) and not path.endswith("__init__.py"):
            by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    assert {n: ps for n, ps in by_name.items() if len(ps) > 1} == {}


def test_no_violation_beyond_the_known_ones() -> None:
    new = found_today() - KNOWN
    assert not new, "new violations of the layer contract:\n" + explain(set(new))


def test_every_known_violation_still_occurs() -> None:
    gone = KNOWN - found_today()
    assert not gone, "fixed: remove these from KNOWN in tests/test_layers.py:\n" + explain(gone)


ENGINE_LATER = (
    "\n\ndef _planted() -> object:\n    from {module} import {name}\n\n    return {name}\n"
)
TYPED_SESSION = (
    "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from sqlmodel import Session\n\n\n"
)

PLANTS: dict[str, tuple[dict[str, str], set[Violation]]] = {
    "storage imports workflow": (
        {
            "storage/planted.py": (
                "def later() -> None:\n    from kracht.workflow import definition\n"
            )
        },
        {("layer", "storage/planted.py", "workflow/definition.py")},
    ),
    "a relative import upwards": (
        {"states/planted.py": "from ..notifications import outbox\n"},
        {("layer", "states/planted.py", "notifications/outbox.py")},
    ),
    "a cycle": (
        {
            "basics/planted_a.py": "from kracht.basics import planted_b\n",
            "basics/planted_b.py": "def later() -> None:\n    import kracht.basics.planted_a\n",
        },
        {
            ("cycle", "basics/planted_a.py", "basics/planted_b.py"),
            ("cycle", "basics/planted_b.py", "basics/planted_a.py"),
        },
    ),
    "engine imports a service": (
        {
            "workflow/services/planted.py": '"""A service nobody else imports."""\n',
            "workflow/engine.py": ENGINE_LATER.format(
                module="kracht.workflow.services", name="planted"
            ),
        },
        {("engine", "workflow/engine.py", "workflow/services/planted.py")},
    ),
    "engine imports a stage": (
        {"workflow/engine.py": ENGINE_LATER.format(module="kracht.states", name="idea")},
        {("engine", "workflow/engine.py", "states/idea.py")},
    ),
    "a bare from-import": (
        {"bench/planted.py": "from workflow import engine\n"},
        {("bare-import", "bench/planted.py", "workflow.engine")},
    ),
    "a bare name patched": (
        {
            "tests/test_planted.py": (
                "def test_it(monkeypatch) -> None:\n"
                '    monkeypatch.setattr("storage.clock.now", None)\n'
            )
        },
        {("bare-import", "tests/test_planted.py", "storage.clock.now")},
    ),
    "a select in workflow": (
        {
            "workflow/planted.py": (
                "def newest(unit):\n"
                "    from kracht.storage.tables import Application\n"
                "    from sqlmodel import select\n\n"
                "    return select(Application)\n"
            )
        },
        {("sql-import", "workflow/planted.py", "sqlmodel.select")},
    ),
    "a write through the unit's session": (
        {"workflow/planted.py": "def keep(unit, record) -> None:\n    unit.db.add(record)\n"},
        {("sql-call", "workflow/planted.py", "db.add")},
    ),
    "a delete through a session parameter": (
        {
            "notifications/planted.py": TYPED_SESSION
            + "def drop(s: Session, row) -> None:\n    s.delete(row)\n"
        },
        {("sql-call", "notifications/planted.py", "s.delete")},
    ),
    "SQL text in a command": (
        {"commands/planted.py": 'QUERY = "SELECT id FROM application WHERE state = :state"\n'},
        {("sql-text", "commands/planted.py", "SELECT id FROM application WHERE state = :state")},
    ),
}


def plant(root: Path, files: dict[str, str], tmp_path: Path) -> Path:
    """A copy of every source under `root`, with `files` added (appended where they exist)."""
    copy = tmp_path / "repo"
    for path in python_files(root):
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / path, copy / path)
    for path, text in files.items():
        target = copy / path
        target.write_text((target.read_text() if target.exists() else "") + text)
    return copy


@pytest.mark.parametrize("case", list(PLANTS))
def test_each_rule_reports_exactly_its_planted_violation(case: str, tmp_path: Path) -> None:
    files, expected = PLANTS[case]
    after = violations(plant(ROOT, files, tmp_path))
    assert (after - found_today(), found_today() - after) == (expected, set())


def test_a_planted_cycle_is_reported_with_its_modules(tmp_path: Path) -> None:
    copy = plant(ROOT, PLANTS["a cycle"][0], tmp_path)
    assert ["basics/planted_a.py", "basics/planted_b.py"] in cycles(
        import_graph(read_sources(copy))
    )
    assert "basics/planted_a.py <-> basics/planted_b.py" in explain(set(PLANTS["a cycle"][1]), copy)


def test_a_finer_rule_is_one_more_entry(tmp_path: Path) -> None:
    """The lead's later rules inside workflow/: a part limited to what it may import."""
    copy = plant(ROOT, {}, tmp_path)
    finer = Rule("road", "workflow/definition.py", may=("states/", "basics/"))
    graph = import_graph(read_sources(copy))
    assert rule_violations(graph, [finer]) == {
        ("road", "workflow/definition.py", target)
        for target in graph["workflow/definition.py"]
        if not target.startswith(("states/", "basics/"))
    }
