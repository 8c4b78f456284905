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

from storage import audit
from storage.database import session
from tests.factories import LEADER, make_application, prepare

WRITERS = 4
PAUSE = 0.02  # between one writer's calls: SQLite hands its lock to whoever asks first
KRACHT = Path(sys.executable).parent / "kracht"
Call = tuple[str, tuple[Any, ...], dict[str, Any]]  # engine function, args after url, kwargs


def _writer(url: str, start: str, index: int, calls: list[Call]) -> tuple[int, list[Any]]:
    """In a pool process: connect, say ready, wait for the start file, make the calls."""
    from storage.database import engine_for
    from workflow import engine

    with engine_for(url).connect():  # imports and the first connection before the start line
        pass
    Path(f"{start}.ready{index}").touch()
    while not os.path.exists(start):
        time.sleep(0.001)
    outcomes: list[tuple[str, Any]] = []
    for name, args, kwargs in calls:
        try:
            outcomes.append(("ok", getattr(engine, name)(url, *args, **kwargs)))
        except Exception as error:  # noqa: BLE001 - reported to the parent, which asserts on it
            outcomes.append((type(error).__name__, str(error)))
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

    from storage.tables import ScoringRound

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
    for kind, detail in outcomes:  # a loser saw the new state, or lost the race to write
        if kind == "NotAllowed":
            assert detail.startswith(late)
        elif kind != "ok":
            assert (kind, detail) == ("ConcurrentChange", _changed(app_id))
    refused = [kind for kind, _ in outcomes].count("NotAllowed")
    assert [kind for kind, _ in outcomes].count("ok") == 1
    if url.startswith("sqlite"):  # BEGIN IMMEDIATE serialises: each loser sees the new state
        assert refused == WRITERS - 1
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
    before, old_summary = len(_events(url, app_id)), shown["stage_data"]["proposal"]
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

    assert {kind for kind, _ in outcomes} <= {"ok", "ConcurrentChange"}
    assert all(o == ("ConcurrentChange", _changed(app_id)) for o in outcomes if o[0] != "ok")
    if url.startswith("sqlite"):  # writers queue on the database lock, each sees the last commit
        assert [kind for kind, _ in outcomes] == ["ok"] * WRITERS
    data = any_world.show(app_id)["stage_data"]
    for (section, field, value), (kind, _) in zip(writes, outcomes, strict=True):
        unchanged = old_summary["proposal_summary"] if field == "proposal_summary" else None
        assert data.get(section, {}).get(field) == (value if kind == "ok" else unchanged)
    successes = [kind for kind, _ in outcomes].count("ok")
    assert successes >= 1  # PostgreSQL: a record that overlaps another's commit is refused
    assert any_world.show(app_id)["version"] == shown["version"] + successes
    new = _events(url, app_id)[before:]
    assert [(e["action"], e["outcome"]) for e in new] == [("record", "ok")] * successes


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

    expected_kinds = ["ok"] + ["ok", "ok", "NotAllowed", "ok"] * 6
    assert [[kind for kind, _ in plan] for plan in outcomes] == [expected_kinds] * WRITERS
    for app_id, version, plan in zip(apps, versions, outcomes, strict=True):
        shown = any_world.show(app_id)
        assert (shown["state"], shown["version"]) == ("innovation_table", version + 19)
        assert [len(r["events"]) for k, r in plan if k == "ok" and "events" in r] == [2, 1] * 6
    written = sum(_written(kind, result) for plan in outcomes for kind, result in plan)
    assert written == WRITERS * (7 + 12 + 6 + 6)  # records, 2-step fires, reworks, refusals
    with session(url) as db:
        verdict = audit.verify(db)
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
