"""One clock, one programme time zone: kracht's days are Twente's days, whatever zone the server
runs in, and the clock can be stood still for the whole process.

The server runs in UTC here (TZ=UTC), and the moments chosen are half an hour after midnight in
Amsterdam: 2026-12-31 23:30 UTC is already New Year's Day 2027 there (CET, +1), and
2027-06-30 22:30 UTC is already 1 July (CEST, +2).
"""

import datetime as dt
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from kracht.basics import moments
from kracht.basics.errors import GuardFailed, NotAllowed
from kracht.cli import main
from kracht.storage import audit, clock
from kracht.storage.database import session
from kracht.storage.tables import Application, Reminder
from kracht.workflow import engine
from kracht.workflow.services import (
    assignment,
    budgets,
    decisions,
    monitor_views,
    progress_reports,
    score_sheets,
)
from tests import factories as f
from tests.factories import make_application, run

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC

MOMENTS = [
    pytest.param(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), dt.date(2027, 1, 1), id="new-year"),
    pytest.param(dt.datetime(2027, 6, 30, 22, 30, tzinfo=UTC), dt.date(2027, 7, 1), id="july"),
]


@pytest.fixture(autouse=True)
def server_in_utc():
    """The process's local zone is UTC, as on most servers, so its local date is the UTC one."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def _budgets(world, *years: int) -> None:
    for year in years:
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=year,
            amount=f.POOL,
        )


def _approve(world, app_id: int) -> None:
    """The steering committee approves, with no budget year given: the year it is in Twente."""
    run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound", amount="64389")


# -- the clock itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_the_clock_gives_the_moment_in_utc_and_the_day_in_twente(moment, twente):
    with _at(moment):
        assert dt.date.today() == moment.date()  # the server's own day is still the old one
        assert clock.now() == moment
        assert clock.now().tzinfo is UTC
        assert clock.today() == twente
        assert clock.local(moment.replace(tzinfo=None)).date() == twente  # SQLite's naive UTC
        assert clock.local_day(moment) == twente


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_a_frozen_clock_holds_for_the_whole_process_until_its_block_ends(moment, twente):
    seen = []
    with clock.frozen(moment):
        thread = threading.Thread(target=lambda: seen.append((clock.now(), clock.today())))
        thread.start()
        thread.join()
        with clock.frozen(moment + dt.timedelta(days=1)):
            inner = clock.today()
        after_inner = clock.today()
    assert seen == [(moment, twente)]
    assert (inner, after_inner) == (twente + dt.timedelta(days=1), twente)
    assert abs(clock.now() - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)


def test_a_clock_without_a_time_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(dt.datetime(2027, 1, 1)):
        pass


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_a_frozen_clock_stamps_the_records_in_utc_and_sets_their_days(any_world, moment, twente):
    _budgets(any_world, moment.year, twente.year)
    app_id = make_application(any_world, stage="steering_decision")

    with clock.frozen(moment):
        _approve(any_world, app_id)

    with session(any_world.url) as db:
        decided = [e for e in audit.history(db) if e["trigger"] == "approve"]
        app = db.get(Application, app_id)
        updated = clock.local(app.updated_at) if app else None
    schedule = run(any_world.url, f.LEADER, monitor_views.project, app_id)["schedule"]
    assert [dt.datetime.fromisoformat(e["at"]) for e in decided] == [moment]
    assert updated == moment
    assert schedule["starts_on"] == twente.isoformat()


# -- the days kracht reckons with -----------------------------------------------------------------


def _assessed(world, deadline: dt.date) -> int:
    """An application before its committee, with `deadline` for scoring and members assigned."""
    app_id = make_application(world, stage="assessment_committee")
    deadline_data = {"scoring_deadline": deadline.isoformat()}
    run(world.url, f.LEADER, engine.record, app_id, "assessment_committee", deadline_data)
    for member in f.COMMITTEE:
        run(world.url, f.LEADER, assignment.assign, app_id, member)
    return app_id


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_scoring_does_not_open_once_the_deadline_passed_in_twente(world, moment, twente):
    with _at(moment - dt.timedelta(days=2)):
        app_id = _assessed(world, moment.date())

    with _at(moment), pytest.raises(GuardFailed) as refused:
        world.fire(app_id, "open_scoring")

    assert "a scoring deadline that has not passed" in str(refused.value)
    assert world.state(app_id) == "assessment_committee"


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_a_member_scores_no_more_after_midnight_in_twente(world, moment, twente):
    with _at(moment - dt.timedelta(days=2)):
        app_id = _assessed(world, moment.date())
        world.fire(app_id, "open_scoring")
        run(world.url, f.MEMBER, assignment.declare, app_id, None)

    with _at(moment), pytest.raises(NotAllowed) as refused:
        run(world.url, f.MEMBER, score_sheets.score, app_id, {"innovation": ("3", "novel")})

    assert str(refused.value) == (
        f"the scoring deadline for application {app_id} passed on {moment.date().isoformat()}"
    )


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_a_grant_decided_then_is_charged_to_the_year_in_twente_and_dated_that_day(
    any_world, moment, twente
):
    _budgets(any_world, moment.year, twente.year)
    app_id = make_application(any_world, stage="steering_decision")

    with _at(moment):
        _approve(any_world, app_id)

    charged = any_world.show(app_id)["decision"]["charged"]
    letter = run(any_world.url, f.LEADER, decisions.letter, app_id, "en")
    assert [c["year"] for c in charged] == [twente.year]
    assert f"Date: {moments.day(twente, 'en')}" in letter  # the day in Twente, as it reads


FIRST_REPORT = {  # the first quarterly report of a project approved on the day, and its due day
    dt.date(2027, 1, 1): ("2027-Q1", "2027-04-30"),
    dt.date(2027, 7, 1): ("2027-Q3", "2027-10-31"),
}


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_monitoring_starts_on_the_day_in_twente_and_reminds_of_the_first_report_by_it(
    world, moment, twente
):
    _budgets(world, moment.year, twente.year)
    app_id = make_application(world, stage="steering_decision")

    with _at(moment):
        _approve(world, app_id)

    project = run(world.url, f.LEADER, monitor_views.project, app_id)
    first = project["reports"][0]
    with session(world.url) as db:
        reminder = db.exec(
            select(Reminder).where(Reminder.subject_ref == f"report:{first['id']}")
        ).one()
    assert project["schedule"]["starts_on"] == twente.isoformat()
    assert (first["label"], first["period_start"], first["due_on"]) == (
        FIRST_REPORT[twente][0],
        twente.isoformat(),
        FIRST_REPORT[twente][1],
    )
    assert reminder.facts["due"] == FIRST_REPORT[twente][1]


def _report_due_on(world, day: dt.date) -> tuple[int, str]:
    """A project reporting monthly, approved at the start of the month before `day`'s month, so
    the first month's report is due at the end of `day`'s month (`day` being a month's end)."""
    started = dt.date(day.year, day.month - 1, 1)
    _budgets(world, started.year)
    app_id = make_application(world, stage="steering_decision")
    with _at(dt.datetime.combine(started, dt.time(10), UTC)):
        run(
            world.url,
            f.STEERING,
            decisions.decide,
            app_id,
            "approve",
            reason="sound",
            amount="64389",
            year=started.year,
        )
        run(world.url, f.LEADER, progress_reports.replan, app_id, every_months=1)
    first = run(world.url, f.LEADER, monitor_views.project, app_id)["reports"][0]
    assert first["due_on"] == day.isoformat()
    return app_id, first["label"]


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_monitor_late_without_as_of_is_late_on_the_day_in_twente(
    world, monkeypatch, capsys, moment, twente
):
    app_id, label = _report_due_on(world, moment.date())
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.AUDITOR)
    capsys.readouterr()

    with _at(moment):
        code = main(["monitor", "late", "--json"])

    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["application_id"], r["label"], r["days_late"]) for r in rows] == [(app_id, label, 1)]


@pytest.mark.parametrize(("moment", "twente"), MOMENTS)
def test_a_report_sent_after_midnight_in_twente_came_in_a_day_late(world, moment, twente):
    app_id, label = _report_due_on(world, moment.date())

    with _at(moment):
        sent = run(
            world.url,
            f.LEADER,
            progress_reports.submit,
            app_id,
            label,
            light="green",
            narrative="on plan",
            spent="1000",
        )

    assert (sent["report"]["received_on"], sent["report"]["days_late"]) == (twente.isoformat(), 1)


# -- nothing else reads the system clock ----------------------------------------------------------

DIRECT = re.compile(r"\b(?:date|datetime)\.(?:today|now|utcnow)\(|\btime\.time\(|\bZoneInfo\(")


def test_no_code_reads_the_system_clock_or_picks_a_time_zone_but_the_clock():
    """`storage/clock.py` alone reads the wall clock and names the programme's time zone."""
    allowed = ROOT / "storage" / "clock.py"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in ("workflow", "states", "notifications", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DIRECT.search(line)
    ]
    assert found == [], "use storage.clock (now, today, local) instead:\n" + "\n".join(found)


def test_no_test_takes_the_system_day_for_the_programme_day():
    """From 23:00 to 24:00 UTC the system day is not Twente's: tests use `clock.today()`."""
    system_day = re.compile(r"\b(?:date|datetime)\.today\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "test_clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if system_day.search(line)
    ]
    assert found == [], "use storage.clock.today() instead:\n" + "\n".join(found)
