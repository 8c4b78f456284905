"""Reading the Merkle tree kracht keeps beside the trail (`audit_node`, storage/merkle.py)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col

from kracht.storage import merkle
from kracht.storage.tables import AuditHead, AuditNode


def size_and_root(db: Session) -> tuple[int, bytes]:
    """The tree as the head records it: its size and root (from the head's frontier)."""
    head = db.get(AuditHead, 1)
    if head is None:
        return 0, merkle.EMPTY_ROOT
    hashes = [bytes.fromhex(head.frontier[i : i + 64]) for i in range(0, len(head.frontier), 64)]
    return head.seq, merkle.Frontier(head.seq, hashes).root()


def nodes(db: Session, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored nodes among `wanted` ((level, index) pairs), in one statement."""
    by_level: dict[int, list[int]] = {}
    for level, index in sorted(set(wanted)):
        by_level.setdefault(level, []).append(index)
    if not by_level:
        return {}
    # one term a level, each answered from the primary key (a pair IN would scan the table)
    terms = [
        sa.and_(AuditNode.level == level, col(AuditNode.idx).in_(indexes))
        for level, indexes in by_level.items()
    ]
    query = sa.select(AuditNode.level, AuditNode.idx, AuditNode.hash).where(sa.or_(*terms))
    return {(level, index): digest for level, index, digest in db.exec(query).all()}  # type: ignore[call-overload]
