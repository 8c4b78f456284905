"""Monitoring approved projects: schedules, progress reports, measured values and close-out."""

import datetime as dt

import pytest
import time_machine
from sqlmodel import select

from kracht.basics.errors import GuardFailed, InvalidInput, NotAllowed
from kracht.cli import main
from kracht.commands import hints
from kracht.notifications import reminders
from kracht.storage import audit, clock
from kracht.storage.database import Database, session
from kracht.storage.tables import IndicatorValue, OutboxMessage, Reminder
from kracht.workflow.schedule import plan
from kracht.workflow.services import (
    applications,
    approval_conditions,
    decisions,
    directory,
    monitor_views,
    progress_reports,
)
from tests import factories as f
from tests.factories import THIS_YEAR, make_application, run

INDICATOR = "students meeting firms"  # the factories' indicator: students, 0 -> 150


def _dues(periods):
    return [(p.label, p.start.isoformat(), p.end.isoformat(), p.due.isoformat()) for p in periods]


def _approved_on(world, day: dt.date, **kw) -> int:
    """An application approved on `day` (the clock set back), charged to this year's pool."""
    app_id = make_application(world, stage="steering_decision", **kw)
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), dt.UTC), tick=False):
        run(
            world.url,
            f.STEERING,
            decisions.decide,
            app_id,
            "approve",
            reason="sound",
            amount="64389",
            year=THIS_YEAR,
        )
    return app_id


def _reports(world, app_id):
    return run(world.url, f.LEADER, monitor_views.project, app_id)["reports"]


def _submit(world, app_id, label, actor=f.LEADER, **kw):
    fields = {"light": "green", "narrative": "on plan", "spent": "1000"} | kw
    return run(world.url, actor, progress_reports.submit, app_id, label, **fields)


def _trail(world):
    with session(world.url) as db:
        return audit.history(db)


def _rows(world, model, **where):
    with session(world.url) as db:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(db.exec(query).all())


# -- the schedule rule --------------------------------------------------------------------------


def test_a_grant_on_31_january_reports_quarterly_by_each_following_month_end():
    periods = plan(dt.date(2019, 1, 31), dt.date(2019, 12, 31))

    assert _dues(periods) == [
        ("2019-Q1", "2019-01-31", "2019-03-31", "2019-04-30"),
        ("2019-Q2", "2019-04-01", "2019-06-30", "2019-07-31"),
        ("2019-Q3", "2019-07-01", "2019-09-30", "2019-10-31"),
        ("2019-Q4", "2019-10-01", "2019-12-31", "2020-01-31"),
    ]


@pytest.mark.parametrize(
    ("year", "february_due"), [(2019, "2019-02-28"), (2020, "2020-02-29"), (2100, "2100-02-28")]
)
def test_monthly_reports_are_due_at_the_real_end_of_february(year, february_due):
    periods = plan(dt.date(year, 1, 10), dt.date(year, 3, 31), every_months=1)

    assert [p.due.isoformat() for p in periods] == [
        february_due,
        f"{year}-03-31",
        f"{year}-04-30",
    ]


def test_a_first_period_shorter_than_half_a_period_joins_the_next():
    periods = plan(dt.date(2018, 12, 31), dt.date(2019, 9, 1))

    assert _dues(periods) == [
        ("2019-Q1", "2018-12-31", "2019-03-31", "2019-04-30"),
        ("2019-Q2", "2019-04-01", "2019-06-30", "2019-07-31"),
        ("2019-Q3", "2019-07-01", "2019-09-30", "2019-10-31"),
    ]


@pytest.mark.parametrize(
    ("every", "after", "expected"),
    [
        # May-June is a third of the half year: it joins the second half
        (6, 1, [("2019-H2", "2019-05-01", "2020-01-31")]),
        (12, 2, [("2019", "2019-05-01", "2020-02-29")]),
        # May-June is two thirds of the quarter: long enough to stand alone
        (3, 0, [("2019-Q2", "2019-05-01", "2019-06-30"), ("2019-Q3", "2019-07-01", "2019-09-30"),
                ("2019-Q4", "2019-10-01", "2019-12-31")]),
    ],
)  # fmt: skip
def test_other_cadences_and_due_months(every, after, expected):
    periods = plan(dt.date(2019, 5, 1), dt.date(2019, 12, 1), every, after)

    assert [(p.label, p.start.isoformat(), p.due.isoformat()) for p in periods] == expected


# -- entering monitoring ------------------------------------------------------------------------


def test_approval_plans_the_reports_and_their_reminders_in_the_decision(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))

    reports = _reports(any_world, app_id)
    approve = run(any_world.url, f.LEADER, applications.history, app_id)[-1]

    assert [(r["label"], r["due_on"]) for r in reports[:4]] == [
        ("2019-Q1", "2019-04-30"),
        ("2019-Q2", "2019-07-31"),
        ("2019-Q3", "2019-10-31"),
        ("2019-Q4", "2020-01-31"),
    ]
    assert reports[-1]["period_end"] == f"{THIS_YEAR}-12-31"  # the grant's budget year
    assert approve["trigger"] == "approve"
    assert approve["payload"]["effects"]["schedule"]["reports"][0] == {
        "label": "2019-Q1",
        "due_on": "2019-04-30",
    }
    reminders = _rows(any_world, Reminder, kind="report_due", application_id=app_id)
    assert len(reminders) == len(reports)
    first = next(r for r in reminders if r.subject_ref == f"report:{reports[0]['id']}")
    assert (first.key, first.recipient, first.facts) == (
        f"report_due:{reports[0]['id']}:20190131T100000000000Z:{f.APPLICANT}",  # report, plan, whom
        f.APPLICANT,
        {"report": "2019-Q1", "due": "2019-04-30"},
    )


def test_meeting_the_conditions_plans_the_reports(world):
    app_id = make_application(world, stage="approved_with_conditions")
    run(world.url, f.LEADER, approval_conditions.meet_condition, app_id, 1, "plan received")

    before = _reports(world, app_id)
    world.fire(app_id, "conditions_met")

    assert before == []
    assert _reports(world, app_id)[0]["period_start"] == clock.today().isoformat()
    assert world.show(app_id)["monitoring"]["schedule"]["every_months"] == 3


def test_a_programme_may_report_half_yearly(world, tmp_path):
    from kracht.workflow.config import DEFAULT_FILE
    from kracht.workflow.services import directory

    config = tmp_path / "half-yearly.toml"
    text = DEFAULT_FILE.read_text().replace("report_every_months = 3", "report_every_months = 6")
    config.write_text(text)
    run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, config)

    app_id = _approved_on(world, dt.date(2019, 2, 1))

    assert [r["label"] for r in _reports(world, app_id)[:2]] == ["2019-H1", "2019-H2"]


def test_a_schedule_with_a_cadence_kracht_cannot_plan_is_refused_at_configuration(world, tmp_path):
    from kracht.workflow.config import DEFAULT_FILE
    from kracht.workflow.services import directory

    config = tmp_path / "bad.toml"
    config.write_text(
        DEFAULT_FILE.read_text().replace("report_every_months = 3", "report_every_months = 5")
    )

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, config)

    assert str(error.value) == "bad.toml: monitoring.report_every_months must be one of 1, 3, 6, 12"


# -- late reports -------------------------------------------------------------------------------


def test_a_report_past_its_due_date_is_late_until_submitted(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))

    on_time = run(any_world.url, f.LEADER, monitor_views.late, dt.date(2019, 4, 30))
    late = run(any_world.url, f.LEADER, monitor_views.late, dt.date(2019, 5, 3))
    _submit(any_world, app_id, "2019-Q1", received_on="2019-05-03")
    after = run(any_world.url, f.LEADER, monitor_views.late, dt.date(2019, 5, 3))

    assert on_time == []
    assert [(r["application_id"], r["label"], r["due_on"], r["days_late"]) for r in late] == [
        (app_id, "2019-Q1", "2019-04-30", 3)
    ]
    assert after == []
    submitted = _reports(any_world, app_id)[0]
    assert (submitted["status"], submitted["days_late"]) == ("submitted", 3)


def test_the_cli_lists_late_reports(world, capsys):
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    argv = ["--db", world.url.removeprefix("sqlite:///"), "--as", f.AUDITOR]

    code = main([*argv, "monitor", "late", "--as-of", "2019-08-01", "--json"])

    import json

    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["application_id"], r["label"], r["days_late"]) for r in rows] == [
        (app_id, "2019-Q1", 93),
        (app_id, "2019-Q2", 1),
    ]


# -- who is reminded of a report ----------------------------------------------------------------

FONDS = "Twents Fonds voor Vakmanschap"  # an applicant organisation with nobody in kracht yet
FONDS_LEAD = "projectleider@vakmanschap.example.org"


def _fonds_project(world) -> int:
    """A project of an organisation without an applicant person, approved on 31 January 2019."""
    run(world.url, f.LEADER, directory.add_org, name=FONDS, o_type="education")
    return _approved_on(world, dt.date(2019, 1, 31), title="Vakmanschap", applicant=FONDS)


def _messages(world, event, application_id):
    rows = _rows(world, OutboxMessage, event=event, application_id=application_id)
    return sorted(rows, key=lambda m: m.id or 0)


def _open_reminders(world, app_id):
    rows = _rows(world, Reminder, kind="report_due", application_id=app_id)
    return [r for r in rows if r.status in reminders.OPEN]


def test_without_an_applicant_person_each_programme_leader_is_reminded_of_each_report(any_world):
    second = "second.leader@example.org"
    run(any_world.url, f.LEADER, directory.add_person, name="Second Leader", email=second,
                         roles=["programme_leader"])  # fmt: skip
    app_id = _fonds_project(any_world)
    reports = _reports(any_world, app_id)

    rows = _rows(any_world, Reminder, kind="report_due", application_id=app_id)
    for leader in (f.LEADER, second):
        theirs = [r for r in rows if r.recipient == leader]
        assert sorted(r.subject_ref for r in theirs) == sorted(f"report:{r['id']}" for r in reports)
    assert {r.facts["stand_in"] for r in rows} == {True}
    first = next(r for r in rows if r.facts["report"] == "2019-Q1")
    remind, due, escalate = (first.remind_at, first.due_at, first.escalate_at)

    steps = [
        reminders.fire_due(Database(any_world.url), reminders.ensure_utc(moment))
        for moment in (remind, due, escalate)
    ]

    assert [sorted(s["event"] for s in step) for step in steps] == [
        ["report_due"] * 2,
        ["report_overdue"] * 2,
        [],
    ]  # fmt: skip: a stand-in does not escalate: it already chases the leaders, each once
    due_notice, overdue_notice, escalation = (
        _messages(any_world, event, app_id)
        for event in ("report_due", "report_overdue", "overdue_escalation")
    )
    assert sorted(m.recipient for m in due_notice) == sorted([f.LEADER, second])
    assert sorted(m.recipient for m in overdue_notice) == sorted([f.LEADER, second])
    assert escalation == []
    stand_in = f"Niemand bij {FONDS} heeft in kracht de rol van aanvrager"
    assert stand_in in due_notice[0].text
    assert f"kracht monitor submit {app_id} 2019-Q1" in due_notice[0].text
    assert stand_in in overdue_notice[0].text


def test_a_report_submitted_or_replanned_ends_the_programme_leaders_stand_in(world):
    app_id = _fonds_project(world)
    _submit(world, app_id, "2019-Q1", received_on="2019-04-30")

    run(world.url, f.LEADER, progress_reports.replan, app_id, every_months=6)

    rows = _rows(world, Reminder, kind="report_due", application_id=app_id)
    q1 = next(r["id"] for r in _reports(world, app_id) if r["label"] == "2019-Q1")
    assert [r.status for r in rows if r.subject_ref == f"report:{q1}"] == ["done"]
    still_open = _open_reminders(world, app_id)
    assert sorted(r.subject_ref for r in still_open) == sorted(
        f"report:{r['id']}" for r in _reports(world, app_id) if r["status"] in ("due", "late")
    )
    assert {r.recipient for r in still_open} == {f.LEADER}
    assert len({r.key for r in rows}) == len(rows)


def test_an_applicant_who_joins_later_is_reminded_of_the_open_reports_instead(any_world):
    url = any_world.url
    app_id = _fonds_project(any_world)
    _submit(any_world, app_id, "2019-Q1", received_on="2019-04-30")
    open_reports = [r for r in _reports(any_world, app_id) if r["status"] in ("due", "late")]
    today = dt.datetime.now(reminders.ZONE).date()  # the reminders' days are Amsterdam days
    late = [r for r in open_reports if dt.date.fromisoformat(r["due_on"]) < today]

    run(url, f.LEADER, directory.add_person, name="Fonds Lead", email=FONDS_LEAD,
                         roles=["applicant"], organisation=FONDS)  # fmt: skip

    rows = _rows(any_world, Reminder, kind="report_due", application_id=app_id)
    theirs = [r for r in rows if r.recipient == FONDS_LEAD]
    stand_ins = [r for r in rows if r.recipient == f.LEADER]
    assert sorted(r.subject_ref for r in theirs) == sorted(
        f"report:{r['id']}" for r in open_reports
    )
    assert all("stand_in" not in r.facts for r in theirs)
    assert sorted(r.status for r in stand_ins) == ["cancelled"] * len(open_reports) + ["done"]
    added = [e for e in _trail(any_world) if e["action"] == "person.add"][-1]
    assert added["payload"]["reports_reminded"] == [
        {
            "application_id": app_id,
            "reports": [r["label"] for r in open_reports],
            "stand_ins_cancelled": len(open_reports),
        }
    ]

    now = dt.datetime.now(dt.UTC)
    told = reminders.fire_due(Database(url), now)
    escalated = reminders.fire_due(Database(url), now + dt.timedelta(days=8))

    assert [(s["event"], s["messages"]) for s in told] == [("report_overdue", [FONDS_LEAD])] * len(
        late
    )  # they hear of each late report first; the programme leader a week later, if still late
    escalations = [s for s in escalated if s["event"] == "overdue_escalation"]
    assert [s["messages"] for s in escalations] == [[f.LEADER]] * len(late)
    assert all(f"Fonds Lead <{FONDS_LEAD}>" in m.text
               for m in _messages(any_world, "overdue_escalation", app_id))  # fmt: skip


def test_a_person_without_the_applicant_role_takes_over_nothing(world):
    app_id = _fonds_project(world)
    before = [(r.key, r.status) for r in _rows(world, Reminder, application_id=app_id)]

    run(world.url, f.LEADER, directory.add_person, name="Fonds Reviewer", email=FONDS_LEAD,
                         roles=["committee_member"], organisation=FONDS)  # fmt: skip

    assert [(r.key, r.status) for r in _rows(world, Reminder, application_id=app_id)] == before


# -- submitting reports -------------------------------------------------------------------------


def test_a_report_carries_light_narrative_spending_and_values_and_is_audited(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))

    result = _submit(
        any_world,
        app_id,
        "2019-Q1",
        light="orange",
        narrative="fewer firms than planned",
        spent="€ 12.500,50",
        values={INDICATOR: "31"},
        received_on="2019-04-29",
    )

    report = _reports(any_world, app_id)[0]
    assert (report["status"], report["traffic_light"], report["spent_cents"]) == (
        "submitted",
        "orange",
        1250050,
    )
    assert (report["received_on"], report["days_late"]) == ("2019-04-29", 0)
    values = _rows(any_world, IndicatorValue, application_id=app_id)
    assert [(v.value, v.measured_on, v.report_id) for v in values] == [
        ("31", dt.date(2019, 3, 31), report["id"])
    ]
    event = run(any_world.url, f.LEADER, applications.history, app_id)[-1]
    assert (event["action"], event["seq"]) == ("report.submit", result["event"])
    assert event["payload"]["report"]["label"] == "2019-Q1"
    reminders = _rows(any_world, Reminder, subject_ref=f"report:{report['id']}")
    assert {r.status for r in reminders} == {"done"}


def test_a_red_report_without_measures_is_refused_and_nothing_is_kept(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    events = len(run(any_world.url, f.LEADER, applications.history, app_id))

    with pytest.raises(InvalidInput) as error:
        _submit(any_world, app_id, "2019-Q1", light="red", narrative="drought", measures="  ")
    _submit(
        any_world,
        app_id,
        "2019-Q2",
        light="red",
        narrative="drought",
        measures="irrigated plots; planting moved to spring",
    )

    assert hints.line(error.value) == "a red report needs the measures taken (--measures TEXT)"
    reports = _reports(any_world, app_id)
    assert (reports[0]["status"], reports[1]["status"]) == ("late", "submitted")
    assert reports[1]["measures"] == "irrigated plots; planting moved to spring"
    assert len(run(any_world.url, f.LEADER, applications.history, app_id)) == events + 1


def _with_probe(world, unit):
    """A project approved on 31 January 2019 with an indicator `probe` in `unit`."""
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    run(world.url, f.LEADER, applications.add_indicator, app_id, name="probe", measured_in=unit,
                               baseline="0", target="50", target_date="2022-12-31")  # fmt: skip
    return app_id


@pytest.mark.parametrize(
    ("unit", "value", "message"),
    [
        (
            "students",
            "12.5",
            "indicator 'probe' (students): 12.5 is not a count; give a whole number from 0",
        ),
        (
            "students",
            "-3",
            "indicator 'probe' (students): -3 is not a count; give a whole number from 0",
        ),
        (
            "students",
            "many",
            "indicator 'probe' (students): 'many' is not a number; give a whole "
            "number like 42, without thousands separators",
        ),
        (
            "students",
            "1,500",
            "indicator 'probe' (students): '1,500' is not a number; give a "
            "whole number like 42, without thousands separators",
        ),
        ("%", "120", "indicator 'probe' (%): 120 is not a percentage; give a number from 0 to 100"),
        (
            "EUR",
            "12 euro",
            "indicator 'probe' (EUR): '12 euro' is not an amount in euros (write "
            "e.g. 64389 or 64389.50)",
        ),
        (
            "tonnes CO2",
            "NaN",
            "indicator 'probe' (tonnes CO2): 'NaN' is not a number; give a "
            "number like 12.5, without thousands separators",
        ),
    ],
)
def test_a_value_outside_its_indicators_unit_is_refused(world, unit, value, message):
    app_id = _with_probe(world, unit)

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, progress_reports.record_value, app_id, "probe", value)

    assert str(error.value) == message
    assert _rows(world, IndicatorValue, application_id=app_id) == []


@pytest.mark.parametrize(
    ("unit", "value", "kept"),
    [
        ("students", "42", "42"),
        ("%", "55,5%", "55.5"),
        ("EUR", "€ 1.234,50", "1234.50"),
        ("tonnes CO2", "-3.250", "-3.25"),
    ],
)
def test_a_value_in_its_unit_is_kept_exactly(world, unit, value, kept):
    app_id = _with_probe(world, unit)

    run(
        world.url,
        f.LEADER,
        progress_reports.record_value,
        app_id,
        "probe",
        value,
        measured_on="2019-06-01",
    )

    assert [(v.value, v.measured_on) for v in _rows(world, IndicatorValue)] == [
        (kept, dt.date(2019, 6, 1))
    ]


def test_one_bad_value_refuses_the_whole_report(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    run(
        any_world.url,
        f.LEADER,
        applications.add_indicator,
        app_id,
        name="firms",
        measured_in="companies",
        baseline="0",
        target="50",
        target_date="2022-12-31",
    )

    with pytest.raises(InvalidInput):
        _submit(any_world, app_id, "2019-Q1", values={INDICATOR: "12", "firms": "7.5"})

    assert _reports(any_world, app_id)[0]["status"] == "late"
    assert _rows(any_world, IndicatorValue, application_id=app_id) == []


def test_only_the_applicant_and_programme_leaders_report_and_only_leaders_backdate(world):
    app_id = _approved_on(world, dt.date(2019, 1, 31))

    with pytest.raises(NotAllowed) as outsider:
        _submit(world, app_id, "2019-Q1", actor=f.OUTSIDER)
    with pytest.raises(NotAllowed) as backdated:
        _submit(world, app_id, "2019-Q1", actor=f.APPLICANT, received_on="2019-04-01")
    _submit(world, app_id, "2019-Q1", actor=f.APPLICANT)

    assert str(outsider.value) == (
        f"{f.OUTSIDER} may not report.submit on application {app_id}: it is another "
        "organisation's application"
    )
    assert str(backdated.value) == (
        f"{f.APPLICANT} may not record a report as received earlier: only a programme leader "
        "enters reports that came in before today"
    )
    assert _reports(world, app_id)[0]["submitted_by"] == f.APPLICANT


def test_a_report_is_submitted_once_and_not_before_its_period(world):
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    run(world.url, f.LEADER, progress_reports.replan, app_id, end_on=f"{THIS_YEAR + 1}-12-31")
    _submit(world, app_id, "2019-Q1")
    today = clock.today().isoformat()
    future = next(r for r in _reports(world, app_id) if r["period_start"] > today)

    with pytest.raises(InvalidInput) as twice:
        _submit(world, app_id, "2019-Q1")
    with pytest.raises(InvalidInput) as early:
        _submit(world, app_id, future["label"])

    assert str(twice.value) == (
        f"report 2019-Q1 of application {app_id} was submitted on {clock.today().isoformat()}"
    )
    assert str(early.value) == (
        f"report {future['label']} covers {future['period_start']} to {future['period_end']}, "
        "which has not begun yet"
    )


def test_reports_exist_only_for_projects_in_monitoring(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(NotAllowed) as error:
        run(world.url, f.LEADER, progress_reports.record_value, app_id, INDICATOR, "3")

    assert str(error.value) == (
        f"application {app_id} is steering_decision; only a project in monitoring can record "
        "measured values"
    )


def test_replanning_keeps_submitted_reports_and_replaces_the_rest(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    _submit(any_world, app_id, "2019-Q1", received_on="2019-04-20")
    old = {r["label"]: r["id"] for r in _reports(any_world, app_id)}

    run(
        any_world.url,
        f.LEADER,
        progress_reports.replan,
        app_id,
        every_months=6,
        end_on="2020-12-31",
    )

    reports = _reports(any_world, app_id)
    assert [(r["label"], r["status"]) for r in reports] == [
        ("2019-Q1", "submitted"),
        ("2019-H1", "late"),
        ("2019-H2", "late"),
        ("2020-H1", "late"),
        ("2020-H2", "late"),
    ]
    assert reports[0]["id"] == old["2019-Q1"]
    assert reports[1]["period_start"] == "2019-04-01"
    rows = _rows(any_world, Reminder, kind="report_due", application_id=app_id)
    assert {r.status for r in rows if r.facts["report"] == "2019-Q2"} == {"cancelled"}
    # each new report is chased once, also where it took the id of a report the replan deleted
    assert sorted(r.subject_ref for r in rows if r.status in reminders.OPEN) == sorted(
        f"report:{r['id']}" for r in reports[1:]
    )


# -- close-out ----------------------------------------------------------------------------------


def test_close_out_is_refused_while_reports_are_missing_and_keeps_nothing(any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    for label in ("2019-Q1", "2019-Q2"):
        _submit(any_world, app_id, label)
    missing = [r for r in _reports(any_world, app_id) if r["status"] == "late"]

    with pytest.raises(GuardFailed) as error:
        run(
            any_world.url,
            f.LEADER,
            progress_reports.close_out,
            app_id,
            final_report="done",
            spent="60000",
            values={INDICATOR: "150"},
        )

    named = "; ".join(f"{r['label']} (due {r['due_on']})" for r in missing[:5])
    assert hints.line(error.value) == (
        f"cannot close application {app_id}: needs every progress report due so far "
        f"(missing: {named}; and {len(missing) - 5} more; `kracht monitor late`)"
    )
    assert any_world.state(app_id) == "monitoring"
    assert [r["label"] for r in _reports(any_world, app_id) if r["kind"] == "final"] == []
    assert _rows(any_world, IndicatorValue, application_id=app_id) == []
    with session(any_world.url) as db:
        refused = audit.history(db, app_id)[-1]
    assert (refused["trigger"], refused["outcome"]) == ("close", "refused")


def test_close_out_needs_a_final_value_for_every_indicator(world):
    app_id = make_application(world, stage="monitoring")

    with pytest.raises(GuardFailed) as error:
        run(world.url, f.LEADER, progress_reports.close_out, app_id, final_report="done", spent="1")

    assert hints.need_lines(error.value) == [
        f"a final value for every indicator (none yet for: {INDICATOR}; `kracht monitor value`)"
    ]


def test_close_out_keeps_the_final_report_and_cancels_reports_not_yet_due(any_world):
    app_id = make_application(any_world, stage="monitoring")  # approved today: nothing due yet

    result = run(
        any_world.url,
        f.LEADER,
        progress_reports.close_out,
        app_id,
        final_report="162 students met 50 firms",
        spent="60000",
        values={INDICATOR: "162"},
        reason="targets met early",
    )

    assert (result["from"], result["to"]) == ("monitoring", "closed")
    reports = _reports(any_world, app_id)
    final = reports[-1]
    assert (final["kind"], final["status"], final["narrative"], final["spent_cents"]) == (
        "final",
        "submitted",
        "162 students met 50 firms",
        6000000,
    )
    assert {r["status"] for r in reports[:-1]} == {"cancelled"}
    indicator = run(any_world.url, f.LEADER, monitor_views.project, app_id)["indicators"][0]
    assert (indicator["latest"], indicator["progress_percent"], indicator["target_met"]) == (
        "162",
        108.0,
        True,
    )
    reminders = _rows(any_world, Reminder, application_id=app_id, kind="report_due")
    assert reminders != []
    assert {r.status for r in reminders} == {"cancelled"}


def test_withdrawing_a_project_in_monitoring_cancels_its_open_reports(world):
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    _submit(world, app_id, "2019-Q1")

    world.fire(app_id, "withdraw", reason="the project stopped")

    statuses = [r["status"] for r in _reports(world, app_id)]
    assert statuses[0] == "submitted"
    assert set(statuses[1:]) == {"cancelled"}


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--light", "purple"], "traffic light 'purple' is not one of green, orange, red"),
        (["--light", "red"], "a red report needs the measures taken (--measures TEXT)"),
        (
            ["--value", f"{INDICATOR}=lots"],
            f"indicator '{INDICATOR}' (students): 'lots' is not "
            "a number; give a whole number like 42, without "
            "thousands separators",
        ),
        (["--value", "nonsense"], "--value takes INDICATOR=VALUE, got 'nonsense'"),
        (["--spent", "-5"], "spending so far (--spent) must not be negative (got '-5')"),
        (["--received", "yesterday"], "--received: 'yesterday' is not a date (use YYYY-MM-DD)"),
    ],
)
def test_bad_report_input_is_one_line_on_stderr_and_exit_1(world, kracht, args, message):
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    base = {"--light": "green", "--narrative": "on plan", "--spent": "100"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    options = [x for k, v in (base | given).items() for x in (k, v)]

    code, out, err = kracht("monitor", "submit", str(app_id), "2019-Q1", *options)

    assert (code, out, err) == (1, "", f"kracht: {message}\n")
    assert _reports(world, app_id)[0]["status"] == "late"


def test_the_cli_submits_a_report_and_closes_out(world, kracht):
    app_id = make_application(world, stage="monitoring")
    label = _reports(world, app_id)[0]["label"]
    number = run(world.url, f.LEADER, monitor_views.project, app_id)["indicators"][0]["id"]
    close_out = ["monitor", "close-out", str(app_id), "--final-report", "done", "--spent", "9000"]

    refused = kracht(*close_out)
    submitted = kracht(
        "monitor",
        "submit",
        str(app_id),
        label,
        "--light",
        "green",
        "--narrative",
        "on plan",
        "--spent",
        "5000",
        "--value",
        f"{number}=40",
    )
    closed = kracht(*close_out, "--value", f"{INDICATOR}=150")

    assert refused == (
        5,
        "",
        f"kracht: cannot close application {app_id}: needs a final value for every indicator "
        f"(none yet for: {INDICATOR}; `kracht monitor value`)\n",
    )
    assert submitted == (
        0,
        f"application {app_id}: report {label} submitted (green); 1 value recorded\n",
        "",
    )
    assert closed[0] == 0
    assert closed[1].startswith(f"application {app_id}: monitoring -> closed; final report kept")
    assert world.state(app_id) == "closed"
    assert (
        run(world.url, f.LEADER, monitor_views.project, app_id)["indicators"][0]["latest"] == "150"
    )


def test_app_show_carries_the_monitoring_part(world, kracht):
    app_id = _approved_on(world, dt.date(2019, 1, 31))
    _submit(world, app_id, "2019-Q1", light="orange", spent="1234.56", received_on="2019-04-30")

    code, out, _ = kracht("app", "show", str(app_id), "--json")
    text_code, text, _ = kracht("monitor", "schedule", str(app_id))

    import json

    part = json.loads(out)["monitoring"]
    assert code == text_code == 0
    assert (part["latest_light"], part["spent_cents"]) == ("orange", 123456)
    assert part["late"][0] == "2019-Q2"
    assert (
        "  2019-Q1  2019-01-31 - 2019-03-31  due 2019-04-30  submitted orange spent EUR 1,234.56"
        in text.splitlines()
    )
