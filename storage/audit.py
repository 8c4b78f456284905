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
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col
from typing_extensions import TypedDict

from kracht.storage import clock, hot, merkle
from kracht.storage.audit_chain import Chain
from kracht.storage.audit_format import (
    CHANGE,
    FORMAT,
    HASHED,
    HASHED_TWO,
    canonical_bytes,
    canonical_time,
    event_hash,
    leaf,
    parse_body,
)
from kracht.storage.database import GENESIS
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
_PROOF_ROWS = hot.Hot(
    sa.select(_EVENT.c.seq, _EVENT.c.prev_hash, _EVENT.c.hash, _EVENT.c.format, _EVENT.c.body)
    .where(_EVENT.c.seq > sa.bindparam("after_seq"))
    .order_by(_EVENT.c.seq)
    .limit(sa.bindparam("batch"))
)  # fmt: skip


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


@dataclass(frozen=True)
class Verdict:
    intact: bool
    events: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None
    root: str | None = None  # the tree's root over every event, hex, when intact
    roots: dict[int, str] = field(default_factory=dict)  # {size asked for: root at that size}
    first_after: dict[dt.datetime, int] = field(default_factory=dict)  # {moment: first seq}


def verify(
    db: Session,
    batch: int = 5000,
    *,
    sizes: Iterable[int] = (),
    after: Iterable[dt.datetime] = (),
) -> Verdict:
    """Walk the whole chain in order and stop at the first event that does not hold: first the
    proof pass (numbering, links, each format-2 event's stored bytes against its hash, the
    Merkle tree rebuilt from the leaves), then the columns pass (each format-2 event's columns
    against its stored bytes, which is what readers and exports are shown). Note the tree's root
    at each of `sizes` and, for each moment in `after`, the first event recorded at or after it."""
    walk, problem = proof_pass(db, batch)
    if problem:
        seq, event_id, text = problem
        return Verdict(False, walk.seq, seq, event_id, text)
    tree = merkle.Levels(walk.leaves)
    head = db.get(AuditHead, 1)
    if head is not None:
        problem = None
        if (head.seq, head.hash) != (walk.seq, walk.prev):
            problem = "the chain ends before its recorded head"
        elif head.frontier != "".join(h.hex() for h in tree.frontier()):
            problem = "the recorded Merkle tree is not the tree of the events"
        if problem:
            return Verdict(False, walk.seq, head.seq, None, problem)
    altered = _columns_pass(db, batch)
    if altered:
        seq, event_id, text = altered
        return Verdict(False, seq - 1, seq, event_id, text)
    roots = {size: tree.root(size).hex() for size in sizes if size <= walk.seq}
    firsts = {moment: seq for moment in after if (seq := _first_at(db, moment)) is not None}
    return Verdict(True, walk.seq, root=tree.root(walk.seq).hex(), roots=roots, first_after=firsts)


def proof_pass(db: Session, batch: int = 5000) -> tuple[_Walk, tuple[int, int, str] | None]:
    """The chain walked as a proof needs it (see `verify`): the walk, with every leaf, and the
    first problem as (seq, id, what), if any."""
    walk = _Walk()
    for rows in _proof_batches(db, batch):
        problem = walk.take(rows, db)
        if problem:
            return walk, problem
    return walk, None


@dataclass
class _Walk:
    """What the chain must show next, and the leaves so far."""

    seq: int = 0
    prev: str = GENESIS
    format: int = 0  # none yet: a trail begins in any format, and changes at an audit.format
    leaves: list[bytes] = field(default_factory=list)

    def take(self, rows: list[Any], db: Session) -> tuple[int, int, str] | None:
        """Check a batch of (seq, prev_hash, hash, format, body) rows; the first problem as
        (seq, id, what), or None when they all hold (and are taken in)."""
        if self.format != FORMAT or rows[0][3] != FORMAT or rows[-1][3] != FORMAT:
            return self._slowly(rows, db)  # a change of format, or format-1 events, among them
        sha256, leaves, seq, prev = hashlib.sha256, self.leaves, self.seq, self.prev
        for number, prev_hash, digest, fmt, body in rows:
            leaf = sha256(b"\x00" + body).digest()
            if number != seq + 1 or prev_hash != prev or fmt != FORMAT or leaf.hex() != digest:
                self.seq, self.prev = seq, prev
                return self._slowly(rows[number - rows[0][0] :], db)  # says exactly what
            leaves.append(leaf)
            seq, prev = number, digest
        self.seq, self.prev = seq, prev
        return None

    def _slowly(self, rows: list[Any], db: Session) -> tuple[int, int, str] | None:
        """`take`, one check at a time, naming the first that fails."""
        legacy = _format_one_leaves(db, rows) if any(r[3] == 1 for r in rows) else {}
        for number, prev_hash, digest, fmt, body in rows:
            problem = None
            if number != self.seq + 1:
                problem = f"expected event #{self.seq + 1} here, found #{number} (missing event)"
            elif prev_hash != self.prev:
                problem = "its previous-hash does not match the event before it"
            elif fmt != self.format:
                problem = _format_problem(fmt, self.format, _action(db, number))
            if problem is None:
                if fmt == 1:
                    leaf, problem = legacy[number]
                else:
                    leaf = merkle.leaf_hash(body or b"")
                    if leaf.hex() != digest:
                        problem = "its stored bytes do not match its hash (altered)"
            if problem:
                return number, _event_id(db, number), problem
            self.leaves.append(leaf)
            self.seq, self.prev, self.format = number, digest, fmt
        return None


def _action(db: Session, seq: int) -> str:
    return db.exec(sa.select(AuditEvent.action).where(AuditEvent.seq == seq)).scalar_one()  # type: ignore[call-overload, arg-type, no-any-return]


def _event_id(db: Session, seq: int) -> int:
    return db.exec(sa.select(AuditEvent.id).where(AuditEvent.seq == seq)).scalar_one()  # type: ignore[call-overload, arg-type, no-any-return]


def _format_problem(fmt: int, current: int, action: str) -> str | None:
    if fmt < current or not 1 <= fmt <= FORMAT:
        return f"it is written in format {fmt} after format {current}"
    if current and action != CHANGE:
        return f"format {fmt} begins without an {CHANGE} event"
    return None


def _format_one_leaves(
    db: Session, rows: list[tuple[Any, ...]]
) -> dict[int, tuple[bytes, str | None]]:
    """{seq: (leaf, problem)} of the format-1 events among `rows`, rebuilt from their columns
    (their bytes are not stored)."""
    wanted = [r[0] for r in rows if r[3] == 1]
    columns = [getattr(AuditEvent, name) for name in (*HASHED, "hash")]
    query = sa.select(*columns).where(AuditEvent.seq.between(wanted[0], wanted[-1]))  # type: ignore[attr-defined]
    out = {}
    for row in db.exec(query).all():  # type: ignore[call-overload]
        fields = row._asdict()
        fields["format"] = 1
        problem = None
        if event_hash(fields) != row.hash:
            problem = "its contents do not match its hash (altered)"
        out[row.seq] = (leaf(fields), problem)
    return out


def _proof_batches(db: Session, batch: int) -> Iterator[list[tuple[Any, ...]]]:
    last = 0
    while True:
        rows = hot.raw_rows(db, _PROOF_ROWS, {"after_seq": last, "batch": batch})
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _columns_pass(db: Session, batch: int) -> tuple[int, int, str] | None:
    """The first format-2 event whose columns differ from its stored bytes."""
    columns = [getattr(AuditEvent, name) for name in ("id", *HASHED_TWO, "body")]
    last = 0
    while True:
        query = (
            sa.select(*columns)
            .where(AuditEvent.seq > last, AuditEvent.format > 1)  # type: ignore[arg-type, operator]
            .order_by(AuditEvent.seq)  # type: ignore[arg-type]
            .limit(batch)
        )
        rows = db.exec(query).all()  # type: ignore[call-overload]
        if not rows:
            return None
        for row in rows:
            differs = _columns_differ(row, row.body)
            if differs:
                text = f"its {differs} column does not match its stored bytes (altered)"
                return row.seq, row.id, text
        last = rows[-1].seq


def _first_at(db: Session, moment: dt.datetime) -> int | None:
    query = sa.select(sa.func.min(AuditEvent.seq)).where(AuditEvent.at >= moment)  # type: ignore[arg-type]
    return db.exec(query).scalar()  # type: ignore[call-overload, no-any-return]


def _columns_differ(row: sa.Row[Any], body: bytes) -> str | None:
    try:
        recorded = parse_body(body)
    except ValueError:
        return "body"
    for name in HASHED_TWO:
        value = getattr(row, name)
        if name == "at":
            value = canonical_time(value)
        if recorded.get(name, _ABSENT) != value:
            return name
    return None


_ABSENT = object()


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
