"""`kracht --help` wall time, beside `python -c pass` on the same interpreter.

What it measures: whole-process wall time of `.venv/bin/kracht --help` and of
`.venv/bin/python -c pass`, started in turn (A B A B ...) after a warm-up, so drift on a shared
machine touches both alike; it prints min and median of each and the ratio of the medians. For
context it also times a command that opens the database (`kracht app list --json` on an empty,
migrated database), which must import SQLModel and SQLAlchemy, and checks which heavy libraries
`--help` imports (it should import none of them).

Target: `kracht --help` takes at most 6x the time of `python -c pass`.

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
HEAVY = ("sqlmodel", "sqlalchemy", "alembic", "jinja2", "transitions", "apscheduler", "matplotlib")
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
    """The heavy libraries loaded once `kracht --help` has run."""
    probe = (
        "import sys, contextlib, io, cli\n"
        "with contextlib.redirect_stdout(io.StringIO()): cli.main(['--help'])\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    found = subprocess.run([PYTHON, "-c", probe], check=True, capture_output=True, text=True)
    return found.stdout.split()


def database(tmp: str) -> list[str]:
    """A fresh migrated database with one programme leader; the command that lists it."""
    from storage.database import migrate
    from workflow import directory

    url = f"sqlite:///{Path(tmp) / 'kracht.db'}"
    migrate(url)
    directory.add_person(url, None, name="Leader", email=LEADER, roles=["programme_leader"])
    return [KRACHT, "--db", str(Path(tmp) / "kracht.db"), "--as", LEADER, "app", "list", "--json"]


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        commands = {
            "python -c pass": [PYTHON, "-c", "pass"],
            "kracht --help": [KRACHT, "--help"],
            "kracht app list --json (empty db)": database(tmp),
        }
        times = alternate(commands, runs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = medians["python -c pass"]
    print(f"CLI start-up, whole process wall time, {runs} runs each after a warm-up")
    for name, spent in times.items():
        print(f"  {name:<36} min {min(spent) * 1e3:6.1f} ms   median {medians[name] * 1e3:6.1f} ms"
              f"   {medians[name] / floor:5.1f}x python -c pass")  # fmt: skip
    heavy = heavy_imports_of_help()
    print(f"  heavy libraries imported by --help: {', '.join(heavy) or 'none'}")
    ratio = medians["kracht --help"] / floor
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"  kracht --help / python -c pass = {ratio:.2f}x (medians)", end="")
    print(f"; target <= {TARGET:.0f}x: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
