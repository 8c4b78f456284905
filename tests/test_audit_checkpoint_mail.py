"""The scheduler mails every auditor a signed checkpoint on a schedule, so that copies of the
tree's head live where the database's administrator cannot reach them."""

import datetime as dt
import email
import email.policy
import re

import pytest
from sqlmodel import select

from kracht.basics.actors import Actor
from kracht.basics.checkpoints import SigningKey
from kracht.cli import main
from kracht.notifications import scheduler
from kracht.notifications.settings import Audit, Mail, Settings
from kracht.storage import audit, clock
from kracht.storage.database import session
from kracht.storage.tables import OutboxMessage
from kracht.workflow.services import auditing
from kracht.workflow.unit import Units
from tests import factories as f
from tests.factories import make_application

NAME = "agendavoortwente.nl/kracht"
LEADER = Actor(email=f.LEADER, name="Leader", roles=frozenset({"programme_leader"}))


@pytest.fixture
def key(tmp_path):
    made = SigningKey.generate(NAME)
    path = tmp_path / "audit.key"
    path.write_text(made.private_text())
    return made, path


def _settings(tmp_path, path, days=7):
    mail = Mail(directory=str(tmp_path / "mail"))
    return Settings(mail=mail, audit=Audit(key=str(path), checkpoint_days=days))


def _tick(url, settings):
    """One scheduler round, with the checkpointing `kracht scheduler run` builds."""
    units = Units(url, settings, channel="scheduler")
    checkpoint = auditing.checkpointing(units, LEADER)
    return scheduler.tick(units.database, settings, LEADER, checkpoint=checkpoint)


def _checkpoint_messages(url):
    with session(url) as db:
        query = select(OutboxMessage).where(OutboxMessage.event == "audit_checkpoint")
        return db.exec(query).all()


def test_each_auditor_gets_a_checkpoint_that_opens_with_the_key(world, tmp_path, key):
    made, path = key
    make_application(world, stage="steering_decision")
    settings = _settings(tmp_path, path)

    result = _tick(world.url, settings)
    (message,) = _checkpoint_messages(world.url)
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (tmp_path / "mail").glob("*.eml")
    ]
    (mailed,) = [m for m in mails if "auditspoor" in m["Subject"]]
    text = mailed.get_body(("plain",)).get_content()
    note = re.search(rf"{re.escape(NAME)}\n\d+\n[^\n]+\n\n(— [^\n]+\n)+", text)
    assert note is not None, text
    opened = made.verifier().open(note.group(0))

    assert message.recipient == f.AUDITOR
    assert message.status == "sent"
    assert result["checkpoint"]["size"] == opened.size
    assert opened.root.hex() == result["checkpoint"]["root"]
    assert "Controlepunt van het auditspoor" in message.subject  # the auditor reads Dutch
    with session(world.url) as db:
        (event,) = [e for e in audit.history(db) if e["action"] == "audit.checkpoint"]
    assert event["payload"]["auditors"] == 1
    assert "a checkpoint of" in scheduler.summary(result)


def test_no_second_checkpoint_before_its_days_are_over_nor_without_new_events(world, tmp_path, key):
    _, path = key
    make_application(world, stage="idea")
    settings = _settings(tmp_path, path)
    _tick(world.url, settings)

    same_day = _tick(world.url, settings)
    with clock.frozen(clock.now() + dt.timedelta(days=8)):
        unchanged = _tick(world.url, settings)
        make_application(world, stage="idea", title="Twents Huis van de Logistiek")
        grown = _tick(world.url, settings)

    assert (same_day["checkpoint"], unchanged["checkpoint"]) == (None, None)
    assert grown["checkpoint"] is not None
    assert len(_checkpoint_messages(world.url)) == 2


def test_without_days_no_checkpoint_is_sent(world, tmp_path, key):
    _, path = key

    result = _tick(world.url, _settings(tmp_path, path, days=0))

    assert result["checkpoint"] is None
    assert _checkpoint_messages(world.url) == []


def test_the_scheduler_refuses_to_start_with_days_but_no_key(world, tmp_path, monkeypatch, capsys):
    settings = tmp_path / "kracht.toml"
    settings.write_text("[audit]\ncheckpoint_days = 7\n")
    monkeypatch.setenv("KRACHT_CONFIG", str(settings))
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))

    code = main(["--as", f.LEADER, "scheduler", "run", "--once"])

    assert code == 1
    assert capsys.readouterr().err == (
        "kracht: settings: [audit] checkpoint_days needs [audit] key, the file the key "
        "generator wrote (or KRACHT_AUDIT_KEY)\n"
    )
