"""The append-only audit chain: each event carries the SHA-256 of the one before it.

`append` locks the chain's head row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write
transaction already holds the database's write lock), so concurrent writers queue up and the
chain never forks: under PostgreSQL's READ COMMITTED a writer that waited for the lock reads the
head its predecessor committed, and the ORM is told to take those values over any copy of the
row it already holds. Writers lock the application they change before they append
(`repository.application(..., lock=True)`), so the head is taken after it; where PostgreSQL still
reports a deadlock or a serialisation failure, the whole transaction runs again
(`storage.database.transaction`). `verify` walks the chain and names the first event that does
not hold.

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
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col
from typing_extensions import TypedDict

from kracht.storage import clock, hot
from kracht.storage.database import GENESIS
from kracht.storage.tables import AuditEvent, AuditHead

HASHED = (
    "seq",
    "at",
    "actor",
    "roles",
    "application_id",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "outcome",
    "reason",
    "payload",
    "prev_hash",
)
SALT = "salt"  # the payload key of an event's secret salt


def canonical_time(at: dt.datetime | str) -> str:
    if isinstance(at, str):  # already canonical, as exported
        return at
    if at.tzinfo is None:  # SQLite hands back naive datetimes; kracht only ever stores UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The exact bytes an event's hash covers: sorted-key JSON of the HASHED fields."""
    doc = {name: fields[name] for name in HASHED}
    doc["at"] = canonical_time(doc["at"])
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


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
    ((seq, prev_hash),) = hot.rows(db, _HEAD_LOCKED)  # locked, as committed
    # (the first migration creates the head row)
    fields: dict[str, Any] = dict(
        seq=seq + 1,
        at=clock.now(),
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
        prev_hash=prev_hash,
    )
    digest = event_hash(fields)
    ((event_id,),) = hot.rows(db, _EVENT_INSERT, {**fields, "hash": digest})
    hot.write(db, _HEAD_MOVE, {"new_seq": seq + 1, "new_hash": digest})
    return Appended(id=event_id, **fields, hash=digest)


_HEAD = AuditHead.__table__  # type: ignore[attr-defined]
_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD_LOCKED = hot.Hot(
    sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
)
_EVENT_INSERT = hot.Hot(
    _EVENT.insert().returning(_EVENT.c.id), [c.key for c in _EVENT.c if c.key != "id"]
)
_HEAD_MOVE = hot.Hot(
    _HEAD.update()
    .where(_HEAD.c.id == 1)
    .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
)


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


@dataclass(frozen=True)
class Verdict:
    intact: bool
    events: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None


def verify(db: Session, batch: int = 5000) -> Verdict:
    """Walk the whole chain in order; stop at the first event that does not hold."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for row in _events(db, batch):
        fields = dict(row._mapping)
        problem = None
        if fields["seq"] != expected_seq:
            problem = f"expected event #{expected_seq} here, found #{fields['seq']} (missing event)"
        elif fields["prev_hash"] != expected_prev:
            problem = "its previous-hash does not match the event before it"
        elif event_hash(fields) != fields["hash"]:
            problem = "its contents do not match its hash (altered)"
        if problem:
            return Verdict(False, count, fields["seq"], fields["id"], problem)
        expected_prev, expected_seq, count = fields["hash"], expected_seq + 1, count + 1
    head = db.get(AuditHead, 1)
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, expected_prev):
        return Verdict(False, count, head.seq, None, "the chain ends before its recorded head")
    return Verdict(True, count)


def _events(db: Session, batch: int) -> Iterator[sa.Row[Any]]:
    columns = [getattr(AuditEvent, name) for name in ("id", *HASHED, "hash")]
    last = 0
    while True:
        rows = db.exec(
            sa.select(*columns).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)  # type: ignore[arg-type]
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


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
    }
