"""Reads and writes of what signing in keeps: credentials, e-mailed links, web sessions and API
tokens. Tokens are looked up by their SHA-256 (the caller hashes); nothing here decides."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage import hot
from kracht.storage.tables import (
    ApiToken,
    Credential,
    Person,
    PersonRole,
    SignInLink,
    WebSession,
)


def credential(db: Session, person_id: int, *, lock: bool = False) -> Credential | None:
    """The person's credential; with `lock`, held until the transaction ends (counting a failed
    sign-in must not lose a concurrent one)."""
    query = select(Credential).where(Credential.person_id == person_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.exec(query).first()


def save(db: Session, record: Credential | SignInLink | WebSession | ApiToken) -> None:
    """Write a new or changed record now."""
    db.add(record)
    db.flush()


def link(db: Session, token_hash: str, *, lock: bool = False) -> SignInLink | None:
    """The e-mailed link with this token's hash (locked: it is used once)."""
    query = select(SignInLink).where(SignInLink.token_hash == token_hash)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.exec(query).first()


def retire_links(db: Session, person_id: int, purpose: str, now: dt.datetime) -> int:
    """Mark the person's unused links of `purpose` used: a new one replaces them."""
    result = db.exec(  # type: ignore[call-overload]
        sa.update(SignInLink)
        .where(
            col(SignInLink.person_id) == person_id,
            col(SignInLink.purpose) == purpose,
            col(SignInLink.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return int(result.rowcount)


class SignerRow(NamedTuple):
    """What every signed-in request reads of its session, in one statement (no ORM objects):
    the session, its person, their roles and whether they have a second factor set up."""

    session_id: int
    csrf: str
    second_factor: bool
    seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    person_id: int
    email: str
    name: str
    organisation_id: int | None
    language: str
    has_code: bool
    roles: frozenset[str]


def signer_row(db: Session, token_hash: str) -> SignerRow | None:
    """The session with this token's hash with its person, roles and second factor (whatever
    its state: the caller checks expiry and revocation)."""
    found = hot.rows(db, _SIGNER, {"hash": token_hash})
    if not found:
        return None
    roles = frozenset(row[-1] for row in found if row[-1] is not None)
    first = found[0]
    return SignerRow(*first[:11], bool(first[11]), roles)


_SESSION = WebSession.__table__.c  # type: ignore[attr-defined]
_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_CREDENTIAL = Credential.__table__.c  # type: ignore[attr-defined]
_ROLE = PersonRole.__table__.c  # type: ignore[attr-defined]
_SIGNER = hot.Hot(
    sa.select(
        _SESSION.id,
        _SESSION.csrf,
        _SESSION.second_factor,
        _SESSION.seen_at,
        _SESSION.expires_at,
        _SESSION.revoked_at,
        _PERSON.id,
        _PERSON.email,
        _PERSON.name,
        _PERSON.organisation_id,
        _PERSON.language,
        _CREDENTIAL.totp_secret.is_not(None),
        _ROLE.role,
    )  # fmt: skip
    .select_from(
        WebSession.__table__.join(Person.__table__, _PERSON.id == _SESSION.person_id)  # type: ignore[attr-defined]
        .outerjoin(Credential.__table__, _CREDENTIAL.person_id == _PERSON.id)  # type: ignore[attr-defined]
        .outerjoin(PersonRole.__table__, _ROLE.person_id == _PERSON.id)  # type: ignore[attr-defined]
    )
    .where(_SESSION.token_hash == sa.bindparam("hash"))
)


def web_session(db: Session, session_id: int) -> WebSession | None:
    return db.get(WebSession, session_id)


def sessions_of(db: Session, person_id: int, now: dt.datetime) -> list[WebSession]:
    """The person's sessions that are still open, newest first."""
    return list(
        db.exec(
            select(WebSession)
            .where(
                WebSession.person_id == person_id,
                col(WebSession.revoked_at).is_(None),
                col(WebSession.expires_at) > now,
            )
            .order_by(col(WebSession.created_at).desc(), col(WebSession.id).desc())
        ).all()
    )


def touch(db: Session, session_id: int, now: dt.datetime) -> None:
    """Note that the session was used now (for the idle timeout)."""
    db.exec(  # type: ignore[call-overload]
        sa.update(WebSession).where(col(WebSession.id) == session_id).values(seen_at=now)
    )


def revoke_sessions(
    db: Session, person_id: int, now: dt.datetime, *, but: int | None = None
) -> int:
    """End every open session of the person (all but session `but`); how many."""
    query = sa.update(WebSession).where(
        col(WebSession.person_id) == person_id, col(WebSession.revoked_at).is_(None)
    )
    if but is not None:
        query = query.where(col(WebSession.id) != but)
    return int(db.exec(query.values(revoked_at=now)).rowcount)  # type: ignore[call-overload]


def token_with_person(db: Session, token_hash: str) -> tuple[ApiToken, Person] | None:
    """The API token with this hash and its person (the caller checks expiry and revocation)."""
    row = db.exec(
        select(ApiToken, Person)
        .join(Person, col(Person.id) == ApiToken.person_id)
        .where(ApiToken.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


def tokens_of(db: Session, person_id: int) -> list[ApiToken]:
    """The person's tokens, newest first (revoked and expired ones too: they show as such)."""
    return list(
        db.exec(
            select(ApiToken)
            .where(ApiToken.person_id == person_id)
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        ).all()
    )


def api_token(db: Session, token_id: int) -> ApiToken | None:
    return db.get(ApiToken, token_id)


def mark_token_used(db: Session, token_id: int, now: dt.datetime) -> None:
    db.exec(  # type: ignore[call-overload]
        sa.update(ApiToken).where(col(ApiToken.id) == token_id).values(used_at=now)
    )
