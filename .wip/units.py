"""Convert services f(url, actor_email, ...) to f(unit, ...), and their callers."""
import ast, re, sys
from pathlib import Path

ROOT = Path("/work/main")
SERVICE_DIRS = ["workflow", "notifications"]

def module_name(p: Path) -> str:
    rel = p.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return "kracht." + ".".join(parts)

def services_of(p: Path) -> set[str]:
    tree = ast.parse(p.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = [a.arg for a in node.args.args]
            if args[:2] == ["url", "actor_email"]:
                names.add(node.name)
            # decorated audits_refusals too (same signature)
    return names

SERVICES: dict[str, set[str]] = {}
for d in SERVICE_DIRS:
    for p in (ROOT / d).rglob("*.py"):
        s = services_of(p)
        if s:
            SERVICES[module_name(p)] = s
SERVICES.setdefault("kracht.workflow.engine", set()).update({"fire", "record", "write_with_audit"})

def convert_definitions(p: Path) -> None:
    text = p.read_text()
    if module_name(p) not in SERVICES or module_name(p) == "kracht.workflow.engine":
        return
    text = re.sub(r"(def \w+\()(\s*)url: str,(\s*)actor_email: str \| None", r"\1\2unit: Unit", text)
    text = text.replace("@engine.audits_refusals(", "@writes(")
    text = re.sub(r"resolve\(db, actor_email\)", "unit.actor", text)
    text = re.sub(r"\(\s*url,\s*actor_email\s*\)", "(unit)", text)
    text = re.sub(r"\(url, actor_email, ", "(unit, ", text)
    text = re.sub(r"\(\n(\s*)url,\n\s*actor_email,\n", r"(\n\1unit,\n", text)
    text = re.sub(r"def (change|action)\(db: Session, app: Application, actor: Actor\)( -> [^:]+)?:\n",
                  lambda m: f"def {m.group(1)}(unit: Unit, app: Application){m.group(2) or ''}:\n", text)
    lines = text.splitlines(keepends=True)
    out = []
    i = 0
    pending_db_line = {}  # index in out of 'def change' for db insertion
    while i < len(lines):
        line = lines[i]
        m = re.match(r"(\s*)with session\(url(, write=True)?\) as db:\s*\n", line)
        if m:
            indent = m.group(1)
            out.append(f"{indent}db = unit.db\n")
            i += 1
            inner = indent + "    "
            while i < len(lines) and (lines[i].startswith(inner) or lines[i].strip() == ""):
                l = lines[i]
                out.append(l[4:] if l.startswith(inner) else l)
                i += 1
            continue
        mm = re.match(r"(\s*)def (change|action)\(unit: Unit, app: Application\)", line)
        out.append(line)
        if mm:
            # find the end of the signature line (ends with ':')
            while not out[-1].rstrip().endswith(":"):
                i += 1
                out.append(lines[i])
            out.append(f"{mm.group(1)}    db, actor = unit.db, unit.actor\n")
        i += 1
    text = "".join(out)
    text = text.replace("clock.today()", "unit.clock.today()").replace("clock.now()", "unit.clock.now()")
    text = text.replace("unit.unit.clock", "unit.clock")
    if "from kracht.workflow.unit import" not in text:
        text = re.sub(r"(\nfrom kracht\.workflow[^\n]*\n|\nfrom kracht\.storage[^\n]*\n)", r"\1from kracht.workflow.unit import Unit, reads, writes\n", text, count=1)
    p.write_text(text)

def split_args(s: str, start: int):
    """From s[start] just after '(', return list of (arg_start, arg_end) for the first two args
    and the index after the second comma (or the closing paren)."""
    depth = 0; i = start; bounds = []; arg_start = start
    while i < len(s):
        c = s[i]
        if c in "([{": depth += 1
        elif c in ")]}":
            if depth == 0:
                bounds.append((arg_start, i)); return bounds, i
            depth -= 1
        elif c == "," and depth == 0:
            bounds.append((arg_start, i)); arg_start = i + 1
            if len(bounds) == 2: return bounds, i + 1
        elif c in "\"'":
            q = c; i += 1
            while s[i] != q:
                if s[i] == "\\": i += 1
                i += 1
        i += 1
    raise ValueError

def aliases(text: str) -> dict[str, tuple[str, str | None]]:
    """local name -> (module, function or None)"""
    found = {}
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kracht"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                local = a.asname or a.name
                if full in SERVICES:
                    found[local] = (full, None)
                elif node.module in SERVICES and a.name in SERVICES[node.module]:
                    found[local] = (node.module, a.name)
    return found

def convert_calls(p: Path, runner: str) -> int:
    """runner: 'cli' -> s.run(fn, ...); 'test' -> run(URL, ACTOR, fn, ...)."""
    text = p.read_text()
    names = aliases(text)
    if not names:
        return 0
    count = 0
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(\.(\w+))?\(")
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if not m:
            break
        local, fn = m.group(1), m.group(3)
        module, direct = names[local]
        ok = (direct is not None and fn is None) or (direct is None and fn in SERVICES[module])
        if not ok:
            pos = m.end(); continue
        callee = m.group(0)[:-1]
        try:
            bounds, after = split_args(text, m.end())
        except ValueError:
            pos = m.end(); continue
        if len(bounds) < 2:
            pos = m.end(); continue
        a0 = text[bounds[0][0]:bounds[0][1]].strip()
        a1 = text[bounds[1][0]:bounds[1][1]].strip()
        if runner == "cli":
            if not (a0 == "s.url()" and a1 == "s.actor") and not (a0.endswith("url()") and a1.endswith(".actor")):
                pos = m.end(); continue
            settings = a0[: -len(".url()")]
            head = f"{settings}.run({callee}"
        else:
            if "url" not in a0:
                pos = m.end(); continue
            head = f"run({a0}, {a1}, {callee}"
        rest = text[after:]
        if text[after - 1] == ")":  # the call had only the two args
            new = head + ")"
            text = text[:m.start()] + new + text[after:]
        else:
            ws = re.match(r"\s*", rest).group(0)
            new = head + ","
            text = text[:m.start()] + new + text[after:]
        count += 1
        pos = m.start() + len(new)
    p.write_text(text)
    return count

if __name__ == "__main__":
    for mod, names in sorted(SERVICES.items()):
        print(mod, sorted(names))
    if "--apply" in sys.argv:
        for d in SERVICE_DIRS:
            for p in (ROOT / d).rglob("*.py"):
                convert_definitions(p)
        for p in (ROOT / "commands").rglob("*.py"):
            print("cli", p.name, convert_calls(p, "cli"))
        for d in ("tests", "bench"):
            for p in (ROOT / d).rglob("*.py"):
                n = convert_calls(p, "test")
                if n: print("test", p.name, n)
        # services calling services in workflow (demo, importer...) keep (unit, ...)
