"""Lifecycle steps per second on SQLite, beside raw sqlite3 single-row transactions.

What it measures: every application takes four steps through the real engine, each one
transaction with its audit event: record the quickscan (`engine.record`), fire
`present_at_table` (its guard checks the quickscan and the line; its notifications go to the
outbox), record the innovation table's date and outcome, and fire `withdraw` (its guard checks
the reason). The floor, measured in the same run, is single-row INSERT transactions
(BEGIN IMMEDIATE, INSERT, COMMIT) through the bare `sqlite3` module on a file with kracht's
settings from storage/database.py: WAL, synchronous=NORMAL, foreign keys on, 30 s busy timeout.

Target: the engine reaches at least 10% of the raw rate.

Run from the repository root:  .venv/bin/python bench/lifecycle.py [APPLICATIONS]   (default 250)
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

from storage.database import BUSY_TIMEOUT_MS, engine_for, migrate
from workflow import applications, directory, engine

LEADER = "leader@example.org"
APPLICANT = "Stichting TalentIT Twente"
TARGET = 0.10
RAW_TRANSACTIONS = 20_000


def seed(url: str, count: int) -> list[int]:
    """The people, an applicant organisation, a 2018-style programme and `count` ideas."""
    migrate(url)
    directory.add_person(url, None, name="Leader", email=LEADER, roles=["programme_leader"])
    directory.add_org(url, LEADER, name=APPLICANT, o_type="education")
    for name, email, role, org in (
        ("Table Chair", "table.chair@example.org", "innovation_table_chair", None),
        ("Applicant", "applicant@talentit.example.org", "applicant", APPLICANT),
    ):  # present_at_table notifies both: its messages go to the outbox in the same transaction
        directory.add_person(url, LEADER, name=name, email=email, roles=[role], organisation=org)
    directory.add_programme(
        url,
        LEADER,
        code="avt-2018",
        name="Agenda voor Twente 2018-2022",
        lines=[("talent", "Arbeidsmarkt & talent")],
        not_applicable={"ecosystem_analysis": "no ecosystem analysis in the 2018-2022 process"},
    )
    fields = dict(programme="avt-2018", applicant=APPLICANT, requested="64389", line="talent")
    return [
        applications.create(url, LEADER, title=f"TalentIT Twente {n}", **fields)["id"]
        for n in range(count)
    ]


def steps(url: str) -> list[tuple[str, Callable[[int], object]]]:
    """The four steps every application takes, each (kind, action on an application id)."""
    table = {"table_date": "2018-09-17", "table_outcome": "aligned"}
    return [
        ("record", lambda a: engine.record(url, LEADER, a, "idea", {"quickscan": "promising"})),
        ("fire", lambda a: engine.fire(url, LEADER, a, "present_at_table")),
        ("record", lambda a: engine.record(url, LEADER, a, "innovation_table", table)),
        ("fire", lambda a: engine.fire(url, LEADER, a, "withdraw", reason="partners left")),
    ]


def run_lifecycle(url: str, app_ids: list[int]) -> dict[str, list[float]]:
    """Take every step on every application; the seconds each step took, by kind."""
    times: dict[str, list[float]] = {"record": [], "fire": []}
    for app_id in app_ids:
        for kind, action in steps(url):
            start = time.perf_counter()
            action(app_id)
            times[kind].append(time.perf_counter() - start)
    return times


def count_statements(url: str) -> list[int]:
    """A one-item list counting every SQL statement kracht sends from now on."""
    counter = [0]

    def count(*_: object) -> None:
        counter[0] += 1

    event.listen(engine_for(url), "before_cursor_execute", count)
    return counter


def raw_sqlite(path: Path, count: int) -> float:
    """Seconds for `count` single-row transactions through bare sqlite3, with kracht's pragmas."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " trigger TEXT, to_state TEXT, payload TEXT)"
    )
    insert = "INSERT INTO event (at, actor, trigger, to_state, payload) VALUES (?, ?, ?, ?, ?)"
    row = ("2018-09-17T10:00:00.000000+00:00", LEADER, "present_at_table", "innovation_table", "{}")
    start = time.perf_counter()
    for _ in range(count):
        db.execute("BEGIN IMMEDIATE")
        db.execute(insert, row)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'kracht.db'}"
        app_ids = seed(url, count)
        statements = count_statements(url)
        times = run_lifecycle(url, app_ids)
        raw_seconds = raw_sqlite(Path(tmp) / "raw.db", RAW_TRANSACTIONS)
        engine_for(url).dispose()

    total = sum(len(t) for t in times.values())
    engine_rate = total / sum(sum(t) for t in times.values())
    raw_rate = RAW_TRANSACTIONS / raw_seconds
    ratio = engine_rate / raw_rate
    print(f"lifecycle steps on SQLite: {count} applications x 4 steps = {total} transactions")
    for kind, spent in times.items():
        median_ms = sorted(spent)[len(spent) // 2] * 1e3
        rate = len(spent) / sum(spent)
        print(f"  engine {kind:<8} {rate:9.0f} steps/s         median {median_ms:.2f} ms a step")
    per_step = statements[0] / total
    print(
        f"  engine, all    {engine_rate:9.0f} steps/s         {per_step:.1f} SQL statements a step"
    )
    print(f"  raw sqlite3    {raw_rate:9.0f} transactions/s  {RAW_TRANSACTIONS} single-row inserts")
    verdict = "PASS" if ratio >= TARGET else "MISS"
    print(f"  engine / raw   {ratio:9.4f} ({ratio:.2%})   target >= {TARGET:.0%}: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 250)
