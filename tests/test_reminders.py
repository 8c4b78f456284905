"""Reminders: durable deadlines, each step fired exactly once, whoever runs and whenever."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import select

from kracht.cli import main
from kracht.notifications import reminders
from kracht.notifications.reminders import ZONE
from kracht.notifications.settings import Reminders
from kracht.storage.database import Database, session
from kracht.storage.tables import OutboxMessage, Reminder
from kracht.workflow import engine
from kracht.workflow.services import approval_conditions, assignment, directory
from tests import factories as f
from tests.factories import DEADLINE, make_application, run, score_sheet
from tests.smtp_server import Server

KRACHT = Path(sys.executable).parent / "kracht"
DUE = dt.date.fromisoformat(DEADLINE)


def _reminders(url, kind=None):
    with session(url) as db:
        rows = db.exec(select(Reminder).order_by(Reminder.id)).all()
        return [r for r in rows if kind is None or r.kind == kind]


def _messages(url, event):
    with session(url) as db:
        query = select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id)
        return db.exec(query).all()


def _local(day, hour):
    return dt.datetime.combine(day, dt.time(hour), ZONE).astimezone(dt.UTC)


def _utc(moment):
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def test_opening_scoring_sets_a_deadline_for_each_member_who_may_score(any_world):
    app_id = make_application(any_world, "kracht_scoring")

    rows = _reminders(any_world.url)

    assert sorted(r.recipient for r in rows) == sorted(f.COMMITTEE)
    first = rows[0]
    assert (first.kind, first.status, first.application_id) == (
        "scoring_deadline",
        "pending",
        app_id,
    )
    assert _utc(first.remind_at) == _local(DUE - dt.timedelta(days=3), 9)
    assert _utc(first.due_at) == _local(DUE + dt.timedelta(days=1), 0)  # the end of the due day
    assert _utc(first.escalate_at) == _utc(first.due_at) + dt.timedelta(days=7)
    assert _utc(first.next_at) == _utc(first.remind_at)
    assert first.facts == {"deadline": DEADLINE, "round": 1, "due": DEADLINE}


def test_each_step_fires_once_at_its_moment_to_its_person(any_world):
    app_id = make_application(any_world, "kracht_scoring")
    url = any_world.url
    reminder = next(r for r in _reminders(url) if r.recipient == f.MEMBER)
    remind, due, escalate = (_utc(reminder.remind_at), _utc(reminder.due_at),
                             _utc(reminder.escalate_at))  # fmt: skip

    assert reminders.fire_due(Database(url), remind - dt.timedelta(seconds=1)) == []
    steps = [
        reminders.fire_due(Database(url), remind),
        reminders.fire_due(Database(url), remind + dt.timedelta(hours=1)),  # again: nothing new
        reminders.fire_due(Database(url), due),
        reminders.fire_due(Database(url), escalate),
        reminders.fire_due(Database(url), escalate + dt.timedelta(days=30)),
    ]

    assert [sorted(s["step"] for s in step) for step in steps] == [
        ["reminded"] * 3, [], ["overdue"] * 3, ["escalated"] * 3, []
    ]  # fmt: skip
    (to_member,) = [m for m in _messages(url, "scoring_reminder") if m.recipient == f.MEMBER]
    assert to_member.subject == f"Herinnering: beoordeel TalentIT Twente uiterlijk {DEADLINE}"
    assert sorted(m.recipient for m in _messages(url, "scoring_overdue")) == sorted(f.COMMITTEE)
    escalations = _messages(url, "overdue_escalation")
    assert {m.recipient for m in escalations} == {f.LEADER}
    assert len(escalations) == 3  # one per late member
    assert any("Committee Member <committee.member@example.org>" in m.text for m in escalations)
    assert {r.status for r in _reminders(url)} == {"escalated"}
    assert all(m.application_id == app_id for m in escalations)


def test_a_step_that_fell_due_while_nothing_ran_fires_once_and_only_the_latest(any_world):
    make_application(any_world, "kracht_scoring")
    url = any_world.url
    reminder = _reminders(url)[0]
    back_after_downtime = _utc(reminder.due_at) + dt.timedelta(hours=5)

    first = reminders.fire_due(Database(url), back_after_downtime)
    second = reminders.fire_due(Database(url), back_after_downtime + dt.timedelta(minutes=1))

    assert sorted(s["event"] for s in first) == ["scoring_overdue"] * 3
    assert second == []
    assert _messages(url, "scoring_reminder") == []  # no stale "due soon" after the deadline
    assert len(_messages(url, "scoring_overdue")) == 3


def test_submitting_settles_a_members_deadline_and_the_advice_settles_the_rest(any_world):
    app_id = make_application(any_world, "kracht_scoring")
    url = any_world.url
    score_sheet(any_world, app_id, f.MEMBER)

    status = {r.recipient: r.status for r in _reminders(url)}
    assert status == {f.CHAIR: "pending", f.MEMBER: "done", f.MEMBER2: "pending"}
    fired = reminders.fire_due(Database(url), _utc(_reminders(url)[0].remind_at))
    assert sorted(s["key"].rsplit(":", 1)[1] for s in fired) == sorted([f.CHAIR, f.MEMBER2])

    score_sheet(any_world, app_id, f.CHAIR)
    score_sheet(any_world, app_id, f.MEMBER2)
    any_world.fire(app_id, "submit_advice", actor=f.CHAIR, values=f.ADVICE)

    assert {r.status for r in _reminders(url)} == {"done"}
    assert reminders.fire_due(Database(url), dt.datetime.now(dt.UTC) + dt.timedelta(days=400)) == []


def test_a_member_assigned_after_scoring_opened_is_told_and_reminded_like_the_others(any_world):
    app_id = make_application(any_world, "kracht_scoring")
    late = "late.member@example.org"
    run(
        any_world.url,
        f.LEADER,
        directory.add_person,
        name="Late Member",
        email=late,
        roles=["committee_member"],
    )

    run(any_world.url, f.LEADER, assignment.assign, app_id, late)

    rows = {r.recipient: r for r in _reminders(any_world.url)}
    assert set(rows) == {*f.COMMITTEE, late}
    assert (rows[late].status, rows[late].due_at) == ("pending", rows[f.MEMBER].due_at)
    told = [m for m in _messages(any_world.url, "scoring_opened") if m.recipient == late]
    assert len(told) == 1
    assert DEADLINE in told[0].subject


def test_a_member_recused_while_scoring_is_open_is_no_longer_reminded(world):
    app_id = make_application(world, "kracht_scoring")

    run(world.url, f.MEMBER, assignment.declare, app_id, "my sister leads the applicant's project")

    status = {r.recipient: r.status for r in _reminders(world.url)}
    assert status == {f.CHAIR: "pending", f.MEMBER: "cancelled", f.MEMBER2: "pending"}
    fired = reminders.fire_due(
        Database(world.url), dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    )
    assert f.MEMBER not in {step["key"].rsplit(":", 1)[1] for step in fired}


def test_withdrawal_cancels_every_open_deadline(world):
    app_id = make_application(world, "kracht_scoring")

    world.fire(app_id, "withdraw", reason="the consortium fell apart")

    assert {r.status for r in _reminders(world.url)} == {"cancelled"}


def test_conditions_are_chased_until_met(any_world):
    app_id = make_application(any_world, "approved_with_conditions")
    url = any_world.url
    (reminder,) = _reminders(url, "condition_due")
    assert (reminder.recipient, reminder.facts["condition"]) == (f.LEADER, "serve the whole region")

    fired = reminders.fire_due(Database(url), _utc(reminder.remind_at))
    (message,) = _messages(url, "condition_due")
    assert fired[0]["event"] == "condition_due"
    assert message.subject == f"Voorwaarde 1 voor TalentIT Twente vervalt op {DEADLINE}"
    assert "serve the whole region" in message.text

    run(url, f.LEADER, approval_conditions.meet_condition, app_id, 1, "regional partners signed")
    assert _reminders(url, "condition_due")[0].status == "done"
    assert reminders.fire_due(Database(url), _utc(reminder.escalate_at)) == []


def test_the_escalation_delay_and_lead_come_from_the_settings(world, tmp_path, monkeypatch):
    settings = tmp_path / "kracht.toml"
    settings.write_text("[reminders]\nlead_days = 10\nescalate_after_days = 2\n")
    monkeypatch.setenv("KRACHT_CONFIG", str(settings))

    make_application(world, "kracht_scoring")

    reminder = _reminders(world.url)[0]
    assert _utc(reminder.remind_at) == _local(DUE - dt.timedelta(days=10), 9)
    assert _utc(reminder.escalate_at) == _utc(reminder.due_at) + dt.timedelta(days=2)


def test_a_deadline_already_close_skips_the_early_reminder(world):
    with session(world.url, write=True) as db:
        soon = dt.datetime.now(ZONE).date() + dt.timedelta(days=1)
        made = reminders.schedule(
            db, rules=Reminders(), kind="report_due", key="report_due:test", application_id=None,
            recipient=f.APPLICANT, subject_ref="report:1", due=soon, facts={"report": "Q1"},
        )  # fmt: skip
        again = reminders.schedule(
            db, rules=Reminders(), kind="report_due", key="report_due:test", application_id=None,
            recipient=f.APPLICANT, subject_ref="report:1", due=soon, facts={"report": "Q1"},
        )  # fmt: skip
        assert again.id == made.id
    (row,) = _reminders(world.url)
    assert row.status == "reminded"  # the message that set it was the reminder
    assert _utc(row.next_at) == _utc(row.due_at)


def test_a_deadline_already_past_when_set_is_told_to_its_person_before_it_escalates(world):
    long_ago = dt.datetime.now(ZONE).date() - dt.timedelta(days=60)
    now = dt.datetime.now(dt.UTC)
    with session(world.url, write=True) as db:
        reminders.schedule(
            db, rules=Reminders(), kind="report_due", key="report_due:joined", application_id=None,
            recipient=f.APPLICANT, subject_ref="report:1", due=long_ago, facts={"report": "Q1"},
            now=now,
        )  # fmt: skip
    (row,) = _reminders(world.url)

    told = reminders.fire_due(Database(world.url), now)
    too_soon = reminders.fire_due(Database(world.url), now + dt.timedelta(days=6))
    escalated = reminders.fire_due(Database(world.url), now + dt.timedelta(days=7))

    assert _utc(row.escalate_at) == now + dt.timedelta(days=7)  # not 53 days ago
    assert [s["event"] for s in told] == ["report_overdue"]
    assert too_soon == []
    assert [s["event"] for s in escalated] == ["overdue_escalation"]
    assert [m.recipient for m in _messages(world.url, "report_overdue")] == [f.APPLICANT]


def _many_overdue(url, count):
    """`count` reminders whose deadline passed yesterday: each owes exactly one overdue notice."""
    yesterday = dt.datetime.now(ZONE).date() - dt.timedelta(days=1)
    with session(url, write=True) as db:
        for n in range(count):
            reminders.schedule(
                db, rules=Reminders(), kind="report_due", key=f"report_due:{n}",
                application_id=None,
                recipient=f.APPLICANT, subject_ref=f"report:{n}", due=yesterday,
                facts={"report": f"R{n}"},
            )  # fmt: skip


@pytest.mark.slow
def test_two_schedulers_at_once_fire_each_reminder_once_and_send_each_message_once(any_world):
    url, count = any_world.url, 30
    _many_overdue(url, count)
    server = Server().start()
    env = {"KRACHT_MAIL_TRANSPORT": "smtp", "KRACHT_SMTP_HOST": "127.0.0.1",
           "KRACHT_SMTP_PORT": str(server.port), "PATH": "/usr/bin:/bin"}  # fmt: skip
    command = [str(KRACHT), "--db", url, "--as", f.LEADER, "scheduler", "run",
               "--interval", "0.2", "--stop-after", "4"]  # fmt: skip
    try:
        runs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]  # fmt: skip
        outputs = [run.communicate(timeout=60)[1] for run in runs]
    finally:
        server.stop()

    assert [run.returncode for run in runs] == [0, 0], outputs
    fired = sum(int(line.split()[0]) for out in outputs for line in out.splitlines()
                if "reminder step(s) fired" in line)  # fmt: skip
    assert fired == count
    assert {r.status for r in _reminders(url)} == {"overdue"}
    overdue = _messages(url, "report_overdue")
    assert len(overdue) == len({m.key for m in overdue}) == count
    assert {m.status for m in overdue} == {"sent"}
    ids = server.mailbox.ids()
    assert sorted(ids) == sorted(m.message_id for m in overdue)  # each delivered exactly once


def test_scheduler_once_fires_what_fell_due_during_downtime(world, tmp_path, capsys, monkeypatch):
    _many_overdue(world.url, 2)
    monkeypatch.setenv("KRACHT_MAIL_DIR", str(tmp_path / "mail"))

    assert main(["--db", world.url, "--as", f.LEADER, "scheduler", "run", "--once"]) == 0
    assert main(["--db", world.url, "--as", f.LEADER, "scheduler", "run", "--once"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2 reminder step(s) fired; 2 sent, 0 to retry, 0 dead",
        "0 reminder step(s) fired; 0 sent, 0 to retry, 0 dead",
    ]
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2


def test_reminders_list_shows_each_person_their_own(world, capsys):
    make_application(world, "kracht_scoring")
    base = ["--db", world.url]

    assert main([*base, "--as", f.MEMBER, "reminders", "list", "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert main([*base, "--as", f.LEADER, "reminders", "list", "--json"]) == 0
    everyone = json.loads(capsys.readouterr().out)
    assert main([*base, "--as", f.MEMBER, "reminders", "list", "--person", f.CHAIR]) == 4

    assert [(r["recipient"], r["due"], r["status"]) for r in mine] == [
        (f.MEMBER, DEADLINE, "pending")
    ]
    assert sorted(r["recipient"] for r in everyone) == sorted(f.COMMITTEE)
    assert "may not see another person's reminders" in capsys.readouterr().err


def test_a_persons_deadlines_export_as_an_icalendar_file(world, tmp_path, capsys):
    app_id = make_application(world, "kracht_scoring")
    out = tmp_path / "deadlines.ics"

    code = main(["--db", world.url, "--as", f.MEMBER, "calendar", f.MEMBER, "--out", str(out)])
    refused = main(["--db", world.url, "--as", f.MEMBER, "calendar", f.CHAIR])

    assert (code, refused) == (0, 4)
    calendar = Calendar.from_ical(out.read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == DUE
    assert event.decoded("dtend") == DUE + dt.timedelta(days=1)
    assert str(event["summary"]) == "KRACHT scores due: TalentIT Twente"
    assert f"Application {app_id}" in str(event["description"])
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == _local(DUE - dt.timedelta(days=3), 9)
    again = tmp_path / "again.ics"
    main(["--db", world.url, "--as", f.LEADER, "calendar", f.MEMBER, "--out", str(again)])
    assert Calendar.from_ical(again.read_bytes()).walk("VEVENT")[0]["uid"] == event["uid"]
    assert "may not export another person's calendar" in capsys.readouterr().err


def test_engine_moves_and_reminders_commit_together(world, monkeypatch):
    app_id = make_application(world, "assessment_committee")
    from tests.factories import prepare

    prepare(world, app_id, "assessment_committee")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reminders, "moments", broken)
    with pytest.raises(RuntimeError):
        run(world.url, f.LEADER, engine.fire, app_id, "open_scoring")

    assert world.state(app_id) == "assessment_committee"
    assert _reminders(world.url) == []
    assert _messages(world.url, "scoring_opened") == []
