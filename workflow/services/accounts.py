"""Signing in: invitations, passwords, e-mailed sign-in links, one-time codes, web sessions and
API tokens. The web interface and the API call these; the CLI invites and makes tokens.

What is kept: passwords as argon2id hashes, every token (session, link, API) as its SHA-256, so
a copy of the database signs nobody in. A failed sign-in counts, in a row, towards a lockout
(`[web] lockout_attempts` locks the account `lockout_minutes`); it is a result, not an error, so
that the count is committed. Who needs a second factor: whoever set one up, and every holder of
a role in `[web] second_factor_roles`. Invitations, passwords set, lockouts, second factors and
tokens are audited; sign-ins leave their session, with its address and browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NotRequired

from typing_extensions import TypedDict

from kracht.basics import moments, passwords, second_factor, tokens
from kracht.basics.actors import Actor, require
from kracht.basics.errors import InvalidInput, LockedOut, NotFound, NotPermitted, SignInRefused
from kracht.basics.roles import ALL_ROLES, Role
from kracht.storage import audit, credentials, repository
from kracht.storage.tables import ApiToken, Credential, Person, SignInLink, WebSession
from kracht.workflow.services.directory import normalise_email
from kracht.workflow.unit import Unit, reads, writes

Purpose = Literal["invite", "sign_in"]
LOCAL_ADDRESS = "http://127.0.0.1:8000"  # `kracht serve`'s own, for a link only printed
TOUCH_EVERY = dt.timedelta(minutes=1)  # a session's last use is written at most this often
NAME_LENGTH = 100  # characters in a token's name
PROGRAMME_NAME = {"nl": "de Agenda voor Twente", "en": "the Agenda voor Twente"}  # in invitations


class Invited(TypedDict):
    """An invitation made: to whom, until when its link works, whether it was mailed, and the
    link itself only when asked to show it."""

    email: str
    name: str
    expires_at: str
    mailed: bool
    link: NotRequired[str]


class SignedIn(TypedDict):
    """A new web session: the cookie's token (given once, kept only as its hash), the token
    its forms carry, and whether it must still give a one-time code."""

    token: str
    csrf: str
    person_id: int
    email: str
    name: str
    needs_code: bool
    expires_at: str


class Refused(TypedDict):
    """A sign-in that failed, counted; `until` when the account is now locked."""

    refused: Literal[True]
    message: str
    until: NotRequired[str]


class Signer(TypedDict):
    """Who a web session is, as every request reads it."""

    session_id: int
    actor: Actor
    csrf: str
    language: str
    needs_code: bool  # signed in, but the one-time code is still to come
    needs_setup: bool  # their role needs a second factor they have not set up
    seen_due: bool  # its last use is to be noted (`note_seen`): a read does not write it


class Bearer(TypedDict):
    """Who an API token acts as, as every API request reads it."""

    actor: Actor
    token_id: int
    seen_due: bool  # its last use is to be noted (`note_token_used`)


class SessionShown(TypedDict):
    """One of a person's open sessions, as they see it in their list."""

    id: int
    method: str
    address: str
    agent: str
    created_at: str
    seen_at: str
    expires_at: str
    current: bool


class CodeSetup(TypedDict):
    """A second factor being set up: the secret and the address an authenticator app reads."""

    secret: str
    uri: str


class TokenMade(TypedDict):
    """A personal API token, shown this once."""

    id: int
    token: str
    prefix: str
    name: str
    roles: list[str]
    expires_at: str | None


class TokenShown(TypedDict):
    """A token as its owner sees it listed (never the token itself)."""

    id: int
    prefix: str
    name: str
    roles: list[str]
    created_at: str
    expires_at: str | None
    used_at: str | None
    revoked_at: str | None
    active: bool


# -- invitations and passwords ---------------------------------------------------------------------


@writes("person.invite")
def invite(unit: Unit, email: str, *, show_link: bool = False, mail: bool = True) -> Invited:
    """Make a single-use link with which the person sets their password, and mail it (with
    `mail`) through the outbox; earlier unused invitations stop working. A programme leader
    invites. Mailing needs `[web] base_url`, the address the link points to."""
    actor = unit.actor
    require(actor, (Role.PROGRAMME_LEADER,), "invite people")
    person = _person(unit, email)
    web = unit.settings.web
    if mail and not web.base_url:
        raise InvalidInput(
            "an e-mailed invitation links to the web interface: set [web] base_url (or "
            "KRACHT_BASE_URL) to its address first, or show the link instead of mailing it",
            field="base_url",
        )
    token, made = _link(unit, person, "invite", web.link_hours)
    link = f"{(web.base_url or LOCAL_ADDRESS).rstrip('/')}/welcome/{token}"
    if mail:
        _mail(unit, person, "invitation", made, link)
    audit.append(
        unit.db, actor=actor.email, roles=actor.roles_text, action="person.invite",
        payload={"person": person.email, "expires_at": made.expires_at.isoformat(),
                 "mailed": mail},
    )  # fmt: skip
    result: Invited = {
        "email": person.email,
        "name": person.name,
        "expires_at": made.expires_at.isoformat(),
        "mailed": mail,
    }
    if show_link:
        result["link"] = link
    return result


@reads
def link_holder(unit: Unit, token: str, purpose: Purpose) -> Person:
    """The person an unused, unexpired link of `purpose` belongs to (refused otherwise: the
    same words whatever is wrong with it)."""
    found = _usable_link(unit, token, purpose, lock=False)
    person = repository.person(unit.db, found.person_id)
    if person is None:
        raise _link_refused()
    return person


def set_password(
    unit: Unit, token: str, password: str, *, address: str = "", agent: str = ""
) -> SignedIn:
    """Set the password of the invitation link's person (the link is then used up), end their
    other sessions, and sign them in."""
    found = _usable_link(unit, token, "invite", lock=True)
    person = repository.person(unit.db, found.person_id)
    if person is None:
        raise _link_refused()
    passwords.check(password, person.email)
    now = unit.clock.now()
    found.used_at = now
    credentials.save(unit.db, found)
    held = _credential(unit, person)
    held.password_hash, held.failed, held.locked_until, held.changed_at = (
        passwords.hashed(password), 0, None, now,
    )  # fmt: skip
    credentials.save(unit.db, held)
    ended = credentials.revoke_sessions(unit.db, _id(person), now)
    _audit(unit, person, "password.set", {"sessions_ended": ended})
    return _open_session(unit, person, held, "password", address, agent)


# -- signing in ------------------------------------------------------------------------------------


def sign_in(
    unit: Unit, email: str, password: str, *, address: str = "", agent: str = ""
) -> SignedIn | Refused:
    """Sign in with an address and a password: a new session, or a refusal that says neither
    which of the two was wrong nor whether the address has an account."""
    now, web = unit.clock.now(), unit.settings.web
    person = _person_or_none(unit, email)
    held = credentials.credential(unit.db, _id(person), lock=True) if person else None
    stored = held.password_hash if held else None
    if held is not None and _locked(held, now):
        passwords.matches(None, password)  # as long as any other answer
        return _locked_refusal(held, person)  # type: ignore[arg-type]
    if person is None or held is None or not passwords.matches(stored, password):
        if person is not None and held is not None:
            return _failed(unit, person, held, now, web.lockout_attempts, web.lockout_minutes)
        return {"refused": True, "message": WRONG}
    if stored is not None and passwords.outdated(stored):
        held.password_hash = passwords.hashed(password)
    held.failed = 0
    credentials.save(unit.db, held)
    return _open_session(unit, person, held, "password", address, agent)


def request_sign_in_link(unit: Unit, email: str) -> None:
    """Mail a single-use sign-in link to the address, if a person has it (whoever asks is told
    the same either way). Needs `[web] base_url`."""
    web = unit.settings.web
    if not web.base_url:
        raise InvalidInput(
            "sign-in links are not available: the web interface has no address ([web] base_url)",
            field="base_url",
        )
    person = _person_or_none(unit, email)
    if person is None:
        return
    token, made = _link(unit, person, "sign_in", web.link_hours)
    _mail(unit, person, "sign_in_link", made, f"{web.base_url.rstrip('/')}/sign-in/{token}")


def sign_in_by_link(unit: Unit, token: str, *, address: str = "", agent: str = "") -> SignedIn:
    """Sign in with an e-mailed link (used up by it)."""
    found = _usable_link(unit, token, "sign_in", lock=True)
    person = repository.person(unit.db, found.person_id)
    if person is None:
        raise _link_refused()
    found.used_at = unit.clock.now()
    credentials.save(unit.db, found)
    held = _credential(unit, person)
    if _locked(held, unit.clock.now()):
        raise _lockout(held, person)
    return _open_session(unit, person, held, "link", address, agent)


@reads
def signer(unit: Unit, token: str | None) -> Signer | None:
    """Who the session with this cookie token is, if it is open: not revoked, not expired, not
    idle past `[web] idle_minutes`; `seen_due` once its last use is a minute old or more."""
    if not tokens.well_formed(token):
        return None
    held = credentials.signer_row(unit.db, tokens.digest(token or ""))
    if held is None:
        return None
    now, web = unit.clock.now(), unit.settings.web
    idle_until = _aware(held.seen_at) + dt.timedelta(minutes=web.idle_minutes)
    if held.revoked_at is not None or _aware(held.expires_at) <= now or idle_until <= now:
        return None
    wants = bool(held.roles & web.needs_second_factor) or held.has_code
    return {
        "session_id": held.session_id,
        "actor": Actor(held.email, held.name, held.roles, held.person_id, held.organisation_id),
        "csrf": held.csrf,
        "language": held.language,
        "needs_code": wants and not held.second_factor,
        "needs_setup": wants and not held.has_code,
        "seen_due": now - _aware(held.seen_at) >= TOUCH_EVERY,
    }


def note_seen(unit: Unit, session_id: int) -> None:
    """Note that the session was used now (for the idle timeout)."""
    credentials.touch(unit.db, session_id, unit.clock.now())


def sign_out(unit: Unit, session_id: int) -> None:
    """End this session."""
    held = credentials.web_session(unit.db, session_id)
    if held is not None and held.revoked_at is None:
        held.revoked_at = unit.clock.now()
        credentials.save(unit.db, held)


# -- the second factor -----------------------------------------------------------------------------


def start_code_setup(unit: Unit, session_id: int) -> CodeSetup:
    """A new secret for the session's person to put in their authenticator app; it takes
    effect once a code from it is given (`confirm_code`)."""
    person = _session_person(unit, session_id)
    held = _credential(unit, person)
    held.totp_pending = second_factor.new_secret()
    credentials.save(unit.db, held)
    return {
        "secret": held.totp_pending,
        "uri": second_factor.setup_uri(held.totp_pending, person.email),
    }


def confirm_code(unit: Unit, session_id: int, code: str) -> bool:
    """Give a one-time code for the session: from the secret being set up (which then takes
    effect), else from the one in use. A wrong code counts as a failed sign-in."""
    person = _session_person(unit, session_id)
    held = credentials.credential(unit.db, _id(person), lock=True) or _credential(unit, person)
    now, web = unit.clock.now(), unit.settings.web
    if _locked(held, now):
        raise _lockout(held, person)
    secret = held.totp_pending or held.totp_secret
    step = second_factor.step_of(secret, code, now, held.totp_step) if secret else None
    if step is None:
        _failed(unit, person, held, now, web.lockout_attempts, web.lockout_minutes)
        return False
    if held.totp_pending:
        held.totp_secret, held.totp_pending = held.totp_pending, None
        _audit(unit, person, "second_factor.set", {})
    held.totp_step, held.failed = step, 0
    credentials.save(unit.db, held)
    session = credentials.web_session(unit.db, session_id)
    assert session is not None
    session.second_factor = True
    credentials.save(unit.db, session)
    return True


# -- one's own sessions ----------------------------------------------------------------------------


@reads
def sessions(unit: Unit, current: int) -> list[SessionShown]:
    """The acting person's open sessions, newest first (`current` is the one asking)."""
    person_id = _actor_id(unit)
    return [
        {
            "id": _id(s),
            "method": s.method,
            "address": s.address,
            "agent": s.agent,
            "created_at": _aware(s.created_at).isoformat(),
            "seen_at": _aware(s.seen_at).isoformat(),
            "expires_at": _aware(s.expires_at).isoformat(),
            "current": s.id == current,
        }
        for s in credentials.sessions_of(unit.db, person_id, unit.clock.now())
    ]


def end_session(unit: Unit, session_id: int) -> None:
    """End one of the acting person's own sessions."""
    held = credentials.web_session(unit.db, session_id)
    if held is None or held.person_id != _actor_id(unit):
        raise NotFound("session", session_id)
    if held.revoked_at is None:
        held.revoked_at = unit.clock.now()
        credentials.save(unit.db, held)


def end_other_sessions(unit: Unit, current: int) -> int:
    """End every open session of the acting person but `current`: how many."""
    return credentials.revoke_sessions(unit.db, _actor_id(unit), unit.clock.now(), but=current)


# -- API tokens ------------------------------------------------------------------------------------


@writes("token.create")
def create_token(
    unit: Unit, name: str, roles: list[str] | None = None, days: int | None = 90
) -> TokenMade:
    """A personal API token acting with `roles` (default: all the person holds; never more),
    expiring after `days` (None: never). Shown once; kept as its hash."""
    actor = unit.actor
    name = name.strip()
    if not name or len(name) > NAME_LENGTH or not name.isprintable():
        raise InvalidInput(
            f"a token needs a name of 1 to {NAME_LENGTH} printable characters, saying what uses "
            "it (such as 'monitoring export')", field="name"
        )  # fmt: skip
    wanted = sorted(set(roles)) if roles else sorted(actor.roles)
    unknown = [r for r in wanted if r not in ALL_ROLES]
    if unknown:
        raise InvalidInput(f"unknown role {unknown[0]!r}; roles are " + ", ".join(ALL_ROLES))
    beyond = [r for r in wanted if r not in actor.roles]
    if beyond:
        raise NotPermitted(
            actor.email, f"make a token with the role {beyond[0]}",
            roles_held=sorted(actor.roles), because="a token acts with roles its owner holds",
        )  # fmt: skip
    if days is not None and not 1 <= days <= 366:
        raise InvalidInput("a token lasts 1 to 366 days (or never)", field="days")
    now = unit.clock.now()
    token = tokens.new(tokens.API_PREFIX)
    made = ApiToken(
        token_hash=tokens.digest(token), prefix=token[:10], person_id=actor.person_id or 0,
        name=name, roles=",".join(wanted), created_at=now,
        expires_at=now + dt.timedelta(days=days) if days is not None else None,
    )  # fmt: skip
    credentials.save(unit.db, made)
    audit.append(
        unit.db, actor=actor.email, roles=actor.roles_text, action="token.create",
        payload={"token": made.prefix, "name": name, "roles": wanted,
                 "expires_at": made.expires_at.isoformat() if made.expires_at else None},
    )  # fmt: skip
    return {
        "id": _id(made),
        "token": token,
        "prefix": made.prefix,
        "name": name,
        "roles": wanted,
        "expires_at": made.expires_at.isoformat() if made.expires_at else None,
    }


@writes("token.revoke")
def revoke_token(unit: Unit, token_id: int) -> TokenShown:
    """Revoke one of the acting person's own tokens (a programme leader: anyone's)."""
    actor = unit.actor
    held = credentials.api_token(unit.db, token_id)
    mine = held is not None and held.person_id == actor.person_id
    if held is None or not (mine or Role.PROGRAMME_LEADER in actor.roles):
        raise NotFound("token", token_id)
    if held.revoked_at is None:
        held.revoked_at = unit.clock.now()
        credentials.save(unit.db, held)
        audit.append(
            unit.db, actor=actor.email, roles=actor.roles_text, action="token.revoke",
            payload={"token": held.prefix, "name": held.name},
        )  # fmt: skip
    return _token_shown(held, unit.clock.now())


@reads
def list_tokens(unit: Unit) -> list[TokenShown]:
    """The acting person's tokens, newest first, never the tokens themselves."""
    now = unit.clock.now()
    return [_token_shown(t, now) for t in credentials.tokens_of(unit.db, _actor_id(unit))]


@reads
def token_actor(unit: Unit, token: str | None) -> Bearer | None:
    """Who an API request with this bearer token acts as: the token's person, with the roles
    the token was given that they still hold; None for an unknown, revoked or expired token.
    `seen_due` once its last use is a minute old or more (`note_token_used`)."""
    if not tokens.well_formed(token, tokens.API_PREFIX):
        return None
    found = credentials.token_with_person(unit.db, tokens.digest(token or ""))
    if found is None:
        return None
    held, person = found
    now = unit.clock.now()
    if held.revoked_at is not None or (held.expires_at and _aware(held.expires_at) <= now):
        return None
    roles = frozenset(repository.roles_of(unit.db, _id(person))) & set(held.roles.split(","))
    return {
        "actor": Actor(person.email, person.name, roles, person.id, person.organisation_id),
        "token_id": _id(held),
        "seen_due": held.used_at is None or now - _aware(held.used_at) >= TOUCH_EVERY,
    }


def note_token_used(unit: Unit, token_id: int) -> None:
    """Note that the token was used now."""
    credentials.mark_token_used(unit.db, token_id, unit.clock.now())


# -- the steps -------------------------------------------------------------------------------------

WRONG = "the e-mail address or the password is not right"


def _person(unit: Unit, email: str) -> Person:
    found = _person_or_none(unit, email)
    if found is None:
        raise NotFound("person", email, then="add them to the directory first")
    return found


def _person_or_none(unit: Unit, email: str) -> Person | None:
    try:
        address = normalise_email(email)
    except InvalidInput:
        return None
    return repository.person_by_email(unit.db, address)


def _credential(unit: Unit, person: Person) -> Credential:
    held = credentials.credential(unit.db, _id(person), lock=True)
    return held if held is not None else Credential(person_id=_id(person))


def _link(unit: Unit, person: Person, purpose: Purpose, hours: int) -> tuple[str, SignInLink]:
    now = unit.clock.now()
    credentials.retire_links(unit.db, _id(person), purpose, now)
    token = tokens.new()
    made = SignInLink(
        token_hash=tokens.digest(token), person_id=_id(person), purpose=purpose, created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )  # fmt: skip
    credentials.save(unit.db, made)
    return token, made


def _usable_link(unit: Unit, token: str, purpose: Purpose, *, lock: bool) -> SignInLink:
    if not tokens.well_formed(token):
        raise _link_refused()
    found = credentials.link(unit.db, tokens.digest(token), lock=lock)
    usable = (
        found is not None
        and found.purpose == purpose
        and found.used_at is None
        and _aware(found.expires_at) > unit.clock.now()
    )
    if not usable or found is None:
        raise _link_refused()
    return found


def _link_refused() -> SignInRefused:
    return SignInRefused(
        "this link does not work (any more): it was used, it expired, or a newer one was sent; "
        "ask for a new one"
    )


def _mail(unit: Unit, person: Person, event: str, made: SignInLink, link: str) -> None:
    from kracht.notifications.outbox import add_message

    facts = {
        "link": link,
        "expires": moments.moment(made.expires_at, person.language),
        "programme_name": PROGRAMME_NAME.get(person.language, PROGRAMME_NAME["nl"]),
    }
    add_message(
        unit.db, f"{event}:{person.id}:{made.id}", event, event, person, None, "person", facts,
        templates=unit.settings.templates.folder,
    )  # fmt: skip


def _open_session(
    unit: Unit, person: Person, held: Credential, method: str, address: str, agent: str
) -> SignedIn:
    now, web = unit.clock.now(), unit.settings.web
    token = tokens.new()
    made = WebSession(
        token_hash=tokens.digest(token), person_id=_id(person), csrf=tokens.new(), method=method,
        address=address[:100], agent=agent[:300], created_at=now, seen_at=now,
        expires_at=now + dt.timedelta(hours=web.session_hours),
    )  # fmt: skip
    credentials.save(unit.db, made)
    roles = set(repository.roles_of(unit.db, _id(person)))
    return {
        "token": token,
        "csrf": made.csrf,
        "person_id": _id(person),
        "email": person.email,
        "name": person.name,
        "needs_code": bool(roles & web.needs_second_factor) or bool(held.totp_secret),
        "expires_at": made.expires_at.isoformat(),
    }


def _failed(
    unit: Unit, person: Person, held: Credential, now: dt.datetime, attempts: int, minutes: int
) -> Refused:
    held.failed += 1
    if held.failed < attempts:
        credentials.save(unit.db, held)
        return {"refused": True, "message": WRONG}
    held.failed, held.locked_until = 0, now + dt.timedelta(minutes=minutes)
    credentials.save(unit.db, held)
    _audit(unit, person, "sign_in.locked", {"until": held.locked_until.isoformat()})
    return _locked_refusal(held, person)


def _locked(held: Credential, now: dt.datetime) -> bool:
    return held.locked_until is not None and _aware(held.locked_until) > now


def _locked_refusal(held: Credential, person: Person | None) -> Refused:
    assert held.locked_until is not None
    until = _aware(held.locked_until)
    shown = moments.moment(until, person.language if person else "nl")
    return {
        "refused": True,
        "message": f"too many failed sign-ins: this account takes none until {shown}",
        "until": until.isoformat(),
    }


def _lockout(held: Credential, person: Person) -> LockedOut:
    refusal = _locked_refusal(held, person)
    return LockedOut(refusal["message"], refusal.get("until", ""))


def _session_person(unit: Unit, session_id: int) -> Person:
    held = credentials.web_session(unit.db, session_id)
    person = repository.person(unit.db, held.person_id) if held is not None else None
    if held is None or person is None or held.revoked_at is not None:
        raise SignInRefused("this session has ended; sign in again")
    return person


def _actor_id(unit: Unit) -> int:
    person_id = unit.actor.person_id
    assert person_id is not None
    return person_id


def _audit(unit: Unit, person: Person, action: str, payload: dict[str, object]) -> None:
    roles = ",".join(repository.roles_of(unit.db, _id(person)))
    audit.append(unit.db, actor=person.email, roles=roles, action=action, payload=payload)


def _token_shown(held: ApiToken, now: dt.datetime) -> TokenShown:
    expires = _aware(held.expires_at) if held.expires_at else None
    return {
        "id": _id(held),
        "prefix": held.prefix,
        "name": held.name,
        "roles": held.roles.split(","),
        "created_at": _aware(held.created_at).isoformat(),
        "expires_at": expires.isoformat() if expires else None,
        "used_at": _aware(held.used_at).isoformat() if held.used_at else None,
        "revoked_at": _aware(held.revoked_at).isoformat() if held.revoked_at else None,
        "active": held.revoked_at is None and (expires is None or expires > now),
    }


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment, aware (SQLite gives them back naive, in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _id(record: Person | WebSession | ApiToken | SignInLink) -> int:
    assert record.id is not None
    return record.id
