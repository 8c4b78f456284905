"""Real-world dates beside the time of entry (issue 16, point 3): a decision taken at a meeting in
December 2018 and entered today carries its meeting day into its letter, its budget year, its
report schedule and reminders, while the audit trail keeps when it was entered; a past scoring
round is recorded with the day it opened; a condition is met on a given day; days in the future
are refused, each in one line naming its field."""

import datetime as dt

import pytest

from kracht.basics import moments
from kracht.basics.errors import GuardFailed, InvalidInput, NotAllowed
from kracht.cli import main
from kracht.commands import hints
from kracht.storage import clock
from kracht.workflow import engine
from kracht.workflow.services import (
    applications,
    approval_conditions,
    budgets,
    decisions,
    directory,
    monitor_views,
    notices,
    score_sheets,
)
from tests import factories as f
from tests.factories import make_application, run

MEETING = "2018-12-13"
TODAY = clock.today()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    """Run `kracht ARGS` in-process against the seeded database; returns (exit, stdout, stderr)."""
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))

    def run_cli(*args: str, user: str = f.LEADER) -> tuple[int, str, str]:
        monkeypatch.setenv("KRACHT_USER", user)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def _budget_2018(world, programme=f.AVT_2018):
    run(world.url, f.LEADER, budgets.set_budget, programme=programme, year=2018, amount="2000000")


def _approve(world, app_id, **kw):
    return run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound plan",
               amount="64389", **kw)  # fmt: skip


def _fired(world, app_id, trigger):
    return next(
        e
        for e in run(world.url, f.LEADER, applications.history, app_id)
        if e["trigger"] == trigger and e["outcome"] == "ok"
    )


def test_a_decision_entered_today_carries_its_meeting_day(any_world):
    world = any_world
    _budget_2018(world)
    app_id = make_application(world, stage="steering_decision")

    decided = _approve(world, app_id, decided_on=MEETING)

    assert [c["year"] for c in decided["charged"]] == [2018]  # the year of the meeting
    letters = {lang: run(world.url, f.LEADER, decisions.letter, app_id, lang) for lang in "nl en"
               .split()}  # fmt: skip
    assert "Datum: 13 december 2018\n" in letters["nl"]
    assert "Date: 13 December 2018\n" in letters["en"]
    monitoring = run(world.url, f.LEADER, monitor_views.project, app_id)
    assert monitoring["schedule"]["starts_on"] == MEETING
    first = monitoring["reports"][0]
    # a short first period (13-31 December) joins the next quarter
    assert (first["label"], first["period_start"], first["due_on"]) == (
        "2019-Q1",
        MEETING,
        "2019-04-30",
    )
    chased = [r for r in run(world.url, f.LEADER, notices.reminders_list, None, app_id, False)
              if r["kind"] == "report_due"]  # fmt: skip
    assert min(r["due"] for r in chased) == "2019-04-30"
    event = _fired(world, app_id, "approve")
    assert event["payload"]["values"]["decided_on"] == MEETING
    assert clock.local_day(dt.datetime.fromisoformat(event["at"])) == TODAY  # entered today
    shown = world.show(app_id)["decision"]
    assert (shown["decided_on"], shown["decided_at"]) == (MEETING, event["at"])


def test_without_a_meeting_day_the_decision_is_of_the_day_it_is_entered(world):
    app_id = make_application(world, stage="steering_decision")

    decided = _approve(world, app_id)

    assert [c["year"] for c in decided["charged"]] == [TODAY.year]
    assert f"Date: {moments.day(TODAY, 'en')}\n" in run(world.url, f.LEADER, decisions.letter,
                                                          app_id, "en")  # fmt: skip
    assert world.show(app_id)["monitoring"]["schedule"]["starts_on"] == TODAY.isoformat()
    assert "decided_on" not in _fired(world, app_id, "approve")["payload"]["values"]


def test_a_deferral_is_dated_by_its_meeting_too(any_world):
    world = any_world
    app_id = make_application(world, stage="steering_decision")

    run(world.url, f.STEERING, decisions.decide, app_id, "defer", reason="more parties needed",
        deferred_until="2019-01-01", decided_on="2018-10-31")  # fmt: skip

    assert "Date: 31 October 2018\n" in run(world.url, f.LEADER, decisions.letter, app_id, "en")
    event = _fired(world, app_id, "defer")
    assert event["payload"]["values"]["deferred_on"] == "2018-10-31"
    assert world.show(app_id)["decision"]["decided_on"] == "2018-10-31"


def test_a_meeting_day_in_the_future_is_refused_naming_the_field(world, kracht):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(InvalidInput) as future:
        _approve(world, app_id, decided_on=TOMORROW)
    with pytest.raises(InvalidInput) as fired:
        world.fire(app_id, "approve", actor=f.STEERING, reason="sound plan",
                   values={"granted": "64389", "decided_on": TOMORROW})  # fmt: skip
    code, out, err = kracht("decide", str(app_id), "approve", "--reason", "sound plan", "--amount",
                            "64389", "--decided-on", TOMORROW, user=f.STEERING)  # fmt: skip

    assert future.value.field == "decided_on"
    assert str(fired.value) == (
        f"decided_on: {TOMORROW} lies in the future (today is {TODAY.isoformat()}); give the "
        "day it happened"
    )
    assert (code, out) == (1, "")  # a value that breaks an input rule
    assert err == (
        f"kracht: decided on (--decided-on): {TOMORROW} lies in the future (today is "
        f"{TODAY.isoformat()}); give the day the committee met\n"
    )
    assert world.state(app_id) == "steering_decision"


def test_a_decision_before_its_programme_began_is_refused(world):
    from kracht.workflow.effects import grants

    run(world.url, f.LEADER, directory.add_programme, code="avt-dated", name="Dated",
        lines=[("talent", "Talent")], starts_on=dt.date(2018, 1, 10),
        not_applicable={"ecosystem_analysis": "none in this period"})  # fmt: skip
    _budget_2018(world, "avt-dated")
    app_id = make_application(world, stage="steering_decision", programme="avt-dated")

    with pytest.raises(GuardFailed) as early:
        _approve(world, app_id, decided_on="2017-12-20")

    assert hints.need_lines(early.value) == [
        "a decision date no earlier than the start of avt-dated, 2018-01-10 (decided_on, "
        "`--decided-on`; 2017-12-20 was given)"
    ]
    assert grants.DAY_FIELDS == {"defer": "deferred_on"}
    assert world.state(app_id) == "steering_decision"


def test_an_innovation_table_session_in_the_future_is_refused_and_shown_in_history(world):
    app_id = make_application(world, stage="innovation_table")

    with pytest.raises(InvalidInput) as future:
        run(world.url, f.LEADER, engine.record, app_id, "innovation_table",
            {"table_date": TOMORROW})  # fmt: skip
    run(world.url, f.LEADER, engine.record, app_id, "innovation_table",
        {"table_date": "2018-09-17"})  # fmt: skip

    assert str(future.value).startswith(f"table_date: {TOMORROW} lies in the future")
    recorded = [e for e in run(world.url, f.LEADER, applications.history, app_id)
                if e["action"] == "record" and "table_date" in e["payload"]["values"]]  # fmt: skip
    assert [e["payload"]["values"]["table_date"] for e in recorded] == ["2018-09-17"]


def _committee_ready(world, deadline):
    app_id = make_application(world, stage="assessment_committee")
    f.prepare(world, app_id, "assessment_committee")  # the committee assigned
    run(world.url, f.LEADER, engine.record, app_id, "assessment_committee",
        {"scoring_deadline": deadline})  # fmt: skip
    return app_id


def test_a_past_scoring_round_is_recorded_with_the_day_it_opened(any_world):
    world = any_world
    app_id = _committee_ready(world, "2018-10-26")

    with pytest.raises(GuardFailed) as today:  # a round opened today: the deadline has passed
        world.fire(app_id, "open_scoring")
    with pytest.raises(GuardFailed) as before:  # a deadline before the round opened
        world.fire(app_id, "open_scoring", values={"scoring_opened_on": "2018-10-29"})
    with pytest.raises(InvalidInput):
        world.fire(app_id, "open_scoring", values={"scoring_opened_on": TOMORROW})
    opened = world.fire(app_id, "open_scoring", values={"scoring_opened_on": "2018-10-15"})
    for member in f.COMMITTEE:  # the sheets of a past round are entered after its deadline
        f.score_sheet(world, app_id, member)

    assert today.value.missing[0].startswith("a scoring deadline that has not passed (2018-10-26")
    assert before.value.missing == [
        "a scoring deadline that has not passed (scoring_deadline 2018-10-26 lies before the day "
        "scoring opened, 2018-10-29)"
    ]
    assert opened["effects"]["opened_on"] == "2018-10-15"
    assert opened["to"] == "kracht_scoring"
    sheets = run(world.url, f.LEADER, score_sheets.view, app_id)["rounds"][-1]["aggregate"]
    assert sheets["sheets"] == len(f.COMMITTEE)
    chased = run(world.url, f.LEADER, notices.reminders_list, None, app_id, True)
    assert [r for r in chased if r["kind"] == "scoring_deadline"] == []  # nobody is late


def test_a_round_opened_today_still_closes_at_its_deadline(world):
    app_id = _committee_ready(world, TODAY.isoformat())
    world.fire(app_id, "open_scoring")

    with clock.frozen(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        with pytest.raises(NotAllowed) as late:
            f.score_sheet(world, app_id, f.CHAIR)

    assert str(late.value) == (
        f"the scoring deadline for application {app_id} passed on {TODAY.isoformat()}"
    )


def _conditional(world, decided_on="2018-10-31"):
    _budget_2018(world)
    app_id = make_application(world, stage="steering_decision")
    run(world.url, f.STEERING, decisions.decide, app_id, "approve_with_conditions",
        reason="promising", amount="60000", decided_on=decided_on,
        conditions=[("2019-01-31", f.LEADER, "an implementation plan"),
                    ("2019-03-31", f.LEADER, "serve the whole region")],
        departure_rationale="conditions for the region")  # fmt: skip
    return app_id


def _meet(world, app_id, number, met_on):
    return run(world.url, f.LEADER, approval_conditions.meet_condition, app_id, number,
               "done", met_on)  # fmt: skip


def test_a_condition_is_met_on_a_given_day_and_the_reports_start_from_the_last(any_world):
    world = any_world
    app_id = _conditional(world)

    with pytest.raises(InvalidInput) as future:
        _meet(world, app_id, 1, TOMORROW)
    with pytest.raises(InvalidInput) as early:
        _meet(world, app_id, 1, "2018-10-30")
    met = _meet(world, app_id, 1, "2019-01-24")
    _meet(world, app_id, 2, "2019-03-20")
    world.fire(app_id, "conditions_met")

    assert (future.value.field, early.value.field) == ("met_on", "met_on")
    assert str(early.value) == (
        "met on: 2018-10-30 lies before the decision that set the condition, on 2018-10-31"
    )
    assert met["met_on"] == "2019-01-24"
    listed = run(world.url, f.LEADER, approval_conditions.list_conditions, app_id)
    assert [(c["number"], c["status"], c["met_on"]) for c in listed] == [
        (1, "met", "2019-01-24"),
        (2, "met", "2019-03-20"),
    ]
    event = next(e for e in run(world.url, f.LEADER, applications.history, app_id)
                 if e["action"] == "condition.met")  # fmt: skip
    assert event["payload"]["met_on"] == "2019-01-24"
    assert clock.local_day(dt.datetime.fromisoformat(event["at"])) == TODAY
    schedule = world.show(app_id)["monitoring"]["schedule"]
    assert schedule["starts_on"] == "2019-03-20"  # the day the last condition was met
    with pytest.raises(InvalidInput) as again:
        _meet(world, app_id, 1, None)
    assert str(again.value) == "condition 1 was already met on 2019-01-24"


def test_history_shows_the_meeting_day_beside_the_time_of_entry(world, kracht):
    _budget_2018(world)
    app_id = make_application(world, stage="steering_decision")
    _approve(world, app_id, decided_on=MEETING)

    code, out, _ = kracht("app", "history", str(app_id))

    assert code == 0
    header, *lines = out.splitlines()
    assert header.split()[:3] == ["SEQ", "AT", "HAPPENED"]
    (approve,) = [line for line in lines if " approve " in line]
    assert "decided 13 December 2018" in approve
    assert f" {TODAY.isoformat()}T" in approve  # and when it was entered


def test_history_leaves_the_column_out_where_nothing_happened_on_another_day(world, kracht):
    # the 2023 programme has no innovation table, whose session has a day of its own
    app_id = make_application(world, stage="steering_decision", programme=f.AVT_2023)
    _approve(world, app_id)

    code, out, _ = kracht("app", "history", str(app_id))

    assert code == 0
    assert "HAPPENED" not in out.splitlines()[0]


def test_a_decision_is_not_dated_before_the_application_was_submitted(world):
    app_id = run(world.url, f.LEADER, applications.create, title="Late idea", programme=f.AVT_2018,
                 applicant=f.TALENTIT, requested="64389", line="talent",
                 submitted_on="2018-11-01")["id"]  # fmt: skip
    f.complete_proposal(world, app_id)
    while world.state(app_id) != "steering_decision":
        state = world.state(app_id)
        f.prepare(world, app_id, state)
        forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
        world.fire(app_id, forward[0], actor=f.FIRED_BY.get(state, f.LEADER),
                   values=f.FIRED_WITH.get(state))  # fmt: skip

    with pytest.raises(
        GuardFailed,
        match="no earlier than the application's submission, "
        "2018-11-01 \\(decided_on; 2018-10-31 was given\\)",
    ):
        run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="yes",
            amount="64389", decided_on="2018-10-31")  # fmt: skip
