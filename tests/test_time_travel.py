"""State at any moment: the records rebuilt from the audit trail alone for a moment equal the
live records as they stood then, at every event of random sequences of actions (hypothesis);
and `kracht app show/list --at` as a user meets it."""

import datetime as dt
import itertools
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kracht.basics.errors import InvalidInput, KrachtError, NotAllowed, NotFound
from kracht.storage import audit, clock, ledger
from kracht.storage.database import engine_for, session
from kracht.storage.tables import AuditHead
from kracht.workflow import agreement, engine, replay
from kracht.workflow.services import (
    applications,
    approval_conditions,
    progress_reports,
    time_travel,
)
from tests import factories as f
from tests.factories import World, run

DECIDE = {  # the steering committee's outcomes, as the factories drive them
    "approve": {"granted": "64389"},
    "approve_with_conditions": f.DECISIONS["approved_with_conditions"][0][2],
    "reject": f.DECISIONS["rejected"][0][2],
    "defer": f.DECISIONS["deferred"][0][2],
}
ACTIONS = ("create", *["forward"] * 8, "decide", "report", "report", "condition",
           "conditions_met", "close",
           "withdraw", "rework")  # fmt: skip


@pytest.fixture(scope="module")
def seeded(sqlite_template, tmp_path_factory):
    """A seeded database file, copied for each example."""
    path = tmp_path_factory.mktemp("seeded") / "kracht.db"
    shutil.copyfile(sqlite_template, path)
    f.seed(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:  # everything in the file itself, to copy it
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _ticking():
    """A clock that moves a second at every reading: every event has its own moment."""
    seconds, start = itertools.count(), clock.wall() + dt.timedelta(hours=1)  # after the seed's
    return lambda: start + dt.timedelta(seconds=next(seconds))


def _act(world: World, apps: list[int], action: str, pick: int, choice: int) -> None:
    """One action a user could take; a refusal is fine (it is audited and changes nothing)."""
    if action == "create" or not apps:
        if len(apps) < 2:
            title = f"Project {len(apps) + 1}"
            created = f.run(world.url, f.LEADER, applications.create, title=title,
                          programme=f.AVT_2018, applicant=f.TALENTIT, requested="64389",
                          line="talent")  # fmt: skip
            apps.append(created["id"])
            f.complete_proposal(world, created["id"])
        return
    app_id = apps[pick % len(apps)]
    state = world.state(app_id)
    try:
        _on(world, app_id, state, action, choice)
    except KrachtError:
        pass


def _on(world: World, app_id: int, state: str, action: str, choice: int) -> None:  # noqa: C901
    url = world.url
    if action == "forward" and state in f.PREPARED:
        f.prepare(world, app_id, state)
        forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
        f.run(url, f.FIRED_BY.get(state, f.LEADER), engine.fire, app_id, forward[0],
            values=f.FIRED_WITH.get(state))  # fmt: skip
    elif action in ("forward", "decide") and state == "steering_decision":
        outcome = sorted(DECIDE)[choice % len(DECIDE)]
        f.run(url, f.STEERING, engine.fire, app_id, outcome, values=DECIDE[outcome], reason="ok")
    elif action == "report" and state == "monitoring":
        due = [r for r in f.run(url, f.LEADER, _reports, app_id) if r["status"] == "due"]
        if due:
            f.run(url, f.LEADER, progress_reports.submit, app_id, due[0]["label"],
                light=("green", "orange")[choice % 2], narrative="on plan",
                spent=str(1000 * (choice + 1)))  # fmt: skip
    elif action == "condition" and state == "approved_with_conditions":
        f.run(url, f.LEADER, approval_conditions.meet_condition, app_id, 1, evidence="done")
    elif action == "conditions_met" and state == "approved_with_conditions":
        f.run(url, f.LEADER, engine.fire, app_id, "conditions_met")
    elif action == "close" and state == "monitoring":
        f.measure_indicators(world, app_id)
        f.run(url, f.LEADER, engine.fire, app_id, "close", values={"final_report": "all done"})
    elif action == "withdraw":
        f.run(url, f.LEADER, engine.fire, app_id, "withdraw", reason="the applicant stops")
    elif action == "rework":
        f.run(url, f.LEADER, engine.fire, app_id, "return_for_rework", reason="needs more work")
    elif action == "decide" and state == "deferred":
        f.run(url, f.LEADER, engine.fire, app_id, "resume", reason="parties found")


def _reports(unit, app_id):
    from kracht.workflow.services import monitor_views

    return monitor_views.project(unit, app_id)["reports"]


def _head(url):
    with session(url) as db:
        return db.get(AuditHead, 1).seq


def _tables(url):
    with session(url) as db:
        return ledger.tables(db)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1), st.integers(0, 3)),
                min_size=8, max_size=24))  # fmt: skip
def test_the_trail_rebuilds_every_record_as_it_stood_at_every_event(seeded, tmp_path, steps):
    _holds_at_every_moment(seeded, tmp_path, steps)


def _holds_at_every_moment(seeded, tmp_path, steps) -> set[str]:
    """After every unit of work (each transaction an action commits, its events with it) the
    live tables are kept; then each is held against the trail rebuilt up to that moment, and
    against what `app list --at` answers for it. The states the applications ended in."""
    path = tmp_path / f"example-{id(steps)}.db"
    shutil.copyfile(seeded, path)
    world, apps, snapshots = World(f"sqlite:///{path}"), [], []

    def kept(*args, **kwargs):
        try:
            return unit_of_work(*args, **kwargs)
        finally:
            seq = _head(world.url)
            if not snapshots or snapshots[-1][0] != seq:  # a read, or nothing written
                snapshots.append((seq, _tables(world.url)))

    unit_of_work, f.run = f.run, kept
    try:
        with clock.using(_ticking()):
            for action, pick, choice in steps:
                _act(world, apps, action, pick, choice)
    finally:
        f.run = unit_of_work
    with session(world.url) as db:
        events = audit.history(db)
    later = dt.datetime.fromisoformat(events[-1]["at"]) + dt.timedelta(days=1)
    for number, (seq, rows) in enumerate(snapshots):
        until = events[seq - 1]["at"]
        rebuilt = replay.replay(events, until=until)
        assert agreement.compare(rebuilt, rows) == [], (seq, steps)
        if number % 8 == 0 or number == len(snapshots) - 1:  # the service too, now and then
            with clock.frozen(later):
                listed = f.run(world.url, f.AUDITOR, time_travel.list_at,
                               dt.datetime.fromisoformat(until))  # fmt: skip
            assert [p["id"] for p in listed] == sorted(rebuilt)
            assert [p["state"] for p in listed] == [r["state"] for r in rows["application"]]
    reached = {world.state(a) for a in apps}
    path.unlink()
    return reached


ROAD = [("forward", 0, 0)] * 6 + [("decide", 0, 0), ("report", 0, 1), ("report", 0, 2),
        ("create", 0, 0)] + [("forward", 1, 0)] * 6 + [("decide", 1, 1), ("condition", 1, 0),
        ("conditions_met", 1, 0), ("close", 0, 0), ("withdraw", 1, 0)]  # fmt: skip


def test_a_whole_road_holds_at_every_moment_too(seeded, tmp_path):
    """The property on one sequence that surely goes the whole road: approved, reported on and
    closed; approved with conditions, met, then withdrawn."""
    reached = _holds_at_every_moment(seeded, tmp_path, ROAD)

    assert reached == {"closed", "withdrawn"}


@pytest.fixture
def history(world):
    """An application approved on 2 March 2026 and sent into monitoring, then closed a week
    later: two moments to travel to."""
    with clock.frozen(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)):
        app_id = f.make_application(world, stage="monitoring")
    with clock.frozen(dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)):
        f.measure_indicators(world, app_id)
        run(world.url, f.LEADER, engine.fire, app_id, "close", values={"final_report": "done"})
    return app_id


def test_a_day_shows_the_application_as_it_stood_at_its_end(world, history):
    then = run(world.url, f.AUDITOR, time_travel.show_at, history, time_travel.moment("2026-03-05"))
    now = run(world.url, f.AUDITOR, time_travel.show_at, history, time_travel.moment("2026-03-09"))

    assert (then["state"], now["state"]) == ("monitoring", "closed")
    assert then["granted"] == [
        {"year": 2026, "amount_cents": 6438900, "seq": then["granted"][0]["seq"]}
    ]
    assert then["as_of"] == "2026-03-05T22:59:59.999999+00:00"  # the end of the day in Twente
    assert "final_report" not in then["values"]
    assert now["values"]["final_report"] == "done"


def test_before_the_application_existed_it_is_not_found_and_the_future_is_refused(world, history):
    with pytest.raises(NotFound):
        run(world.url, f.AUDITOR, time_travel.show_at, history, time_travel.moment("2026-03-01"))
    with pytest.raises(InvalidInput) as future:
        run(world.url, f.AUDITOR, time_travel.show_at, history, time_travel.moment("2999-01-01"))
    with pytest.raises(InvalidInput) as garbled:
        time_travel.moment("last tuesday")

    assert future.value.field == garbled.value.field == "at"
    assert str(future.value).endswith("is in the future; give one up to now")


def test_only_those_who_read_the_whole_trail_travel_in_time(world, history):
    with pytest.raises(NotAllowed):
        run(world.url, f.MEMBER, time_travel.show_at, history, time_travel.moment("2026-03-05"))
    with pytest.raises(NotAllowed):
        run(world.url, f.APPLICANT, time_travel.list_at, time_travel.moment("2026-03-05"))


def test_the_command_line_shows_and_lists_at_a_moment(world, history, monkeypatch, capsys):
    from kracht.cli import main

    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    shown = main(["--as", f.AUDITOR, "app", "show", str(history), "--at", "2026-03-05"])
    out = capsys.readouterr().out
    listed = main(["--as", f.LEADER, "app", "list", "--at", "2026-03-09T12:00", "--json"])
    rows = capsys.readouterr().out
    wrong = main(["--as", f.AUDITOR, "app", "show", str(history), "--at", "yesterday"])
    err = capsys.readouterr().err

    assert (shown, listed, wrong) == (0, 0, 1)
    assert "  state      monitoring" in out
    assert "  granted    EUR 64,389.00 in 2026" in out
    assert '"state": "closed"' in rows
    assert err.startswith("kracht: moment (--at) 'yesterday' is not a date (YYYY-MM-DD)")


def test_the_edges_of_the_calendar_today_and_a_programme_are_answered(
    world, history, monkeypatch, capsys
):
    from kracht.cli import main

    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    today = clock.today().isoformat()
    codes = {
        at: main(["--as", f.AUDITOR, "app", "show", str(history), "--at", at])
        for at in ("9999-12-31", "0001-01-01T00:00", today)
    }
    err = capsys.readouterr().err
    mine = main(["--as", f.LEADER, "app", "list", "--at", today, "--programme", f.AVT_2018])
    listed = capsys.readouterr().out
    unknown = main(["--as", f.LEADER, "app", "list", "--at", today, "--programme", "nope"])

    assert codes == {"9999-12-31": 1, "0001-01-01T00:00": 1, today: 0}
    assert "Traceback" not in err
    assert "is in the future" in err
    assert "is before 2000" in err
    assert (mine, unknown) == (0, 1)
    assert "closed" in listed
