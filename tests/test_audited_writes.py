"""Every write, and every refused write, is in the audit trail (issue 12, item 20), and `outbox
send` says so in its exit when a message failed for good (item 19).

The writes off the road: the outbox (send, retry), the scheduler's rounds and budgets. Each test
reads the events through the audit chain itself and ends by verifying the chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from kracht.cli import main
from kracht.notifications import reminders
from kracht.notifications.settings import Reminders
from kracht.storage import audit, audit_check
from kracht.storage.database import session
from kracht.storage.tables import Budget, OutboxMessage
from tests import factories as f
from tests.factories import make_application
from tests.smtp_server import Server, free_port

ZONE = reminders.ZONE


@pytest.fixture
def smtp():
    server = Server().start()
    yield server
    server.stop()


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("KRACHT_MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("KRACHT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KRACHT_SMTP_PORT", str(port))


def _events(url: str) -> list[dict[str, Any]]:
    with session(url) as db:
        return audit.history(db)


def _new(url: str, before: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(action, actor, outcome, payload) of each event after the first `before`."""
    return [(e["action"], e["actor"], e["outcome"], e["payload"]) for e in _events(url)[before:]]


def _intact(url: str) -> None:
    with session(url) as db:
        verdict = audit_check.verify(db)
    assert (verdict.intact, verdict.events) == (True, len(_events(url)))


def _messages(url: str) -> list[OutboxMessage]:
    with session(url) as db:
        return list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _leader(*args: str) -> int:
    return main(["--as", f.LEADER, *args])


# -- outbox send ---------------------------------------------------------------------------------


def test_outbox_send_exits_8_when_every_message_went_dead_and_audits_the_run(
    any_world, smtp, monkeypatch, capsys
):
    url = any_world.url
    make_application(any_world, "idea")  # two messages: the applicant and the programme leader
    ids = [m.id for m in _messages(url)]
    for m in _messages(url):
        smtp.mailbox.refuse[m.recipient] = "550 5.1.1 no such user"
    _smtp_env(monkeypatch, smtp.port)
    before = len(_events(url))

    code = _leader("--db", url, "outbox", "send")

    out, err = capsys.readouterr()
    assert code == 8
    transport = f"smtp://127.0.0.1:{smtp.port} (none)"
    assert out == f"0 sent ({transport}), 0 to retry later, 2 dead; 0 still pending\n"
    assert err == (
        f"kracht: 2 message(s) failed for good in this run ({ids[0]}, {ids[1]}); `kracht outbox "
        "list --status dead` shows why, `kracht outbox retry ID` queues one again\n"
    )
    assert [m.status for m in _messages(url)] == ["dead", "dead"]
    assert _new(url, before) == [
        (
            "outbox.send",
            f.LEADER,
            "ok",
            {
                "sent": 0,
                "retrying": 0,
                "dead": 2,
                "messages": {"sent": [], "retrying": [], "dead": ids},
                "transport": transport,
            },
        )
    ]
    _intact(url)


def test_outbox_send_exits_0_while_messages_wait_for_a_retry_and_a_run_with_nothing_due_is_silent(
    world, monkeypatch, capsys
):
    url = world.url
    make_application(world, "idea")
    ids = [m.id for m in _messages(url)]
    _smtp_env(monkeypatch, free_port())  # nobody listens: every message backs off
    before = len(_events(url))

    first = _leader("--db", url, "outbox", "send")
    again = _leader("--db", url, "outbox", "send")  # backing off: nothing is due, nothing written

    assert (first, again) == (0, 0)
    assert capsys.readouterr().err == ""
    assert {(m.status, m.attempts) for m in _messages(url)} == {("pending", 1)}
    [(action, actor, outcome, payload)] = _new(url, before)
    assert (action, actor, outcome) == ("outbox.send", f.LEADER, "ok")
    assert (payload["sent"], payload["retrying"], payload["dead"]) == (0, 2, 0)
    assert payload["messages"]["retrying"] == ids
    _intact(url)


def test_outbox_send_by_someone_who_may_not_is_refused_and_audited(world, capsys):
    url = world.url
    make_application(world, "idea")
    before = len(_events(url))

    code = main(["--db", url, "--as", f.MEMBER, "outbox", "send"])

    message = (
        f"{f.MEMBER} (committee_member) may not send the outbox: needs the role programme_leader"
    )
    assert (code, capsys.readouterr().err) == (4, f"kracht: {message}\n")
    assert {m.status for m in _messages(url)} == {"pending"}
    facts = _role_facts("send the outbox", "committee_member")
    assert _new(url, before) == [
        ("outbox.send", f.MEMBER, "refused", {"error": message, "facts": facts})
    ]
    _intact(url)


# -- outbox retry --------------------------------------------------------------------------------


def _all_dead(url: str) -> list[int]:
    with session(url, write=True) as db:
        rows = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        for row in rows:
            row.status, row.attempts, row.last_error = "dead", 3, "SMTP 550: no such user"
        return [row.id for row in rows]


def test_outbox_retry_is_audited_with_the_messages_it_queued_again(any_world, capsys):
    url = any_world.url
    make_application(any_world, "idea")
    first, second = _all_dead(url)
    before = len(_events(url))

    one = _leader("--db", url, "outbox", "retry", str(first))
    rest = _leader("--db", url, "outbox", "retry", "--all-dead")
    none_left = _leader("--db", url, "outbox", "retry", "--all-dead")  # nothing dead: no write

    assert (one, rest, none_left) == (0, 0, 0)
    assert capsys.readouterr().out.splitlines() == [
        f"1 message(s) queued again: [{first}]",
        f"1 message(s) queued again: [{second}]",
        "0 message(s) queued again",
    ]
    assert {(m.status, m.attempts) for m in _messages(url)} == {("pending", 0)}
    assert _new(url, before) == [
        ("outbox.retry", f.LEADER, "ok", {"asked": [first], "requeued": [first], "count": 1}),
        (
            "outbox.retry",
            f.LEADER,
            "ok",
            {"asked": "every dead message", "requeued": [second], "count": 1},
        ),
    ]
    _intact(url)


def test_outbox_retry_refused_by_role_is_audited_and_a_mistaken_id_writes_nothing(world, capsys):
    url = world.url
    make_application(world, "idea")
    first, _ = _all_dead(url)
    before = len(_events(url))

    refused = main(["--db", url, "--as", f.AUDITOR, "outbox", "retry", str(first)])
    unknown = _leader("--db", url, "outbox", "retry", str(first), "999")

    message = f"{f.AUDITOR} (auditor) may not retry messages: needs the role programme_leader"
    assert (refused, unknown) == (4, 1)
    assert capsys.readouterr().err.splitlines() == [
        f"kracht: {message}",
        "kracht: no message 999; `kracht outbox list`",
    ]
    assert {m.status for m in _messages(url)} == {"dead"}  # the known id was not queued either
    facts = _role_facts("retry messages", "auditor")
    assert _new(url, before) == [
        ("outbox.retry", f.AUDITOR, "refused", {"error": message, "facts": facts})
    ]
    _intact(url)


# -- budget set ----------------------------------------------------------------------------------


def _budgets(url: str) -> list[tuple[Any, ...]]:
    with session(url) as db:
        rows = db.exec(select(Budget).order_by(Budget.id)).all()
        return [(b.line_id, b.year, b.kind, b.amount_cents) for b in rows]


def test_a_budget_over_the_development_cap_is_refused_with_exit_4_and_audited(any_world, capsys):
    url = any_world.url
    before, budgets = len(_events(url)), _budgets(url)
    year = str(f.THIS_YEAR)

    code = _leader("--db", url, "budget", "set", "--programme", f.AVT_2018, "--year", year,
                   "--kind", "development", "--amount", "250000.01")  # fmt: skip

    message = (
        f"the development budget may be at most 12.5% of the {year} project budget of "
        "EUR 2,000,000.00, which is EUR 250,000.00; EUR 250,000.01 is too much"
    )
    assert (code, capsys.readouterr().err) == (4, f"kracht: {message}\n")
    assert _budgets(url) == budgets
    asked = {"programme": f.AVT_2018, "line": None, "year": f.THIS_YEAR, "kind": "development",
             "amount_cents": 25_000_001, "basis": "set directly"}  # fmt: skip
    assert _new(url, before) == [("budget.set", f.LEADER, "refused", {**asked, "error": message})]
    _intact(url)


def test_a_budget_below_what_is_committed_on_it_is_refused_and_audited(world, capsys):
    url = world.url
    make_application(world, "monitoring")  # EUR 64,389 granted on this year's project budget
    before, budgets = len(_events(url)), _budgets(url)

    code = _leader("--db", url, "budget", "set", "--programme", f.AVT_2018, "--year",
                   str(f.THIS_YEAR), "--amount", "1000")  # fmt: skip

    message = (
        "EUR 64,389.00 is already committed or reserved on this budget; it cannot be set to "
        "EUR 1,000.00"
    )
    assert (code, capsys.readouterr().err) == (4, f"kracht: {message}\n")
    assert _budgets(url) == budgets
    [(action, actor, outcome, payload)] = _new(url, before)
    assert (action, actor, outcome) == ("budget.set", f.LEADER, "refused")
    assert (payload["error"], payload["amount_cents"], payload["kind"]) == (
        message,
        100_000,
        "projects",
    )
    _intact(url)


# -- the scheduler -------------------------------------------------------------------------------


def _overdue(url: str, count: int) -> list[int]:
    """`count` reminders whose deadline passed yesterday: each owes one overdue notice now."""
    yesterday = dt.datetime.now(ZONE).date() - dt.timedelta(days=1)
    with session(url, write=True) as db:
        return [
            reminders.schedule(
                db, rules=Reminders(), kind="report_due", key=f"report_due:{n}",
                application_id=None,
                recipient=f.APPLICANT, subject_ref=f"report:{n}", due=yesterday,
                facts={"report": f"R{n}"},
            ).id
            for n in range(count)
        ]  # fmt: skip


def test_a_scheduler_round_that_did_something_leaves_one_event_with_its_counts(
    any_world, tmp_path, monkeypatch, capsys
):
    url = any_world.url
    made = _overdue(url, 2)
    monkeypatch.setenv("KRACHT_MAIL_DIR", str(tmp_path / "mail"))  # the file transport
    before = len(_events(url))

    busy = _leader("--db", url, "scheduler", "run", "--once")
    idle = _leader("--db", url, "scheduler", "run", "--once")  # nothing due: no event

    assert (busy, idle) == (0, 0)
    assert capsys.readouterr().out.splitlines() == [
        "2 reminder step(s) fired; 2 sent, 0 to retry, 0 dead",
        "0 reminder step(s) fired; 0 sent, 0 to retry, 0 dead",
    ]
    sent = [m.id for m in _messages(url)]
    assert _new(url, before) == [
        (
            "scheduler.tick",
            f.LEADER,
            "ok",
            {
                "reminder_steps": 2,
                "steps": [{"reminder": r, "step": "overdue", "messages": 1} for r in made],
                "sent": 2,
                "retrying": 0,
                "dead": 0,
                "messages": {"sent": sent, "retrying": [], "dead": []},
            },
        )
    ]
    _intact(url)


def test_a_scheduler_started_by_someone_who_may_not_is_refused_and_audited(world, capsys):
    url = world.url
    _overdue(url, 1)
    before = len(_events(url))

    code = main(["--db", url, "--as", f.STEERING, "scheduler", "run", "--once"])

    message = (
        f"{f.STEERING} (steering_member) may not run the scheduler: needs the role programme_leader"
    )
    assert (code, capsys.readouterr().err) == (4, f"kracht: {message}\n")
    facts = _role_facts("run the scheduler", "steering_member")
    assert _new(url, before) == [
        ("scheduler.run", f.STEERING, "refused", {"error": message, "facts": facts})
    ]
    assert _messages(url) == []  # the reminder did not fire
    _intact(url)


# -- the directory, applications and imports: refusals audited like a refused trigger -----------


def _records(url: str) -> dict[str, int]:
    from kracht.storage import repository

    with session(url) as db:
        return repository.record_counts(db)


REFUSED = {  # case: (acting as, the command after `kracht`, the refused action)
    "people add": (f.MEMBER, ["people", "add", "--name", "N", "--email", "n@example.org",
                              "--role", "auditor"], "person.add"),
    "org add": (f.MEMBER, ["org", "add", "--name", "Nieuw BV", "--type", "business"], "org.add"),
    "programme add": (f.STEERING, ["programme", "add", "--code", "avt-2030", "--name", "AvT"],
                      "programme.add"),
    "programme configure": (f.AUDITOR, ["programme", "configure", f.AVT_2018, "--file", "{file}"],
                            "programme.configure"),
    "app create": (f.OUTSIDER, ["app", "create", "--title", "T", "--programme", f.AVT_2018,
                                "--applicant", f.TALENTIT, "--line", "talent"], "create"),
    "app upgrade-workflow": (f.MEMBER, ["app", "upgrade-workflow", "{app}"], "workflow.upgrade"),
    "app import": ("nobody@example.org", ["app", "import", "{csv}"], "import"),
}  # fmt: skip


def _role_facts(action: str, held: str) -> dict[str, object]:
    """The facts a refusal for lack of the programme leader's role records."""
    return {"action": action, "roles_held": [held], "roles_needed": ["programme_leader"]}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_write_in_the_directory_or_of_an_application_is_audited(
    world, tmp_path, capsys, case
):
    from kracht.workflow.config import DEFAULT_FILE

    url = world.url
    app_id = make_application(world, "idea")
    sheet = tmp_path / "apps.csv"
    sheet.write_text(f"title,programme,applicant,requested\nT,{f.AVT_2018},{f.TALENTIT},100\n")
    actor, argv, action = REFUSED[case]
    argv = [a.format(file=DEFAULT_FILE, app=app_id, csv=sheet) for a in argv]
    before, records = len(_events(url)), _records(url)

    code = main(["--db", url, "--as", actor, *argv])

    err = capsys.readouterr().err
    assert (code, err.count("\n"), err[:8]) == (4, 1, "kracht: ")
    assert _records(url) == {**records, "audit events": records["audit events"] + 1}
    [event] = _events(url)[before:]
    # the audit holds the message without the CLI's hint, and the refusal's facts
    shown = err.removeprefix("kracht: ").rstrip("\n")
    payload = dict(event["payload"])
    assert payload.pop("facts")
    assert (event["action"], event["actor"], event["outcome"], payload) == (
        action,
        actor,
        "refused",
        {"error": shown.replace("with `kracht people add`", "to the directory")},
    )
    assert event["application_id"] == (app_id if case == "app upgrade-workflow" else None)
    _intact(url)
