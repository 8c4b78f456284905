"""Reads and writes of what signing in keeps: credentials, e-mailed links, web sessions and API
tokens. Tokens are looked up by their SHA-256 (the caller hashes); nothing here decides."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage.tables import ApiToken, Credential, Person, SignInLink, WebSession


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


def session_with_person(db: Session, token_hash: str) -> tuple[WebSession, Person] | None:
    """The web session with this token's hash and its person (whatever its state: the caller
    checks expiry and revocation)."""
    row = db.exec(
        select(WebSession, Person)
        .join(Person, col(Person.id) == WebSession.person_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row is not None else None


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
