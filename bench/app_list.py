"""`kracht app list --json` at 1k, 10k and 100k applications: does its cost grow linearly?

What it measures: four databases are built with the real migrations (`storage.database.migrate`)
and a programme leader; organisations, programmes, lines and 0, 1k, 10k and 100k applications
with realistic values are bulk-inserted into the real tables with SQLAlchemy core (seeding 100k
applications through the engine would take too long, and only the listing is timed). Then,
round after round (7 by default), every size in turn, it times
  - the command: `kracht app list --json`, the whole process, output thrown away (median);
  - the floor: the same command on the empty database, the start-up every run pays; the
    median of the differences within a round is the listing's cost beyond start-up;
  - the listing in process: `workflow.applications.list_all` plus the same `json.dumps` the
    command prints with (`emit_json`: indent=2, ensure_ascii=False, default=str), which
    leaves out the start-up; timed in every round (5 times at 1k, 2 at 10k, once at 100k),
    median over all of them, with min-max.

Linear means: the time per application stays flat (target: in process, the median time per
application at 100k at most 1.5x that at 1k), and each 10x size costs about 10x beyond start-up.
The verdict is on the in-process figure, the function the command calls: beyond start-up, the
command's own figure is the difference of two noisy whole-process times.

Run from the repository root:  .venv/bin/python bench/app_list.py [ROUNDS]   (default 7)
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from kracht.storage.database import engine_for, migrate
from kracht.storage.tables import Application, Organisation, Programme, ProgrammeLine
from kracht.workflow.definition import STATES, WORKFLOW_VERSION
from kracht.workflow.services import applications, directory
from kracht.workflow.unit import Units

LEADER = "leader@example.org"
KRACHT = Path(sys.executable).with_name("kracht")
SIZES = (1_000, 10_000, 100_000)
ORGANISATIONS = 500
O_TYPES = ("business", "education", "research", "government")
TOPICS = (
    "Talent",
    "Hydrogen hub",
    "Smart industry",
    "Circular textiles",
    "Logistics lab",
    "Health innovation",
    "Mineral valley",
    "Craftsmanship fund",
)
NOW = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


def seed_directory(url: str) -> tuple[list[int], list[tuple[int, int]]]:
    """The leader, organisations, two programmes with lines; (org ids, (programme, line) ids)."""
    migrate(url)
    Units(url).run(
        None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"]
    )
    with engine_for(url).begin() as db:
        orgs = [
            dict(name=f"Organisation {n} Twente", o_type=O_TYPES[n % 4], created_at=NOW)
            for n in range(ORGANISATIONS)
        ]
        db.execute(insert(Organisation.__table__), orgs)  # type: ignore[attr-defined]
        programmes = [
            dict(id=1, code="avt-2018", name="Agenda voor Twente 2018-2022",
                 not_applicable={"ecosystem_analysis": "no ecosystem analysis before 2023"}),
            dict(id=2, code="avt-2023", name="Agenda voor Twente 2023-2027",
                 not_applicable={"innovation_table": "no innovation tables from 2023 on"}),
        ]  # fmt: skip
        db.execute(insert(Programme.__table__), programmes)  # type: ignore[attr-defined]
        lines = [
            dict(id=p * 10 + n, programme_id=p, code=code, name=code.title())
            for p in (1, 2)
            for n, code in enumerate(("talent", "circular", "digital", "health"))
        ]
        db.execute(insert(ProgrammeLine.__table__), lines)  # type: ignore[attr-defined]
    return list(range(1, ORGANISATIONS + 1)), [(x["programme_id"], x["id"]) for x in lines]


def application_rows(
    first: int, count: int, orgs: list[int], lines: list[tuple[int, int]]
) -> list[dict[str, Any]]:
    """`count` applications with ids from `first`: varied titles, states, amounts and dates."""
    rng = random.Random(first)
    rows = []
    for n in range(first, first + count):
        programme_id, line_id = rng.choice(lines)
        submitted = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
        rows.append(
            dict(
                id=n,
                title=f"{rng.choice(TOPICS)} Twente {n}",
                description="Students meet IT firms; partners co-finance a regional programme.",
                programme_id=programme_id,
                line_id=line_id,
                applicant_org_id=rng.choice(orgs),
                requested_cents=rng.randrange(10_000, 500_000) * 100,
                round=f"{submitted.year}-{1 + submitted.month // 7}",
                submitted_on=submitted,
                state=rng.choice(STATES),
                previous_state=rng.choice((None, "assessment_committee", "kracht_scoring")),
                workflow_version=WORKFLOW_VERSION,
                version=rng.randrange(1, 12),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return rows


def build(path: Path, size: int) -> str:
    """A database at `path` with the directory and `size` applications; its URL."""
    url = f"sqlite:///{path}"
    orgs, lines = seed_directory(url)
    with engine_for(url).begin() as db:
        for first in range(1, size + 1, 10_000):
            rows = application_rows(first, min(10_000, size + 1 - first), orgs, lines)
            db.execute(insert(Application.__table__), rows)  # type: ignore[attr-defined]
    return url


def wall(path: Path) -> float:
    """Wall seconds of one `kracht app list --json` process on `path`, output thrown away."""
    command = [str(KRACHT), "--db", str(path), "--as", LEADER, "app", "list", "--json"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def listing(url: str, repeat: int) -> list[float]:
    """The listing and its JSON, as the command makes them, in process: `repeat` timings."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        rows = Units(url).run(
            LEADER,
            applications.list_all,
        )
        json.dumps(rows, indent=2, ensure_ascii=False, default=str)
        times.append(time.perf_counter() - start)
    assert len(rows) == int(Path(url).stem.split("-")[1]), len(rows)
    return times


def measure(paths: dict[int, Path], rounds: int) -> dict[int, dict[str, list[float]]]:
    """Round after round, every size in turn (so a noisy spell touches every size alike): the
    command on each database and on the empty one, then the listing in process. Per size: the
    command times, the differences from the empty database in the same round, the in-process
    times."""
    results: dict[int, dict[str, list[float]]] = {
        size: dict(command=[], beyond=[], listing=[]) for size in paths
    }
    for size in paths:
        wall(paths[size])  # warm-up: the file in the page cache
    for _ in range(rounds):
        for size, path in paths.items():
            results[size]["command"].append(wall(path))
        for size in SIZES:
            r = results[size]
            r["beyond"].append(r["command"][-1] - results[0]["command"][-1])
            r["listing"] += listing(f"sqlite:///{paths[size]}", max(1, 5_000 // size))
    return results


def spread(values: list[float], scale: float = 1.0, fmt: str = ".0f") -> str:
    """'median (min-max)' of `values` times `scale`."""
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        paths = {size: Path(tmp) / f"apps-{size}.db" for size in (0, *SIZES)}
        start = time.perf_counter()
        urls = [build(path, size) for size, path in paths.items()]
        seeded = time.perf_counter() - start
        results = measure(paths, rounds)
        for url in urls:
            engine_for(url).dispose()

    med = {
        size: {k: statistics.median(v) for k, v in r.items() if v} for size, r in results.items()
    }
    print(f"kracht app list --json, {rounds} rounds (seeding took {seeded:.0f} s);"
          " median (min-max); floor: the same command on an empty database")  # fmt: skip
    print(f"  {'empty':>7}  command {spread(results[0]['command'], 1e3)} ms  (the start-up)")
    print(f"  {'size':>7}  {'command, ms':>19}  {'beyond empty, ms':>19}  {'us/app':>6}"
          f"  {'in process, ms':>19}  {'us/app':>6}")  # fmt: skip
    for size in SIZES:
        r, m = results[size], med[size]
        print(f"  {size:7}  {spread(r['command'], 1e3):>19}  {spread(r['beyond'], 1e3):>19}"
              f"  {m['beyond'] / size * 1e6:6.1f}  {spread(r['listing'], 1e3):>19}"
              f"  {m['listing'] / size * 1e6:6.1f}")  # fmt: skip
    for small, large in zip(SIZES, SIZES[1:], strict=False):
        a, b = med[small], med[large]
        # when some round measured the smaller size no slower than the empty database, its
        # difference is lost in start-up noise, and a ratio to it would be noise too
        clear = min(results[small]["beyond"]) > 0
        beyond = f"{b['beyond'] / a['beyond']:5.1f}x" if clear else "  n/a"
        print(f"  {large // 1000}k / {small // 1000}k: command {b['command'] / a['command']:5.1f}x,"
              f" beyond empty {beyond}, in process {b['listing'] / a['listing']:5.1f}x"
              f"  (linear: {large / small:.0f}x)")  # fmt: skip
    growth = (med[SIZES[-1]]["listing"] / SIZES[-1]) / (med[SIZES[0]]["listing"] / SIZES[0])
    verdict = "PASS" if growth <= 1.5 else "MISS"
    print(f"  in-process time per application, 100k vs 1k: {growth:.2f}x;"
          f" target linear (<= 1.5x): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
