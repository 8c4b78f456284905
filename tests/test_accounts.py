"""Signing in (issue 14): invitations, passwords, lockout, e-mailed links, sessions, the second
factor and API tokens, on real databases through the same units of work the web uses."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pyotp
import pytest
import sqlalchemy as sa

from kracht.basics.errors import InvalidInput, LockedOut, NotFound, NotPermitted, SignInRefused
from kracht.notifications.settings import Settings, Web
from kracht.storage.clock import Clock
from kracht.storage.database import session
from kracht.storage.tables import AuditEvent, Credential, OutboxMessage, SignInLink, WebSession
from kracht.workflow.services import accounts
from kracht.workflow.unit import Units
from tests import factories as f

PASSWORD = "paars paard batterij niet"  # four unrelated words
WEB = Web(base_url="https://kracht.example.org", lockout_attempts=3, lockout_minutes=15)


class Moment:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def later(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def moment() -> Moment:
    return Moment()


@pytest.fixture
def units(any_world, moment):  # type: ignore[no-untyped-def]
    return Units(any_world.url, Settings(web=WEB), clock=Clock(moment))


def _invite(units: Units, email: str = f.MEMBER) -> str:
    return units.run(f.LEADER, accounts.invite, email, show_link=True)["link"].rsplit("/", 1)[1]


def _member(units: Units) -> accounts.SignedIn:
    return units.run(None, accounts.set_password, _invite(units), PASSWORD)


def _count(url: str, table: type) -> int:
    with session(url) as db:
        return int(db.exec(sa.select(sa.func.count()).select_from(table)).one()[0])  # type: ignore[call-overload]


# -- invitations and passwords ---------------------------------------------------------------------


def test_an_invitation_is_mailed_with_its_link_and_audited_without_it(units, any_world):
    invited = units.run(f.LEADER, accounts.invite, f.MEMBER, show_link=True)

    assert invited["mailed"]
    assert invited["link"].startswith("https://kracht.example.org/welcome/")
    with session(any_world.url) as db:
        (message,) = db.exec(
            sa.select(OutboxMessage).where(OutboxMessage.event == "invitation")
        ).scalars()  # type: ignore[call-overload, arg-type]
        event = (
            db.exec(sa.select(AuditEvent).where(AuditEvent.action == "person.invite"))
            .scalars()
            .one()
        )  # type: ignore[call-overload, arg-type]
    assert message.recipient == f.MEMBER
    assert invited["link"] in message.text
    assert message.subject == "Uw toegang tot kracht"
    assert "6 december 2026, 10:00" in message.text
    token = invited["link"].rsplit("/", 1)[1]
    assert token not in str(event.payload)
    assert event.payload["person"] == f.MEMBER


def test_only_a_programme_leader_invites_and_mailing_needs_the_web_address(units, any_world):
    with pytest.raises(NotPermitted):
        units.run(f.MEMBER, accounts.invite, f.CHAIR)
    without = Units(any_world.url, Settings())
    with pytest.raises(InvalidInput, match=r"set \[web\] base_url") as error:
        without.run(f.LEADER, accounts.invite, f.CHAIR)
    assert error.value.field == "base_url"
    shown = without.run(f.LEADER, accounts.invite, f.CHAIR, show_link=True, mail=False)
    assert shown["link"].startswith("http://127.0.0.1:8000/welcome/")
    assert not shown["mailed"]
    with pytest.raises(NotFound):
        units.run(f.LEADER, accounts.invite, "nobody@example.org")
    assert _count(any_world.url, OutboxMessage) == 0 or all(
        m.event != "invitation" or m.recipient == f.CHAIR for m in _messages(any_world.url)
    )


def _messages(url: str) -> list[OutboxMessage]:
    with session(url) as db:
        return list(db.exec(sa.select(OutboxMessage)).scalars())  # type: ignore[call-overload]


def test_a_password_is_set_once_through_the_link_and_kept_as_an_argon2id_hash(units, any_world):
    token = _invite(units)

    with pytest.raises(InvalidInput, match="at least 12 characters"):
        units.run(None, accounts.set_password, token, "kort")
    with pytest.raises(InvalidInput, match="too easy to guess"):
        units.run(None, accounts.set_password, token, "committee.member")
    signed = units.run(None, accounts.set_password, token, PASSWORD)  # still usable after refusals

    assert signed["email"] == f.MEMBER
    assert not signed["needs_code"]
    with pytest.raises(SignInRefused, match="does not work"):
        units.run(None, accounts.set_password, token, "een heel ander wachtwoord")
    with session(any_world.url) as db:
        (held,) = db.exec(sa.select(Credential)).scalars()  # type: ignore[call-overload]
        (open_session,) = db.exec(sa.select(WebSession)).scalars()  # type: ignore[call-overload]
    assert held.password_hash.startswith("$argon2id$")
    assert PASSWORD not in held.password_hash
    assert open_session.token_hash != signed["token"]
    assert len(open_session.token_hash) == 64


def test_a_newer_invitation_retires_the_older_link(units):
    first, second = _invite(units), _invite(units)
    with pytest.raises(SignInRefused):
        units.run(None, accounts.set_password, first, PASSWORD)
    assert units.run(None, accounts.set_password, second, PASSWORD)["email"] == f.MEMBER


def test_an_expired_or_forged_link_is_refused_alike(units, moment):
    token = _invite(units)
    moment.later(hours=WEB.link_hours, seconds=1)
    for given in (token, "x" * 43, "../../etc/passwd", "<script>"):
        with pytest.raises(SignInRefused, match="does not work"):
            units.run(None, accounts.set_password, given, PASSWORD)


# -- signing in ------------------------------------------------------------------------------------


def test_signing_in_with_the_password_opens_a_session(units):
    _member(units)
    signed = units.run(None, accounts.sign_in, "Committee.Member@example.org ", PASSWORD,
                       address="127.0.0.1", agent="Firefox")  # fmt: skip
    who = units.run(None, accounts.signer, signed["token"])
    assert who is not None
    assert who["actor"].email == f.MEMBER
    assert who["actor"].roles == {"committee_member"}
    assert who["csrf"] == signed["csrf"]


def test_a_wrong_password_and_an_unknown_address_are_refused_in_the_same_words(units):
    _member(units)
    wrong = units.run(None, accounts.sign_in, f.MEMBER, "niet het wachtwoord")
    nobody = units.run(None, accounts.sign_in, "nobody@example.org", PASSWORD)
    malformed = units.run(None, accounts.sign_in, "not an address", PASSWORD)
    assert wrong == nobody == malformed == {"refused": True, "message": accounts.WRONG}


def test_failed_sign_ins_in_a_row_lock_the_account_for_a_while(units, moment, any_world):
    _member(units)
    for _ in range(WEB.lockout_attempts - 1):
        assert units.run(None, accounts.sign_in, f.MEMBER, "fout")["message"] == accounts.WRONG
    locked = units.run(None, accounts.sign_in, f.MEMBER, "fout")
    assert locked["message"].startswith("too many failed sign-ins")
    assert "until" in locked
    assert "refused" in units.run(None, accounts.sign_in, f.MEMBER, PASSWORD)  # even the right one

    moment.later(minutes=WEB.lockout_minutes, seconds=1)
    assert "token" in units.run(None, accounts.sign_in, f.MEMBER, PASSWORD)
    with session(any_world.url) as db:
        actions = list(db.exec(sa.select(AuditEvent.action)).scalars())  # type: ignore[call-overload]
    assert actions.count("sign_in.locked") == 1


def test_a_success_starts_the_count_again(units):
    _member(units)
    for _ in range(WEB.lockout_attempts - 1):
        units.run(None, accounts.sign_in, f.MEMBER, "fout")
    units.run(None, accounts.sign_in, f.MEMBER, PASSWORD)
    for _ in range(WEB.lockout_attempts - 1):
        assert units.run(None, accounts.sign_in, f.MEMBER, "fout")["message"] == accounts.WRONG


def test_a_session_ends_when_it_expires_when_idle_or_when_revoked(units, moment):
    _member(units)

    def signed() -> str:
        return units.run(None, accounts.sign_in, f.MEMBER, PASSWORD)["token"]

    idle, expiring, revoked = signed(), signed(), signed()
    for _ in range(WEB.session_hours * 60 // 100):  # keep one in use past its idle time
        moment.later(minutes=100)
        who = units.run(None, accounts.signer, expiring)
        assert who is not None
        assert who["seen_due"]  # a read notes nothing: the edge notes the use, as here
        units.run(None, accounts.note_seen, who["session_id"])
        assert not units.run(None, accounts.signer, expiring)["seen_due"]
    assert units.run(None, accounts.signer, idle) is None  # idle longer than idle_minutes
    moment.later(hours=WEB.session_hours)
    assert units.run(None, accounts.signer, expiring) is None  # used, but past session_hours

    fresh = signed()
    who = units.run(None, accounts.signer, fresh)
    assert who is not None
    listed = units.run(f.MEMBER, accounts.sessions, who["session_id"])
    assert [s["current"] for s in listed] == [True]  # the others ended
    units.run(f.MEMBER, accounts.end_session, who["session_id"])
    assert units.run(None, accounts.signer, fresh) is None
    assert units.run(None, accounts.signer, revoked) is None
    with pytest.raises(NotFound):
        units.run(f.CHAIR, accounts.end_session, who["session_id"])  # not theirs


def test_setting_a_new_password_ends_every_other_session(units):
    first = _member(units)
    units.run(None, accounts.set_password, _invite(units), "een tweede sterk wachtwoord")
    assert units.run(None, accounts.signer, first["token"]) is None


def test_a_forged_or_tampered_session_token_is_nobody(units):
    signed = _member(units)
    token = signed["token"]
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")  # one character changed
    for given in (None, "", tampered, signed["csrf"], "' OR 1=1 --"):
        assert units.run(None, accounts.signer, given) is None


# -- e-mailed sign-in links ------------------------------------------------------------------------


def test_a_sign_in_link_works_once_and_an_unknown_address_gets_none(units, any_world):
    _member(units)
    before = _count(any_world.url, SignInLink)
    units.run(None, accounts.request_sign_in_link, "nobody@example.org")
    assert _count(any_world.url, SignInLink) == before  # nothing written, and no difference shown

    units.run(None, accounts.request_sign_in_link, f.MEMBER)
    (message,) = [m for m in _messages(any_world.url) if m.event == "sign_in_link"]
    token = message.text.split("https://kracht.example.org/sign-in/", 1)[1].split()[0]
    assert units.run(None, accounts.sign_in_by_link, token)["email"] == f.MEMBER
    with pytest.raises(SignInRefused):
        units.run(None, accounts.sign_in_by_link, token)
    with pytest.raises(SignInRefused):  # a link of the other purpose
        units.run(None, accounts.sign_in_by_link, _invite(units))


# -- the second factor -----------------------------------------------------------------------------


def test_a_role_that_needs_a_second_factor_sets_one_up_and_a_code_works_once(any_world, moment):
    units = Units(
        any_world.url,
        Settings(web=Web(base_url=WEB.base_url, second_factor_roles="committee_member")),
        clock=Clock(moment),
    )
    signed = _member(units)
    assert signed["needs_code"]
    who = units.run(None, accounts.signer, signed["token"])
    assert who is not None
    assert who["needs_code"]
    assert who["needs_setup"]

    setup = units.run(None, accounts.start_code_setup, who["session_id"])
    assert setup["uri"].startswith("otpauth://totp/kracht:committee.member%40example.org?")
    code = pyotp.TOTP(setup["secret"]).at(moment.now)
    assert not units.run(None, accounts.confirm_code, who["session_id"], "000000")
    assert units.run(None, accounts.confirm_code, who["session_id"], code)
    after = units.run(None, accounts.signer, signed["token"])
    assert after is not None
    assert not after["needs_code"]
    assert not after["needs_setup"]

    again = units.run(None, accounts.sign_in, f.MEMBER, PASSWORD)
    later = units.run(None, accounts.signer, again["token"])
    assert later is not None
    assert later["needs_code"]
    assert not units.run(None, accounts.confirm_code, later["session_id"], code)  # used once
    moment.later(seconds=30)
    fresh = pyotp.TOTP(setup["secret"]).at(moment.now)
    assert units.run(None, accounts.confirm_code, later["session_id"], fresh)


def test_wrong_codes_count_towards_the_lockout(units):
    signed = _member(units)
    who = units.run(None, accounts.signer, signed["token"])
    assert who is not None
    units.run(None, accounts.start_code_setup, who["session_id"])
    for _ in range(WEB.lockout_attempts):
        assert not units.run(None, accounts.confirm_code, who["session_id"], "123456")
    with pytest.raises(LockedOut):
        units.run(None, accounts.confirm_code, who["session_id"], "123456")


# -- API tokens ------------------------------------------------------------------------------------


def test_a_token_acts_with_the_roles_it_was_given_that_its_owner_still_holds(units, any_world):
    made = units.run(f.LEADER, accounts.create_token, "export", ["programme_leader"], 30)

    assert made["token"].startswith("kr_")
    assert made["prefix"] == made["token"][:10]
    bearer = units.run(None, accounts.token_actor, made["token"])
    assert bearer is not None
    assert bearer["seen_due"]  # never used yet
    units.run(None, accounts.note_token_used, bearer["token_id"])
    assert not units.run(None, accounts.token_actor, made["token"])["seen_due"]
    actor = bearer["actor"]
    assert actor.email == f.LEADER
    assert actor.roles == {"programme_leader"}
    with pytest.raises(NotPermitted, match="roles its owner holds"):
        units.run(f.MEMBER, accounts.create_token, "too much", ["programme_leader"])
    with pytest.raises(InvalidInput, match="a name"):
        units.run(f.LEADER, accounts.create_token, "  ")
    listed = units.run(f.LEADER, accounts.list_tokens)
    assert [t["prefix"] for t in listed] == [made["prefix"]]
    assert "token" not in listed[0]
    path = any_world.url.removeprefix("sqlite:///")
    if any_world.url.startswith("sqlite"):
        dump = "\n".join(sqlite3.connect(path).iterdump())
        assert made["token"] not in dump
        assert made["token"][3:] not in dump


def test_a_revoked_expired_or_forged_token_acts_as_nobody(units, moment):
    kept = units.run(f.LEADER, accounts.create_token, "kept", None, 1)
    gone = units.run(f.LEADER, accounts.create_token, "gone", None, None)
    units.run(f.LEADER, accounts.revoke_token, gone["id"])
    assert units.run(None, accounts.token_actor, gone["token"]) is None
    with pytest.raises(NotFound):
        units.run(f.MEMBER, accounts.revoke_token, kept["id"])  # not theirs
    for forged in ("kr_" + "A" * 43, kept["token"][3:], "Bearer " + kept["token"], ""):
        assert units.run(None, accounts.token_actor, forged) is None
    assert units.run(None, accounts.token_actor, kept["token"]) is not None
    moment.later(days=1, seconds=1)
    assert units.run(None, accounts.token_actor, kept["token"]) is None
