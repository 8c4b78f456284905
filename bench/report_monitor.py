"""`kracht report monitor`: is its cost linear in the number of applications?

What it measures: two databases are built with the real migrations (`storage.database.migrate`)
and a programme leader; organisations, a programme with lines and budgets, and N and 10N
applications (default N = 200) are bulk-inserted into the real tables with SQLAlchemy core, as
a year of monitoring leaves them: most in monitoring or closed, each of those with its grant
allocation, a partner's money, four reports of 2019 (three submitted with a traffic light, one
late) and an indicator with two measured values; the rest in earlier stages. Then, round after
round (5 by default), each size in turn, it times
  - the document in process: `workflow.reports.documents.write` (collect, render the charts and
    the HTML and Markdown, write the files), the function `kracht report monitor` calls;
  - where the time goes: `documents.collect` alone (the queries and the grouping), and the
    charts (`documents.render`) alone;
  - the floor: reading every row the document is built from with bare `sqlite3` (the
    applications, their reports, indicators and values, partners and grants), the same run.
Printed: the median with min-max, the time per application, and per size the ratio to the
floor.

Linear means: the time per application at 10N stays within 1.5x of that at N (target: the
median per application, 10N vs N, at most 1.5x, both for the document and for `collect`: with
few projects the charts' fixed cost hides a quadratic collect in the document's figure).

Run from the repository root:  .venv/bin/python bench/report_monitor.py [N] [ROUNDS]
(default 200 5)
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from kracht.storage.database import engine_for, migrate
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    Budget,
    GrantAllocation,
    Indicator,
    IndicatorValue,
    Organisation,
    Programme,
    ProgrammeLine,
    ProgressReport,
)
from kracht.workflow.definition import WORKFLOW_VERSION
from kracht.workflow.reports import documents
from kracht.workflow.services import directory
from kracht.workflow.unit import Units

LEADER = "leader@example.org"
YEAR = 2019
NOW = dt.datetime(2020, 3, 1, 12, tzinfo=dt.UTC)
TODAY = dt.date(2020, 3, 1)
ORGANISATIONS = 300
STATES = ("monitoring",) * 6 + ("closed",) * 2 + ("idea", "assessment_committee")
QUARTERS = [(f"{YEAR}-Q{q}", dt.date(YEAR, 3 * q - 2, 1)) for q in range(1, 5)]
LIGHTS = ("green", "green", "orange", "red")
TARGET = 1.5


def _table(model: Any) -> Any:
    return model.__table__


def _quarter_end(start: dt.date) -> dt.date:
    return (start.replace(day=28) + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)


def build(path: Path, size: int) -> str:
    """A database at `path` with the directory and `size` applications; its URL."""
    url = f"sqlite:///{path}"
    migrate(url)
    Units(url).run(
        None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"]
    )
    rng = random.Random(size)
    tables: dict[Any, list[dict[str, Any]]] = {m: [] for m in (
        Organisation, Programme, ProgrammeLine, Budget, Application, GrantAllocation,
        ApplicationPartner, ProgressReport, Indicator, IndicatorValue)}  # fmt: skip
    o_types = ("business", "education", "research", "government")
    tables[Organisation] = [
        dict(id=n, name=f"Organisation {n} Twente", o_type=o_types[n % 4], created_at=NOW)
        for n in range(1, ORGANISATIONS + 1)
    ]
    tables[Programme] = [dict(id=1, code="avt-2018", name="Agenda voor Twente", not_applicable={})]
    codes = ("talent", "circular", "digital", "health")
    tables[ProgrammeLine] = [
        dict(id=n, programme_id=1, code=c, name=c.title()) for n, c in enumerate(codes, 1)
    ]
    tables[Budget] = [
        dict(id=n, programme_id=1, line_id=n, year=YEAR, kind="projects",
             amount_cents=50_000_000_00, basis="", set_by=LEADER, set_at=NOW)
        for n in range(1, 5)
    ]  # fmt: skip
    report_id = 0
    for n in range(1, size + 1):
        state = rng.choice(STATES)
        line = rng.randrange(1, 5)
        tables[Application].append(
            dict(id=n, title=f"Project {n} Twente", description="", programme_id=1, line_id=line,
                 applicant_org_id=rng.randrange(1, ORGANISATIONS + 1),
                 requested_cents=rng.randrange(10_000, 500_000) * 100, round="2018-2",
                 submitted_on=dt.date(2018, 6, 1), state=state, workflow_version=WORKFLOW_VERSION,
                 version=5, created_at=NOW, updated_at=NOW)
        )  # fmt: skip
        if state not in ("monitoring", "closed"):
            continue
        grant = rng.randrange(20_000, 400_000) * 100
        tables[GrantAllocation].append(
            dict(id=n, application_id=n, budget_id=line, year=YEAR, amount_cents=grant)
        )
        tables[ApplicationPartner].append(
            dict(id=n, application_id=n, organisation_id=rng.randrange(1, ORGANISATIONS + 1),
                 co_financing=True, commitment="money", amount_cents=grant * rng.randrange(2, 12))
        )  # fmt: skip
        tables[Indicator].append(
            dict(id=n, application_id=n, name="students meeting firms", unit="people",
                 baseline="0", target="100", target_date=dt.date(2021, 12, 31), source="")
        )  # fmt: skip
        for q, (label, start) in enumerate(QUARTERS):
            report_id += 1
            submitted = q < 3
            end = _quarter_end(start)
            tables[ProgressReport].append(
                dict(id=report_id, application_id=n, kind="progress", label=label,
                     period_start=start, period_end=end, due_on=end + dt.timedelta(days=30),
                     status="submitted" if submitted else "due",
                     traffic_light=rng.choice(LIGHTS) if submitted else None,
                     narrative="On track." if submitted else None,
                     measures="More firms." if submitted else None,
                     spent_cents=grant // 4 * (q + 1) if submitted else None,
                     submitted_at=NOW if submitted else None)
            )  # fmt: skip
            if q in (1, 2):
                tables[IndicatorValue].append(
                    dict(id=report_id, indicator_id=n, application_id=n, measured_on=end,
                         value=str(20 * q + rng.randrange(10)), report_id=report_id, note="",
                         recorded_by=LEADER, recorded_at=NOW)
                )  # fmt: skip
    with engine_for(url).begin() as db:
        for model, rows in tables.items():
            for start in range(0, len(rows), 10_000):
                db.execute(insert(_table(model)), rows[start : start + 10_000])
    return url


def floor(path: Path) -> None:
    """Every row the document is built from, read with bare sqlite3."""
    connection = sqlite3.connect(path)
    for table in ("application", "progress_report", "indicator", "indicator_value",
                  "application_partner", "grant_allocation", "organisation"):  # fmt: skip
        connection.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - names above
    connection.close()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(paths: dict[int, Path], rounds: int, out: Path) -> dict[int, dict[str, list[float]]]:
    results = {size: dict(write=[], collect=[], charts=[], floor=[]) for size in paths}
    units = {size: Units(f"sqlite:///{path}") for size, path in paths.items()}
    for size in paths:  # warm-up: the files in the page cache, matplotlib imported
        units[size].run(LEADER, documents.write, "monitor", YEAR, out / "warm-up")
    for _ in range(rounds):
        for size, path in paths.items():
            r, u = results[size], units[size]
            write = (LEADER, documents.write, "monitor", YEAR, out)
            r["write"].append(timed(lambda u=u, write=write: u.run(*write)))
            data: dict[str, Any] = {}

            def collect(u: Units = u, data: dict[str, Any] = data) -> None:
                with u.open(LEADER, write=False) as unit:
                    data.update(documents.collect(unit.db, YEAR, None, TODAY))

            r["collect"].append(timed(collect))
            data.update(kind="monitor", title="Project monitor", document="", stem="bench")
            r["charts"].append(timed(lambda data=data: documents.render(data)))
            r["floor"].append(timed(lambda path=path: floor(path)))
    return results


def spread(values: list[float], scale: float = 1.0, fmt: str = ".0f") -> str:
    """'median (min-max)' of `values` times `scale`."""
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def main(n: int, rounds: int) -> None:
    sizes = (n, 10 * n)
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        paths = {size: Path(tmp) / f"monitor-{size}.db" for size in sizes}
        start = time.perf_counter()
        for size, path in paths.items():
            build(path, size)
        seeded = time.perf_counter() - start
        results = measure(paths, rounds, Path(tmp) / "out")
    med = {s: {k: statistics.median(v) for k, v in r.items()} for s, r in results.items()}
    print(f"kracht report monitor {YEAR} (documents.write in process), {rounds} rounds"
          f" (seeding took {seeded:.0f} s); median (min-max);"
          " floor: the rows read with bare sqlite3")  # fmt: skip
    print(f"  {'apps':>6}  {'document, ms':>19}  {'ms/app':>6}  {'collect, ms':>17}"
          f"  {'charts+files, ms':>17}  {'floor, ms':>13}  {'x floor':>7}")  # fmt: skip
    for size in sizes:
        r, m = results[size], med[size]
        print(f"  {size:6}  {spread(r['write'], 1e3):>19}  {m['write'] / size * 1e3:6.2f}"
              f"  {spread(r['collect'], 1e3):>17}  {spread(r['charts'], 1e3):>17}"
              f"  {spread(r['floor'], 1e3, '.1f'):>13}"
              f"  {m['write'] / m['floor']:7.0f}")  # fmt: skip
    small, large = sizes
    for key in ("write", "collect", "charts"):
        growth = med[large][key] / med[small][key]
        print(f"  {key:>7}: {large} / {small} apps = {growth:5.1f}x  (linear: 10x)")
    growth = {k: (med[large][k] / large) / (med[small][k] / small) for k in ("write", "collect")}
    verdict = "PASS" if max(growth.values()) <= TARGET else "MISS"
    print(f"  time per application, {large} vs {small}: {growth['write']:.2f}x the document,"
          f" {growth['collect']:.2f}x collecting its figures;"
          f" target linear, both (<= {TARGET}x): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200,
        int(sys.argv[2]) if len(sys.argv) > 2 else 5,
    )
