"""The append-only audit chain: each event carries the SHA-256 of the one before it.

`append` locks the chain's head row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write
transaction already holds the database's write lock), so concurrent writers queue up and the
chain never forks: under PostgreSQL's READ COMMITTED a writer that waited for the lock reads the
head its predecessor committed, and the ORM is told to take those values over any copy of the
row it already holds. Writers lock the application they change before they append
(`repository.application(..., lock=True)`), so the head is taken after it; where PostgreSQL still
reports a deadlock or a serialisation failure, the whole transaction runs again
(`storage.database.transaction`). `storage.audit_check.verify` walks the chain and names the
first event that does not hold.

Every event's payload carries a secret random salt (`SALT`), hashed with the rest. A reader is
shown an event's hash even where the payload is hidden from them (another member's blind scores,
a withheld advice, an event of another organisation's application reached through the next
event's previous-hash); without the salt, trying every possible payload against that hash
(15,625 score sheets take a second) would recover what is hidden. The salt is kept from every
reader (`history` leaves it out unless asked) and goes only into the auditors' export, which
verifies without kracht. Events written before salting keep their payloads and verify as before.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col
from typing_extensions import TypedDict

from kracht.storage import clock, hot
from kracht.storage.audit_chain import Chain
from kracht.storage.audit_format import (
    FORMAT,
    HASHED,
    canonical_bytes,
    canonical_time,
    event_hash,
)
from kracht.storage.tables import AuditEvent, AuditHead, AuditNode

__all__ = ["FORMAT", "HASHED", "canonical_bytes", "canonical_time", "event_hash"]

SALT = "salt"  # the payload key of an event's secret salt


CHANNEL = "kracht_channel"  # the session's info key naming the interface it acts through


def through(db: Session, channel: str) -> None:
    """Mark the session's events as made through `channel` (web, api, scheduler): their
    payloads say so, inside what the hash covers."""
    db.info[CHANNEL] = channel


def append(
    db: Session,
    *,
    actor: str,
    roles: str,
    action: str,
    application_id: int | None = None,
    trigger: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Appended:
    """Append one event inside the caller's transaction, its payload salted (see the module):
    three hot statements (read and lock the head, insert the event, move the head; see
    storage/hot.py). The event returned is what was written (not a session object)."""
    payload = dict(payload or {})
    assert SALT not in payload, f"the payload key {SALT!r} is the audit chain's own"
    channel = db.info.get(CHANNEL)
    if channel is not None and channel != "cli":  # the command line's events stay as they were
        payload.setdefault("channel", channel)
    payload[SALT] = secrets.token_hex(32)
    chain = Chain.from_head(*hot.rows(db, _HEAD_LOCKED)[0])  # locked, as committed
    # (the first migration creates the head row)
    at = clock.now()
    fields: dict[str, Any] = dict(
        at=at,
        actor=actor,
        roles=roles,
        application_id=application_id,
        action=action,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        outcome=outcome,
        reason=reason,
        payload=payload,
    )
    change = chain.change(actor, roles, at, secrets.token_hex(32))
    rows, nodes = [], []
    for each in ([change] if change else []) + [fields]:
        row, made = chain.add(each)
        rows.append(row)
        nodes.extend(made)
    for row in rows[:-1]:
        hot.rows(db, _EVENT_INSERT, row)
    ((event_id,),) = hot.rows(db, _EVENT_INSERT, rows[-1])
    hot.write(db, _NODE_INSERT, nodes)
    hot.write(db, _HEAD_MOVE, chain.head())
    row = rows[-1]
    return Appended(id=event_id, **{k: row[k] for k in _APPENDED})


_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
_NODE = AuditNode.__table__  # type: ignore[attr-defined]
_HEAD_LOCKED = hot.Hot(
    sa.select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.format, _HEAD.c.frontier)
    .where(_HEAD.c.id == 1)
    .with_for_update()
)
_EVENT_INSERT = hot.Hot(
    _EVENT.insert().returning(_EVENT.c.id), [c.key for c in _EVENT.c if c.key != "id"]
)
_NODE_INSERT = hot.Hot(_NODE.insert(), ["level", "idx", "hash"])
_HEAD_MOVE = hot.Hot(
    _HEAD.update()
    .where(_HEAD.c.id == 1)
    .values(
        seq=sa.bindparam("new_seq"),
        hash=sa.bindparam("new_hash"),
        format=sa.bindparam("new_format"),
        frontier=sa.bindparam("new_frontier"),
    )
)
_APPENDED = (*HASHED, "hash", "format")


@dataclass(frozen=True, slots=True)
class Appended:
    """The event just appended, as written (the audit_event row's columns)."""

    id: int
    seq: int
    at: dt.datetime
    actor: str
    roles: str
    application_id: int | None
    action: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    outcome: str
    reason: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    format: int


class EventRow(TypedDict):
    """An audit event as read: its hashed fields (the time canonical), and its hash."""

    seq: int
    at: str
    actor: str
    roles: str
    application_id: int | None
    action: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    outcome: str
    reason: str | None
    payload: dict[str, Any]  # what the event recorded (free-form)
    prev_hash: str
    hash: str
    format: int  # the rule its hash follows (docs/audit-format.md)


def history(
    db: Session,
    application_id: int | None = None,
    *,
    salted: bool = False,
    fired: Iterable[str] | None = None,
) -> list[EventRow]:
    """Events in chain order, optionally for one application; the payloads' salts only when
    `salted` (for the auditors' export, and for deciding what a reader may be shown). With
    `fired`, only the moves made by those triggers (action "fire", outcome "ok")."""
    query = sa.select(AuditEvent).order_by(AuditEvent.seq)  # type: ignore[arg-type]
    if application_id is not None:
        query = query.where(AuditEvent.application_id == application_id)  # type: ignore[arg-type]
    if fired is not None:
        query = query.where(
            AuditEvent.action == "fire",  # type: ignore[arg-type]
            AuditEvent.outcome == "ok",  # type: ignore[arg-type]
            col(AuditEvent.trigger).in_(sorted(fired)),
        )
    return [as_dict(e, salted=salted) for e in db.exec(query).scalars()]


def lock_head(db: Session) -> None:
    """Take the chain's head lock now (as an append would), for a decision made on the trail
    as it stands (PostgreSQL: FOR UPDATE; SQLite: the write transaction holds the lock)."""
    hot.rows(db, _HEAD_LOCKED)


def last_of(db: Session, action: str) -> tuple[int, dt.datetime] | None:
    """The number of the last successful event of `action`, and when it was recorded."""
    query = (
        sa.select(AuditEvent.seq, AuditEvent.at)
        .where(AuditEvent.action == action, AuditEvent.outcome == "ok")  # type: ignore[arg-type]
        .order_by(AuditEvent.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    found = db.exec(query).first()  # type: ignore[call-overload]
    if found is None:
        return None
    seq, at = found
    return seq, (at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at)


def any_since(db: Session, seq: int, ignoring: Iterable[str]) -> bool:
    """Whether any event after #seq is of another action than those `ignoring`."""
    query = sa.select(AuditEvent.seq).where(
        AuditEvent.seq > seq,  # type: ignore[arg-type]
        col(AuditEvent.action).not_in(sorted(ignoring)),
    )
    return db.exec(query.limit(1)).first() is not None  # type: ignore[call-overload]


def unsalted(db: Session, seqs: Iterable[int]) -> set[int]:
    """Which of the events numbered `seqs` were written before salting (their hash guessable)."""
    wanted = sorted(set(seqs))
    if not wanted:
        return set()
    query = sa.select(AuditEvent.seq, AuditEvent.payload).where(AuditEvent.seq.in_(wanted))  # type: ignore[attr-defined]
    return {seq for seq, payload in db.exec(query).all() if not is_salted(payload)}


def is_salted(payload: dict[str, Any] | None) -> bool:
    return SALT in (payload or {})


def without_salt(payload: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (payload or {}).items() if k != SALT}


def as_dict(event: AuditEvent, *, salted: bool = False) -> EventRow:
    return {
        "seq": event.seq,
        "at": canonical_time(event.at),
        "actor": event.actor,
        "roles": event.roles,
        "application_id": event.application_id,
        "action": event.action,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "outcome": event.outcome,
        "reason": event.reason,
        "payload": event.payload if salted else without_salt(event.payload),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "format": event.format,
    }
