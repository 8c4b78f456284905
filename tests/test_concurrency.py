"""Concurrent writers in real OS processes, on SQLite and PostgreSQL: no lost update, no fork.

Each writer is a separate interpreter (a pool of multiprocessing "spawn" processes) with its own
connection; a start file they all poll for lines them up so their transactions overlap. Writers
report outcomes, never tracebacks: an unexpected error (a deadlock, SQLITE_BUSY) comes back as
its type name and fails the assertions.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kracht.storage import audit, audit_check
from kracht.storage.database import session
from tests.factories import LEADER, make_application, prepare

WRITERS = 4
PAUSE = 0.02  # between one writer's calls: SQLite hands its lock to whoever asks first
KRACHT = Path(sys.executable).parent / "kracht"
Call = tuple[str, tuple[Any, ...], dict[str, Any]]  # engine function, (actor, *args), kwargs


def _writer(url: str, start: str, index: int, calls: list[Call]) -> tuple[int, list[Any]]:
    """In a pool process: connect, say ready, wait for the start file, make the calls."""
    from kracht.basics.errors import KrachtError
    from kracht.commands.hints import line
    from kracht.storage.database import engine_for
    from kracht.workflow import engine
    from kracht.workflow.unit import Units

    units = Units(url)
    with engine_for(url).connect():  # imports and the first connection before the start line
        pass
    Path(f"{start}.ready{index}").touch()
    while not os.path.exists(start):
        time.sleep(0.001)
    outcomes: list[tuple[str, Any]] = []
    for name, args, kwargs in calls:
        try:
            who, *rest = args
            outcomes.append(("ok", units.run(who, getattr(engine, name), *rest, **kwargs)))
        except Exception as error:  # noqa: BLE001 - reported to the parent, which asserts on it
            shown = line(error) if isinstance(error, KrachtError) else str(error)  # as the CLI
            outcomes.append((type(error).__name__, shown))
        time.sleep(PAUSE)
    engine_for(url).dispose()
    return os.getpid(), outcomes


@pytest.fixture(scope="module")
def writers() -> Iterator[Any]:
    """WRITERS spawned interpreters, reused by every test here (spawning costs ~2 s a batch)."""
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        yield pool


def _run_together(writers: Any, tmp_path: Path, url: str, plans: list[list[Call]]) -> list[Any]:
    """Hand each plan to its own process, start them at once; their outcomes, in plan order."""
    start = tmp_path / "start"
    pending = [
        writers.apply_async(_writer, (url, str(start), i, plan)) for i, plan in enumerate(plans)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("start.ready*"))) < len(plans):  # each holds one plan, waiting
        assert time.monotonic() < deadline, "the writer processes did not all get ready"
        time.sleep(0.01)
    start.touch()
    done = [p.get(timeout=120) for p in pending]
    assert len({pid for pid, _ in done} - {os.getpid()}) == len(plans)  # separate processes
    return [outcomes for _, outcomes in done]


def _events(url: str, application_id: int | None = None) -> list[dict[str, Any]]:
    with session(url) as db:
        return audit.history(db, application_id)


def _scoring_rounds(url: str, application_id: int) -> int:
    import sqlalchemy as sa

    from kracht.storage.tables import ScoringRound

    with session(url) as db:
        query = sa.select(sa.func.count()).where(ScoringRound.application_id == application_id)
        return db.execute(query).scalar_one()


def _ready_to_score(world: Any) -> int:
    """An application in assessment_committee with everything open_scoring needs."""
    app_id = make_application(world, "assessment_committee")
    prepare(world, app_id, "assessment_committee")
    return app_id


def _all_at_once(writers: Any, tmp_path: Path, url: str, call: Call) -> list[tuple[str, Any]]:
    """Every writer makes the same call at the same moment; one outcome each."""
    return [plan[0] for plan in _run_together(writers, tmp_path, url, [[call]] * WRITERS)]


def _changed(app_id: int) -> str:
    return (
        f"application {app_id} was changed by someone else; "
        f"run `kracht app show {app_id}` to reload it and try again"
    )


@pytest.mark.slow
def test_fire_with_expected_version_from_many_processes_moves_the_application_once(
    any_world, writers, tmp_path
):
    url = any_world.url
    app_id = _ready_to_score(any_world)
    version, before = any_world.show(app_id)["version"], len(_events(url, app_id))
    fire = ("fire", (LEADER, app_id, "open_scoring"), {"expected_version": version})

    outcomes = _all_at_once(writers, tmp_path, url, fire)

    assert sorted(kind for kind, _ in outcomes) == ["ConcurrentChange"] * (WRITERS - 1) + ["ok"]
    assert {detail for kind, detail in outcomes if kind != "ok"} == {_changed(app_id)}
    winner = next(result for kind, result in outcomes if kind == "ok")
    assert (winner["from"], winner["to"]) == ("assessment_committee", "kracht_scoring")
    shown = any_world.show(app_id)
    assert (shown["state"], shown["version"]) == ("kracht_scoring", version + 1)
    assert _scoring_rounds(url, app_id) == 1
    new = _events(url, app_id)[before:]
    assert [(e["action"], e["trigger"], e["outcome"]) for e in new] == [
        ("fire", "open_scoring", "ok")
    ]


@pytest.mark.slow
def test_fire_without_expected_version_from_many_processes_refuses_every_loser(
    any_world, writers, tmp_path
):
    url = any_world.url
    app_id = _ready_to_score(any_world)
    version, before = any_world.show(app_id)["version"], len(_events(url, app_id))

    outcomes = _all_at_once(writers, tmp_path, url, ("fire", (LEADER, app_id, "open_scoring"), {}))

    late = f"cannot open_scoring application {app_id} from kracht_scoring; from kracht_scoring"
    assert sorted(kind for kind, _ in outcomes) == ["WrongState"] * (WRITERS - 1) + ["ok"]
    for kind, detail in outcomes:  # writers queue on the row: each loser sees the new state
        assert kind == "ok" or detail.startswith(late)
    refused = WRITERS - 1
    shown = any_world.show(app_id)
    assert (shown["state"], shown["version"]) == ("kracht_scoring", version + 1)
    assert _scoring_rounds(url, app_id) == 1
    new = _events(url, app_id)[before:]
    assert sorted(e["outcome"] for e in new) == ["ok"] + ["refused"] * refused


@pytest.mark.slow
def test_records_of_different_fields_from_many_processes_lose_no_value(
    any_world, writers, tmp_path
):
    url = any_world.url
    app_id = make_application(any_world, "idea")
    shown = any_world.show(app_id)
    before = len(_events(url, app_id))
    writes = [
        ("idea", "quickscan", "need, partners and fit are clear"),
        ("idea", "entrepreneur_test", "twelve firms would take part"),
        ("innovation_table", "table_remarks", "present in September"),
        ("proposal", "proposal_summary", "Students and IT firms meet weekly"),
    ]
    plans = [
        [("record", (LEADER, app_id, sec, {field: value}), {})] for sec, field, value in writes
    ]

    outcomes = [plan[0] for plan in _run_together(writers, tmp_path, url, plans)]

    # writers queue (SQLite: the database lock; PostgreSQL: the application's row), and each
    # sees the commit before it
    assert [kind for kind, _ in outcomes] == ["ok"] * WRITERS
    data = any_world.show(app_id)["stage_data"]
    for section, field, value in writes:
        assert data.get(section, {}).get(field) == value
    assert any_world.show(app_id)["version"] == shown["version"] + WRITERS
    new = _events(url, app_id)[before:]
    assert [(e["action"], e["outcome"]) for e in new] == [("record", "ok")] * WRITERS


def _busy_plan(app_id: int, worker: int) -> list[Call]:
    """25 actions on one application: records, two-step fires, rework, and refused fires."""
    table = {"table_date": "2018-09-17", "table_outcome": "aligned"}
    plan: list[Call] = [("record", (LEADER, app_id, "innovation_table", table), {})]
    for round_ in range(6):
        quickscan = {"quickscan": f"worker {worker}, round {round_}"}
        plan += [
            ("fire", (LEADER, app_id, "start_ecosystem_analysis"), {}),  # passes through N/A
            ("record", (LEADER, app_id, "idea", quickscan), {}),
            ("fire", (LEADER, app_id, "approve"), {}),  # refused: not from this state
            ("fire", (LEADER, app_id, "return_for_rework"), {"reason": "sharpen the plan"}),
        ]
    return plan


def _written(kind: str, result: Any) -> int:
    """How many audit events an outcome appended: a fire's steps, else one (record or refusal)."""
    return len(result["events"]) if kind == "ok" and "events" in result else 1


@pytest.mark.slow
def test_writers_on_different_applications_keep_one_unbroken_audit_chain(
    any_world, writers, tmp_path
):
    url = any_world.url
    apps = [make_application(any_world, "innovation_table", title=f"T{i}") for i in range(WRITERS)]
    versions = [any_world.show(a)["version"] for a in apps]
    setup_events = len(_events(url))

    outcomes = _run_together(writers, tmp_path, url, [_busy_plan(a, i) for i, a in enumerate(apps)])

    expected_kinds = ["ok"] + ["ok", "ok", "WrongState", "ok"] * 6
    assert [[kind for kind, _ in plan] for plan in outcomes] == [expected_kinds] * WRITERS
    for app_id, version, plan in zip(apps, versions, outcomes, strict=True):
        shown = any_world.show(app_id)
        assert (shown["state"], shown["version"]) == ("innovation_table", version + 19)
        assert [len(r["events"]) for k, r in plan if k == "ok" and "events" in r] == [2, 1] * 6
    written = sum(_written(kind, result) for plan in outcomes for kind, result in plan)
    assert written == WRITERS * (7 + 12 + 6 + 6)  # records, 2-step fires, reworks, refusals
    with session(url) as db:
        verdict = audit_check.verify(db)
    chain = _events(url)
    assert (verdict.intact, verdict.events) == (True, setup_events + written)
    assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1))
    assert [e["prev_hash"] for e in chain[1:]] == [e["hash"] for e in chain[:-1]]
    assert len({e["prev_hash"] for e in chain}) == len(chain)
    ids = [e["application_id"] for e in chain[setup_events:]]
    switches = sum(a != b for a, b in itertools.pairwise(ids))
    assert switches > len(ids) // 4  # the writers' transactions really interleaved


@pytest.mark.slow
def test_cli_fire_with_stale_expect_version_exits_6_and_writes_nothing(any_world):
    url = any_world.url
    app_id = _ready_to_score(any_world)
    version, before = any_world.show(app_id)["version"], _events(url)
    fire = ["app", "fire", str(app_id), "open_scoring", "--expect-version", str(version - 1)]

    result = subprocess.run(
        [str(KRACHT), "--db", url, "--as", LEADER, *fire],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stdout) == (6, "")
    assert result.stderr == f"kracht: {_changed(app_id)}\n"
    shown = any_world.show(app_id)
    assert (shown["state"], shown["version"]) == ("assessment_committee", version)
    assert _events(url) == before


CLI_WRITERS = 8


def _cli_writer(url: str, start: str, index: int, argv: list[str]) -> tuple[int, int, str, str]:
    """In a pool process: connect, say ready, wait for the start file, run `kracht ARGV`."""
    import contextlib
    import io

    from kracht.cli import main
    from kracht.storage.database import engine_for

    with engine_for(url).connect():
        pass
    Path(f"{start}.ready{index}").touch()
    while not os.path.exists(start):
        time.sleep(0.001)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", url, "--as", LEADER, *argv])
    engine_for(url).dispose()
    return os.getpid(), code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def cli_writers() -> Iterator[Any]:
    """CLI_WRITERS spawned interpreters, each running the command line's `main`."""
    with multiprocessing.get_context("spawn").Pool(CLI_WRITERS) as pool:
        yield pool


def _cli_together(pool: Any, tmp_path: Path, url: str, argvs: list[list[str]]) -> list[Any]:
    """Run each command line in its own process, all released at once: (exit, out, err) each."""
    start = tmp_path / "start"
    pending = [pool.apply_async(_cli_writer, (url, str(start), i, a)) for i, a in enumerate(argvs)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("start.ready*"))) < len(argvs):
        assert time.monotonic() < deadline, "the writer processes did not all get ready"
        time.sleep(0.01)
    start.touch()
    done = [p.get(timeout=120) for p in pending]
    assert len({pid for pid, *_ in done}) == len(argvs)  # one process each
    return [tuple(rest) for _, *rest in done]


@pytest.mark.slow
def test_cli_writes_without_expect_version_from_8_processes_all_succeed_in_turn(
    any_world, cli_writers, tmp_path
):
    url = any_world.url
    app_id = make_application(any_world, "idea")
    version, before = any_world.show(app_id)["version"], len(_events(url, app_id))
    summaries = [f"summary by writer {i}" for i in range(CLI_WRITERS // 2)]
    records = [
        ["app", "record", str(app_id), "proposal", "--set", f"proposal_summary={text}"]
        for text in summaries
    ]
    indicators = [
        ["app", "indicator", "add", str(app_id), "--name", f"indicator {i}", "--unit", "firms",
         "--baseline", "0", "--target", "10", "--by", "2022-12-31"]
        for i in range(CLI_WRITERS - len(records))
    ]  # fmt: skip

    results = _cli_together(cli_writers, tmp_path, url, records + indicators)

    assert [(code, err) for code, _, err in results] == [(0, "")] * CLI_WRITERS
    shown = any_world.show(app_id)
    assert shown["version"] == version + CLI_WRITERS  # one version per write, none lost
    reported = sorted(int(out.rsplit("(version ", 1)[1].rstrip(")\n")) for _, out, _ in results[:4])
    assert set(reported) <= set(range(version + 1, version + CLI_WRITERS + 1))
    assert len(set(reported)) == len(records)
    assert sorted(i["name"] for i in shown["indicators"]) == sorted(
        ["students meeting firms"] + [f"indicator {i}" for i in range(len(indicators))]
    )
    new = _events(url, app_id)[before:]
    assert sorted(e["action"] for e in new) == ["indicator.add"] * 4 + ["record"] * 4
    assert {e["outcome"] for e in new} == {"ok"}
    written = [e for e in new if e["action"] == "record"]
    summaries_written = [e["payload"]["values"]["proposal_summary"] for e in written]
    seen_before = [e["payload"]["previous_values"]["proposal_summary"] for e in written]
    assert seen_before[1:] == summaries_written[:-1]  # each record saw the one before it
    assert shown["stage_data"]["proposal"]["proposal_summary"] == summaries_written[-1]
    (tmp_path / "verify").mkdir()
    verdict = _cli_together(cli_writers, tmp_path / "verify", url, [["audit", "verify"]])
    with session(url) as db:
        events = audit_check.verify(db).events
    assert [(code, out.splitlines()[0], err) for code, out, err in verdict] == [
        (0, f"audit trail intact: {events} events verified", "")
    ]
