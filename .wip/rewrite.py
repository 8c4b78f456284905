"""Move kracht's modules to the new layout and rewrite every import to kracht.<new>."""
import ast, re, subprocess, sys
from pathlib import Path

ROOT = Path(sys.argv[1])
ROOTS = {"workflow", "states", "storage", "notifications", "cli"}
MOVE = {
  "workflow.commands": "commands",
  "workflow.commands.common": "commands.options",
  "workflow.commands.directory": "commands.setup",
  "workflow.commands.applications": "commands.app",
  "workflow.commands.committee": "commands.assessment",
  "workflow.commands.money": "commands.steering",
  "workflow.commands.notices": "commands.messages",
  "workflow.commands.monitoring": "commands.follow_up",
  "workflow.commands.records": "commands.records",
  "workflow.render": "commands.display",
  "workflow.errors": "basics.errors",
  "workflow.roles": "basics.roles",
  "workflow.inputs": "basics.inputs",
  "workflow.money": "basics.euros",
  "workflow.codes": "basics.codes",
  "workflow.csv_safe": "basics.csv_safe",
  "workflow.files": "basics.files",
  "workflow.filters": "workflow.services.filters",
  "storage.committee": "storage.assessments",
  "storage.money": "storage.funds",
  "storage.monitoring": "storage.reporting",
  "storage.exports": "storage.extracts",
  "workflow.applications": "workflow.services.applications",
  "workflow.directory": "workflow.services.directory",
  "workflow.importer": "workflow.services.importer",
  "workflow.committee": "workflow.services.committee",
  "workflow.decisions": "workflow.services.decisions",
  "workflow.monitoring": "workflow.services.monitoring_plan",
  "workflow.progress_reports": "workflow.services.progress_reports",
  "workflow.monitor_views": "workflow.services.monitor_views",
  "workflow.notices": "workflow.services.notices",
  "workflow.auditing": "workflow.services.auditing",
  "workflow.exports": "workflow.services.exports",
  "workflow.trail": "workflow.services.trail",
  "workflow.programme_reports": "workflow.reports.documents",
  "workflow.report_render": "workflow.reports.layout",
  "workflow.charts": "workflow.reports.charts",
  "workflow.demo": "workflow.demo.build",
  "workflow.demo_data": "workflow.demo.data",
  "workflow.demo_monitoring": "workflow.demo.monitoring_year",
}
NEW_PACKAGES = ["commands", "basics", "workflow/services", "workflow/reports", "workflow/demo"]

def modules():
    found = {"cli"}
    for top in ROOTS - {"cli"}:
        for p in (ROOT / top).rglob("*.py"):
            rel = p.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            found.add(".".join(parts))
    return found

OLD = modules()

def new(old):
    return "kracht." + MOVE.get(old, old)

def split(dotted):
    parent, _, leaf = dotted.rpartition(".")
    return parent, leaf

def rewrite(path: Path):
    text = path.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    edits = []  # (start, end, replacement lines)
    renames = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] in ROOTS:
            groups = {}
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in OLD:
                    target = new(full)
                    parent, leaf = split(target)
                    bound = a.asname or a.name
                    if a.asname is None and leaf != a.name:
                        if re.search(rf"(?<![\w.]){leaf}(?!\w)", text):
                            groups.setdefault(parent, []).append(f"{leaf} as {a.name}")
                        else:
                            renames[a.name] = leaf
                            groups.setdefault(parent, []).append(leaf)
                    else:
                        groups.setdefault(parent, []).append(leaf if a.asname is None else f"{leaf} as {a.asname}")
                else:
                    target = new(node.module)
                    groups.setdefault(target, []).append(a.name if a.asname is None else f"{a.name} as {a.asname}")
            indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)
            trailing = ""
            last = lines[node.end_lineno - 1]
            m = re.search(r"#.*$", last)
            if m and node.lineno == node.end_lineno:
                trailing = "  " + m.group(0)
            repl = [f"{indent}from {mod} import {', '.join(names)}{trailing}\n" for mod, names in groups.items()]
            edits.append((node.lineno, node.end_lineno, repl))
        elif isinstance(node, ast.Import):
            if any(a.name.split(".")[0] in ROOTS for a in node.names):
                indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)
                last = lines[node.end_lineno - 1]
                m = re.search(r"#.*$", last)
                trailing = "  " + m.group(0) if m else ""
                names = []
                for a in node.names:
                    assert a.name in OLD, a.name
                    names.append(new(a.name))
                    if a.asname is None and new(a.name) != a.name:
                        renames[a.name] = new(a.name)
                edits.append((node.lineno, node.end_lineno, [f"{indent}import {', '.join(names)}{trailing}\n"]))
    for start, end, repl in sorted(edits, reverse=True):
        lines[start - 1:end] = repl
    out = "".join(lines)
    if renames:
        # rename usages outside the import lines: name. -> leaf.
        body = out.splitlines(keepends=True)
        for i, line in enumerate(body):
            if re.match(r"\s*(from|import) ", line):
                continue
            for old, leaf in renames.items():
                line = re.sub(rf"(?<![\w.]){re.escape(old)}\.", f"{leaf}.", line)
            body[i] = line
        out = "".join(body)
    if out != text:
        path.write_text(out)
        return renames
    return None

def git_mv():
    for pkg in NEW_PACKAGES:
        (ROOT / pkg).mkdir(parents=True, exist_ok=True)
    for old, target in MOVE.items():
        src = ROOT / (old.replace(".", "/") + ".py")
        if not src.exists():
            src = ROOT / old.replace(".", "/") / "__init__.py"
            dst = ROOT / target.replace(".", "/") / "__init__.py"
        else:
            dst = ROOT / (target.replace(".", "/") + ".py")
        if old == "workflow.demo":  # workflow/demo.py -> workflow/demo/build.py; package of the same name
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", str(src), str(dst)], cwd=ROOT, check=True)
    # workflow/demo.py can't coexist with workflow/demo/ : move via temp
    subprocess.run(["git", "mv", "workflow/demo.py", "workflow/demo_build_tmp.py"], cwd=ROOT, check=True)
    (ROOT / "workflow/demo").mkdir(exist_ok=True)
    subprocess.run(["git", "mv", "workflow/demo_build_tmp.py", "workflow/demo/build.py"], cwd=ROOT, check=True)
    subprocess.run(["git", "mv", "workflow/report_templates", "workflow/reports/templates"], cwd=ROOT, check=True)

if __name__ == "__main__":
    files = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and ".git" not in p.parts]
    for p in files:
        r = rewrite(p)
        if r:
            print(p.relative_to(ROOT), r)
    git_mv()
