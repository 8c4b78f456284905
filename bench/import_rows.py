"""`kracht app import`: rows per second at 1k and 10k rows (100k with --big), beside a floor, and
today's code against the code before the batched import, in the same run.

What it measures: a database is built with the real migrations (`storage.database.migrate`):
a programme leader, 500 organisations (20 of them with an applicant, who is notified too), a
programme with lines. Pipeline spreadsheets of 1k, 10k (and 100k) rows with varied titles,
organisations, amounts, lines, dates and descriptions are written once. Then, round after round
(3 by default), each size in turn, on a fresh copy of the database:
  - import: `workflow.services.importer.import_csv` in process, the function the command runs
    (read, check every row, write the applications, their audit events and messages, commit);
  - the floor: bare `sqlite3` inserting the very rows the import wrote (the applications, audit
    events and outbox messages, read back from the imported copy beforehand) with executemany
    in one transaction: what writing them costs without any checking, hashing or rendering;
  - the command: `kracht app import FILE` as a whole process, today's code and the code of
    commit BEFORE (9163025, the row-by-row import), each with its own tree on PYTHONPATH
    (BEFORE's tree is extracted with `git archive` and linked as build/dev does). The old code
    takes about 9 ms a row, so it runs at 10k once and at 1k every round, never at 100k.
Printed: the median with min-max, rows/s, the per-row time, the ratio to the floor, the per-row
ratio 10k vs 1k (and 100k vs 1k) for linearity, and before/after at 1k and 10k.

Targets: at 10k rows the command at least 10x faster than BEFORE's; in process, the time per
row at 10k (and 100k) at most 1.5x that at 1k (linear).

Run from the repository root:  .venv/bin/python bench/import_rows.py [ROUNDS] [--big]
(default 3; --big adds 100k rows, a few minutes more)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from kracht.storage.database import engine_for, migrate
from kracht.storage.tables import Organisation, Programme, ProgrammeLine
from kracht.workflow.services import directory
from kracht.workflow.services.importer import import_csv
from kracht.workflow.unit import Units

LEADER = "leader@example.org"
BEFORE = "9163025"
REPOSITORY = Path(__file__).resolve().parents[1]
PARTS = (
    "__main__.py",
    "cli.py",
    "commands",
    "basics",
    "workflow",
    "states",
    "storage",
    "notifications",
    "distribution/__init__.py",
    "distribution/py.typed",
)
ORGANISATIONS = 500
APPLICANTS = 20
NOW = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
TOPICS = ("Talent", "Hydrogen hub", "Smart industry", "Circular textiles", "Logistics lab")
TARGET_SPEED, TARGET_LINEAR = 10.0, 1.5
WRITTEN = ("application", "audit_event", "outbox_message")


def seed(url: str) -> None:
    """The leader, organisations (some with an applicant), a programme with lines."""
    migrate(url)
    units = Units(url)
    units.run(None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"])
    with engine_for(url).begin() as db:
        orgs = [
            dict(name=f"Organisation {n} Twente", o_type="business", created_at=NOW)
            for n in range(ORGANISATIONS)
        ]
        db.execute(insert(Organisation.__table__), orgs)  # type: ignore[attr-defined]
        db.execute(
            insert(Programme.__table__),  # type: ignore[attr-defined]
            [dict(id=1, code="avt-2018", name="Agenda voor Twente 2018-2022", not_applicable={})],
        )
        lines = [
            dict(id=n, programme_id=1, code=c, name=c.title())
            for n, c in enumerate(("talent", "circular", "digital"), 1)
        ]
        db.execute(insert(ProgrammeLine.__table__), lines)  # type: ignore[attr-defined]
    for n in range(APPLICANTS):
        units.run(
            LEADER,
            directory.add_person,
            name=f"Applicant {n}",
            roles=["applicant"],
            email=f"applicant{n}@example.org",
            organisation=f"Organisation {n} Twente",
        )
    engine_for(url).dispose()


def spreadsheet(path: Path, rows: int) -> Path:
    """A pipeline spreadsheet of `rows` rows."""
    rng = random.Random(rows)
    lines = ["title,programme,applicant,requested,line,submitted_on,description"]
    for n in range(rows):
        day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))
        lines.append(
            f"{rng.choice(TOPICS)} Twente {n},avt-2018,Organisation {rng.randrange(ORGANISATIONS)}"
            f' Twente,"{rng.randrange(1_000, 500_000)},{rng.randrange(100):02}",'
            f"{rng.choice(('talent', 'circular', 'digital', ''))},{day},"
            f"Students meet firms; partners co-finance project {n}."
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def old_tree(tmp: Path) -> Path:
    """BEFORE's sources, extracted, with a build/dev-style folder importable as kracht."""
    root = tmp / f"old{BEFORE}"
    root.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", BEFORE], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    package = root / "build" / "dev" / "kracht"
    package.mkdir(parents=True)
    for part in PARTS:
        (package / part.removeprefix("distribution/")).symlink_to(root / part)
    return root / "build" / "dev"


def command(tree: Path, db: Path, sheet: Path) -> float:
    """Wall seconds of one `kracht app import` process with `tree` first on PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-m", "kracht", "--db", str(db), "--as", LEADER, "app", "import"]
    start = time.perf_counter()
    done = subprocess.run([*argv, str(sheet)], env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported "), done.stdout
    return took


def in_process(db: Path, sheet: Path) -> float:
    url = f"sqlite:///{db}"
    start = time.perf_counter()
    Units(url).run(LEADER, import_csv, sheet)
    took = time.perf_counter() - start
    engine_for(url).dispose()
    return took


def written_rows(db: Path, template: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The rows an import added to each table it writes: (columns, rows)."""
    old = sqlite3.connect(template)
    new = sqlite3.connect(db)
    result = {}
    for table in WRITTEN:
        before = old.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0  # noqa: S608
        cursor = new.execute(f"SELECT * FROM {table} WHERE id > ?", (before,))  # noqa: S608
        result[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    old.close()
    new.close()
    return result


def floor(db: Path, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    """Bare sqlite3 inserting `rows` in one transaction, executemany per table."""
    connection = sqlite3.connect(db, isolation_level=None)
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for table, (columns, values) in rows.items():
        marks = ", ".join("?" * len(columns))
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            values,
        )
    connection.execute("COMMIT")
    took = time.perf_counter() - start
    connection.close()
    return took


def spread(values: list[float], scale: float = 1.0, fmt: str = ".0f") -> str:
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def main(rounds: int, big: bool) -> None:
    sizes = (1_000, 10_000, *((100_000,) if big else ()))
    new_tree = REPOSITORY / "build" / "dev"
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as name:
        tmp = Path(name)
        template = tmp / "template.db"
        seed(f"sqlite:///{template}")
        sheets = {size: spreadsheet(tmp / f"pipeline-{size}.csv", size) for size in sizes}
        before_tree = old_tree(tmp)

        def fresh() -> Path:
            copy = tmp / "run.db"
            shutil.copyfile(template, copy)
            return copy

        rows = {}
        for size in sizes:  # the rows each import writes, for the floor; and a warm-up
            db = fresh()
            in_process(db, sheets[size])
            rows[size] = written_rows(db, template)
        r: dict[int, dict[str, list[float]]] = {
            s: dict(process=[], floor=[], new=[], old=[]) for s in sizes
        }
        for round_ in range(rounds):
            for size in sizes:
                r[size]["process"].append(in_process(fresh(), sheets[size]))
                r[size]["floor"].append(floor(fresh(), rows[size]))
                r[size]["new"].append(command(new_tree, fresh(), sheets[size]))
                if size == 1_000 or (size == 10_000 and round_ == 0):
                    r[size]["old"].append(command(before_tree, fresh(), sheets[size]))
    m = {s: {k: statistics.median(v) for k, v in x.items() if v} for s, x in r.items()}
    print(
        f"kracht app import, {rounds} rounds; median (min-max); floor: bare sqlite3"
        " executemany of the rows the import wrote"
        " (applications, audit events, messages)"
    )
    print(
        f"  {'rows':>6}  {'in process, ms':>21}  {'rows/s':>7}  {'us/row':>6}  {'floor, ms':>17}"
        f"  {'x floor':>7}  {'command, ms':>21}  {BEFORE + ', ms':>21}"
        f"  {'before/after':>12}"
    )
    for size in sizes:
        x, y = r[size], m[size]
        old = f"{spread(x['old'], 1e3):>21}  {y['old'] / y['new']:11.1f}x" if x["old"] else ""
        print(
            f"  {size:6}  {spread(x['process'], 1e3):>21}  {size / y['process']:7.0f}"
            f"  {y['process'] / size * 1e6:6.0f}  {spread(x['floor'], 1e3, '.1f'):>17}"
            f"  {y['process'] / y['floor']:7.1f}  {spread(x['new'], 1e3):>21}  {old}"
        )
    per_row = {s: m[s]["process"] / s for s in sizes}
    linear = max(per_row[s] / per_row[1_000] for s in sizes[1:])
    for size in sizes[1:]:
        print(
            f"  per row, {size // 1000}k vs 1k: {per_row[size] / per_row[1_000]:.2f}x in process,"
            f" {(m[size]['new'] / size) / (m[1_000]['new'] / 1_000):.2f}x the command"
        )
    speed = m[10_000]["old"] / m[10_000]["new"]
    verdict = "PASS" if speed >= TARGET_SPEED else "MISS"
    print(
        f"  the command at 10k rows, {BEFORE} / today: {speed:.1f}x;"
        f" target >= {TARGET_SPEED:g}x: {verdict}"
    )
    verdict = "PASS" if linear <= TARGET_LINEAR else "MISS"
    print(
        f"  in process, per row at the largest vs 1k: {linear:.2f}x;"
        f" target linear (<= {TARGET_LINEAR}x): {verdict}"
    )


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a != "--big"]
    main(int(numbers[0]) if numbers else 3, "--big" in sys.argv[1:])
