"""`kracht --help` wall time, beside `python -c pass` on the same interpreter.

What it measures: whole-process wall time of `.venv/bin/kracht --help` and of
`.venv/bin/python -c pass`, started in turn (A B C A B C ...) after a warm-up, so drift on a
shared machine touches all alike; it prints median and min-max of each, the ratio of the
medians and the median of the per-turn ratios. For context it also times a command that opens
the database (`kracht app list --json` on an empty, migrated database), which must import
SQLModel and SQLAlchemy, and lists the heavy libraries the real `kracht --help` process
imports (read from `python -X importtime`; there should be none).

Before timing, it compiles kracht's own modules to bytecode (`python -m compileall`), as any
run after the first finds them: where PYTHONDONTWRITEBYTECODE is set and no `__pycache__`
exists, every start would compile `cli.py` and `commands/` again (about 10 ms).

Target: `kracht --help` takes at most 6x the time of `python -c pass` (ratio of the medians).

Run from the repository root:  .venv/bin/python bench/cli_startup.py [RUNS]   (default 30)

A whole-process timer run side by side gives the same comparison, e.g. with GNU time:
  /usr/bin/time -f %e .venv/bin/kracht --help   and   /usr/bin/time -f %e .venv/bin/python -c pass
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
KRACHT = str(Path(PYTHON).with_name("kracht"))
HEAVY = (
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "transitions",
    "apscheduler",
    "matplotlib",
    "icalendar",
    "psycopg",
    "pydantic",
)
TARGET = 6.0
LEADER = "leader@example.org"


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def alternate(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Run each command once to warm up, then `runs` times each, in turn."""
    for command in commands.values():
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    return times


def heavy_imports_of_help() -> list[str]:
    """The heavy libraries the real `kracht --help` process imports, from -X importtime."""
    found = subprocess.run(
        [PYTHON, "-X", "importtime", KRACHT, "--help"], check=True, capture_output=True, text=True
    )
    modules = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in found.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "cli" in modules, "the probe did not see kracht's own module being imported"
    return sorted(modules & set(HEAVY))


def database(tmp: str) -> list[str]:
    """A fresh migrated database with one programme leader; the command that lists it."""
    from kracht.storage.database import engine_for, migrate
    from kracht.workflow.services import directory
    from kracht.workflow.unit import Units

    url = f"sqlite:///{Path(tmp) / 'kracht.db'}"
    migrate(url)
    Units(url).run(
        None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"]
    )
    engine_for(url).dispose()
    return [KRACHT, "--db", str(Path(tmp) / "kracht.db"), "--as", LEADER, "app", "list", "--json"]


def compile_kracht() -> None:
    """Write kracht's bytecode caches, as a first run would (see the module docstring)."""
    root = Path(__file__).resolve().parent.parent
    sources = ["cli.py", "commands", "basics", "workflow", "storage", "notifications", "states"]
    subprocess.run([PYTHON, "-m", "compileall", "-q", *sources], cwd=root, check=True)


def main(runs: int) -> None:
    compile_kracht()
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "kracht --help": [KRACHT, "--help"],
            "kracht app list --json (empty db)": database(tmp),
        }
        times = alternate(commands, runs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = medians["python -c pass"]
    print(f"CLI start-up, whole process wall time, {runs} runs each in turn after a warm-up")
    for name, spent in times.items():
        print(f"  {name:<34} median {medians[name] * 1e3:6.1f} ms"
              f" ({min(spent) * 1e3:6.1f}-{max(spent) * 1e3:6.1f})"
              f"  {medians[name] / floor:5.1f}x python -c pass")  # fmt: skip
    heavy = heavy_imports_of_help()
    print(f"  heavy libraries imported by kracht --help: {', '.join(heavy) or 'none'}")
    pairs = [h / p for h, p in zip(times["kracht --help"], times["python -c pass"], strict=True)]
    print(f"  kracht --help / python -c pass, per turn: median {statistics.median(pairs):.2f}x"
          f" ({min(pairs):.2f}-{max(pairs):.2f})")  # fmt: skip
    ratio = medians["kracht --help"] / floor
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"  kracht --help / python -c pass = {ratio:.2f}x (medians)", end="")
    print(f"; target <= {TARGET:.0f}x: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
