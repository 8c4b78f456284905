"""Delivering the outbox to a real SMTP server on 127.0.0.1: nothing lost, nothing sent twice."""

import datetime as dt
import email.policy
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from kracht.cli import main
from kracht.notifications import sender
from kracht.notifications.settings import Mail
from kracht.notifications.transports import FileTransport
from kracht.storage.database import Database, session
from kracht.storage.tables import OutboxMessage
from tests import factories as f
from tests.factories import make_application
from tests.smtp_server import Server, free_port, password_check, server_tls

ROOT = Path(__file__).resolve().parent.parent
LATER = dt.timedelta(hours=2)  # past every backoff and lease used here


@pytest.fixture
def smtp():
    server = Server().start()
    yield server
    server.stop()


def _mail(port, **kw):
    return Mail(transport="smtp", host="127.0.0.1", port=port, timeout=5, backoff_seconds=60,
                sender="Agenda voor Twente <noreply@example.org>", **kw)  # fmt: skip


def _rows(url):
    with session(url) as db:
        return db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _now():
    return dt.datetime.now(dt.UTC)


def test_the_outbox_goes_out_over_smtp_as_text_and_html_with_stable_message_ids(any_world, smtp):
    make_application(any_world, "assessment_committee")
    rows = _rows(any_world.url)

    outcome = sender.send_due(Database(any_world.url), _mail(smtp.port))

    assert (sorted(outcome.sent), outcome.dead) == ([r.id for r in rows], [])
    assert sorted(smtp.mailbox.ids()) == sorted(r.message_id for r in rows)
    by_id = {str(m["Message-ID"]): m for m in smtp.mailbox.messages}
    first = rows[0]
    received = by_id[first.message_id]
    assert (received["To"], received["Subject"]) == (first.recipient, first.subject)
    assert received["From"] == "Agenda voor Twente <noreply@example.org>"
    assert received.get_content_type() == "multipart/alternative"
    parsed = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)
    assert parsed.get_body(("plain",)).get_content() == first.text
    assert parsed.get_body(("html",)).get_content() == first.html
    assert {r.status for r in _rows(any_world.url)} == {"sent"}
    assert sender.send_due(Database(any_world.url), _mail(smtp.port)).sent == []  # nothing twice


def test_a_server_down_for_a_while_loses_nothing(world):
    make_application(world, "idea")
    port = free_port()
    mail = _mail(port)
    count = len(_rows(world.url))
    start = _now()

    down = sender.send_due(Database(world.url), mail, now=start)  # nobody listens on the port yet
    early = sender.send_due(Database(world.url), mail, now=start + dt.timedelta(seconds=30))

    assert (len(down.retrying), down.sent, down.dead) == (count, [], [])
    assert early.sent == early.retrying == []  # backing off: not tried again before 60 s
    rows = _rows(world.url)
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all("Connection" in (r.last_error or "") for r in rows)
    server = Server(port).start()
    try:
        back = sender.send_due(Database(world.url), mail, now=start + dt.timedelta(seconds=61))
    finally:
        server.stop()
    assert len(back.sent) == count
    assert sorted(server.mailbox.ids()) == sorted(r.message_id for r in rows)
    assert {(r.status, r.attempts) for r in _rows(world.url)} == {("sent", 2)}


def test_backoff_doubles_and_tries_run_out_into_the_dead_letter_state(world, smtp):
    make_application(world, "idea")
    smtp.mailbox.answer_data = "451 4.3.0 mailbox busy, try again later"
    mail = replace(_mail(smtp.port), max_attempts=3, backoff_seconds=10)
    start = _now()

    waits = []
    for attempt in range(3):
        moment = start + dt.timedelta(seconds=100 * attempt)
        outcome = sender.send_due(Database(world.url), mail, now=moment)
        rows = _rows(world.url)
        if attempt < 2:
            assert (len(outcome.retrying), outcome.dead) == (len(rows), [])
            waits.append(round((rows[0].next_attempt_at.replace(tzinfo=dt.UTC) - moment).seconds))
    assert waits == [10, 20]
    assert outcome.dead == [r.id for r in rows]
    assert {(r.status, r.attempts) for r in rows} == {("dead", 3)}
    assert rows[0].last_error == "SMTP 451: 4.3.0 mailbox busy, try again later"
    assert smtp.mailbox.messages == []


def test_a_permanent_failure_goes_straight_to_the_dead_letter_state_and_can_be_retried(world, smtp):
    make_application(world, "idea")
    smtp.mailbox.refuse[f.APPLICANT] = "550 5.1.1 no such user"

    outcome = sender.send_due(Database(world.url), _mail(smtp.port))

    rows = {r.recipient: r for r in _rows(world.url)}
    refused, fine = rows[f.APPLICANT], rows[f.LEADER]
    assert (outcome.dead, outcome.sent) == ([refused.id], [fine.id])
    assert (refused.status, refused.attempts) == ("dead", 1)
    assert refused.last_error == "SMTP 550: 5.1.1 no such user"
    assert smtp.mailbox.ids() == [fine.message_id]

    del smtp.mailbox.refuse[f.APPLICANT]
    assert sender.retry(Database(world.url), [], all_dead=True) == [refused.id]
    again = sender.send_due(Database(world.url), _mail(smtp.port))
    assert again.sent == [refused.id]
    assert sorted(smtp.mailbox.ids()) == sorted([fine.message_id, refused.message_id])


CRASH = """
import datetime as dt, os, sys
from kracht.notifications.sender import claim
from kracht.notifications.settings import Mail
from kracht.notifications.transports import open_transport
from kracht.storage.database import Database
url, port = sys.argv[1], int(sys.argv[2])
mail = Mail(transport="smtp", host="127.0.0.1", port=port, timeout=5)
(message_id, attempt, message), = claim(Database(url), mail, dt.datetime.now(dt.UTC), 1)
transport = open_transport(mail)
transport.send(message)
transport.close()
os._exit(9)  # the crash: sent, but never marked sent
"""


def test_a_crash_between_sending_and_marking_does_not_make_a_second_message(any_world, smtp):
    make_application(any_world, "idea")
    url = any_world.url

    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, url, str(smtp.port)], cwd=ROOT, capture_output=True,
        timeout=60,
    )  # fmt: skip

    assert crashed.returncode == 9, crashed.stderr
    first = _rows(url)[0]
    assert (first.status, first.attempts) == ("sending", 1)
    sender.send_due(Database(url), _mail(smtp.port))  # its lease holds: the others go, it waits
    assert _rows(url)[0].status == "sending"
    sender.send_due(Database(url), _mail(smtp.port), now=_now() + LATER)  # lease over: sent again
    rows = _rows(url)
    assert {r.status for r in rows} == {"sent"}
    copies = [i for i in smtp.mailbox.ids() if i == first.message_id]
    assert len(copies) == 2  # delivered twice at the wire ...
    assert len(set(smtp.mailbox.ids())) == len(rows)  # ... but one message: the same Message-ID


def test_the_file_transport_keeps_one_file_per_message_whatever_the_retries(world, tmp_path):
    make_application(world, "idea")
    rows = _rows(world.url)
    folder = tmp_path / "mail"
    transport = FileTransport(folder)
    mail = Mail(transport="file", directory=str(folder))
    for _, _, message in sender.claim(Database(world.url), mail, _now(), 10):
        transport.send(message)  # a crash after this: nothing marked

    sender.send_due(Database(world.url), mail, now=_now() + LATER)

    assert len(list(folder.glob("*.eml"))) == len(rows)
    assert {r.status for r in _rows(world.url)} == {"sent"}
    assert not list(folder.glob("*.part"))


def test_two_senders_never_claim_the_same_message(any_world):
    make_application(any_world, "idea")
    mail = Mail(transport="console")

    first = sender.claim(Database(any_world.url), mail, _now(), 1)
    second = sender.claim(Database(any_world.url), mail, _now(), 10)

    assert len(first) == 1
    assert first[0][0] not in [message_id for message_id, _, _ in second]
    assert len(first) + len(second) == len(_rows(any_world.url))


def test_credentials_come_from_the_environment_and_a_wrong_password_is_retried(
    world, monkeypatch, capsys
):
    make_application(world, "idea")
    server = Server(auth_require_tls=False,
                    authenticator=password_check({"kracht": "s3cret"})).start()  # fmt: skip
    monkeypatch.setenv("KRACHT_MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("KRACHT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KRACHT_SMTP_PORT", str(server.port))
    monkeypatch.setenv("KRACHT_SMTP_USER", "kracht")
    monkeypatch.setenv("KRACHT_SMTP_PASSWORD", "wrong")
    try:
        assert main(["--db", world.url, "--as", f.LEADER, "outbox", "send"]) == 0
        assert capsys.readouterr().out.startswith("0 sent")
        assert server.mailbox.messages == []
        errors = {(r.status, r.last_error) for r in _rows(world.url)}
        assert errors == {("pending", "login as 'kracht' refused: SMTP 535")}
        monkeypatch.setenv("KRACHT_SMTP_PASSWORD", "s3cret")
        with session(world.url) as db:  # the retry is due now
            for row in db.exec(select(OutboxMessage)).all():
                row.next_attempt_at = _now()
        assert main(["--db", world.url, "--as", f.LEADER, "outbox", "send"]) == 0
    finally:
        server.stop()
    assert capsys.readouterr().out.startswith("2 sent (smtp://127.0.0.1:")
    assert len(server.mailbox.messages) == 2


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_and_ssl_connect_to_a_server_with_its_own_ca(world, tmp_path, security):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the TLS server")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
         "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = server_tls(str(cert), str(key))
    if security == "ssl":
        server = Server(server_hostname="127.0.0.1", ssl_context=context).start()
    else:
        server = Server(tls_context=context, require_starttls=True).start()
    make_application(world, "idea")
    try:
        mail = _mail(server.port, security=security, ca_file=str(cert))
        outcome = sender.send_due(Database(world.url), mail)
    finally:
        server.stop()
    assert (len(outcome.sent), len(server.mailbox.messages)) == (2, 2)


def test_outbox_commands_list_and_refuse_clearly(world, capsys):
    make_application(world, "idea")
    base = ["--db", world.url, "--as", f.LEADER]

    assert main([*base, "outbox", "list", "--json"]) == 0
    listed = __import__("json").loads(capsys.readouterr().out)
    assert listed["counts"]["pending"] == 2
    assert {m["event"] for m in listed["messages"]} == {"application_submitted"}

    assert main([*base, "outbox", "retry", "999"]) == 1
    assert "no message 999" in capsys.readouterr().err
    assert main([*base, "outbox", "retry", str(listed["messages"][0]["id"])]) == 1
    assert "is pending, not dead" in capsys.readouterr().err
    assert main(["--db", world.url, "--as", f.MEMBER, "outbox", "send"]) == 4
    assert "may not send the outbox" in capsys.readouterr().err
    assert {r.status for r in _rows(world.url)} == {"pending"}
    assert os.environ.get("KRACHT_MAIL_TRANSPORT") is None


def test_the_console_transport_prints_each_message_for_local_use(world, capsys, monkeypatch):
    make_application(world, "idea")
    monkeypatch.setenv("KRACHT_MAIL_TRANSPORT", "console")

    assert main(["--db", world.url, "--as", f.LEADER, "outbox", "send"]) == 0

    out = capsys.readouterr().out
    assert out.count("Subject: Aanvraag ontvangen: TalentIT Twente") == 2
    assert f"To: {f.APPLICANT}" in out
    assert f"To: {f.LEADER}" in out
    assert out.rstrip().endswith("2 sent (console), 0 to retry later, 0 dead; 0 still pending")
