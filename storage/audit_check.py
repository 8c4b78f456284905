"""Verifying the audit chain (`kracht audit verify`): the proof pass and the columns pass.

The proof pass reads each event as stored (seq, previous hash, hash, format, bytes), hashes a
format-2 event's bytes as stored and checks them against its hash and link, rebuilds a format-1
event's bytes from its columns, and collects the leaves for the Merkle tree; a batch with
nothing to report takes the fast path (one tight loop), else each check runs in turn and names
the first that fails. The columns pass then holds every format-2 event's columns against its
stored bytes: what readers are shown is what was hashed. docs/audit-format.md is the rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kracht.storage import hot, merkle
from kracht.storage.audit_format import (
    CHANGE,
    FORMAT,
    HASHED,
    HASHED_TWO,
    canonical_time,
    event_hash,
    leaf,
    parse_body,
)
from kracht.storage.database import GENESIS
from kracht.storage.tables import AuditEvent, AuditHead, AuditNode

_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
_NODE = AuditNode.__table__  # type: ignore[attr-defined]
_NODE_ROWS = hot.Hot(
    sa.select(_NODE.c.level, _NODE.c.idx, _NODE.c.hash)
    .where(
        sa.or_(
            _NODE.c.level > sa.bindparam("level"),
            sa.and_(_NODE.c.level == sa.bindparam("level"), _NODE.c.idx > sa.bindparam("idx")),
        )
    )
    .order_by(_NODE.c.level, _NODE.c.idx)
    .limit(sa.bindparam("batch"))
)
_PROOF_ROWS = hot.Hot(
    sa.select(_EVENT.c.seq, _EVENT.c.prev_hash, _EVENT.c.hash, _EVENT.c.format, _EVENT.c.body)
    .where(_EVENT.c.seq > sa.bindparam("after_seq"))
    .order_by(_EVENT.c.seq)
    .limit(sa.bindparam("batch"))
)  # fmt: skip


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
    if problem is None:
        problem = _second_change(db)
    if problem:
        seq, event_id, text = problem
        return Verdict(False, min(walk.seq, seq - 1), seq, event_id, text)
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
    altered = _nodes_pass(db, tree, batch) or _columns_pass(db, batch)
    if altered:
        seq, event_id, text = altered
        return Verdict(False, seq - 1, seq, event_id, text)
    roots = {size: tree.root(size).hex() for size in sizes if size <= walk.seq}
    firsts = {moment: seq for moment in after if (seq := _first_at(db, moment)) is not None}
    return Verdict(True, walk.seq, root=tree.root(walk.seq).hex(), roots=roots, first_after=firsts)


def _second_change(db: Session) -> tuple[int, int, str] | None:
    """The format changes once: a second audit.format event is named (in one query)."""
    query = (
        sa.select(AuditEvent.seq, AuditEvent.id)
        .where(AuditEvent.action == CHANGE)  # type: ignore[arg-type]
        .order_by(AuditEvent.seq)  # type: ignore[arg-type]
        .limit(2)
    )
    found = db.exec(query).all()  # type: ignore[call-overload]
    if len(found) < 2:
        return None
    seq, event_id = found[1]
    return seq, event_id, f"a second {CHANGE} event (the format changes once)"


def _nodes_pass(db: Session, tree: merkle.Levels, batch: int) -> tuple[int, int, str] | None:
    """Every node of the tree kracht keeps (`audit_node`, which proofs are made from) against
    the tree rebuilt from the events; the first that differs or is missing, named by the event
    it starts at."""
    expected = sum(len(level) for level in tree.levels)
    seen = 0
    for rows in _node_batches(db, batch):
        for level, index, digest in rows:
            if level >= len(tree.levels) or index >= len(tree.levels[level]):
                continue  # beyond the events: the head check has named that already
            seen += 1
            if bytes(digest) != tree.levels[level][index]:
                first = (index << level) + 1
                text = f"its tree node (level {level}, {index}) is not the events' (altered)"
                return first, 0, text
    if seen != expected:
        return 1, 0, f"{expected - seen} nodes of the Merkle tree are missing (deleted)"
    return None


def _node_batches(db: Session, batch: int) -> Iterator[list[Any]]:
    last = (-1, -1)
    while True:
        rows = hot.raw_rows(db, _NODE_ROWS, {"level": last[0], "idx": last[1], "batch": batch})
        if not rows:
            return
        yield rows
        last = (rows[-1][0], rows[-1][1])


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
        for position, (number, prev_hash, digest, fmt, body) in enumerate(rows):
            leaf = sha256(b"\x00" + (body or b"")).digest()
            if number != seq + 1 or prev_hash != prev or fmt != FORMAT or leaf.hex() != digest:
                self.seq, self.prev = seq, prev
                return self._slowly(rows[position:], db)  # from this row on: says exactly what
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
