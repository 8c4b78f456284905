"""Appending many events to the audit chain at once (an import: one event per application).

The same chain as `audit.append` writes event by event (storage.audit_chain): the head is
locked once, each event is salted, numbered, hashed over the one before it and taken into the
tree; the events and the tree's new nodes are inserted in one statement each and the head
moved to the last.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kracht.storage import bulk, clock
from kracht.storage.audit import SALT
from kracht.storage.audit_chain import Chain
from kracht.storage.tables import AuditHead


def append_many(db: Session, events: list[dict[str, Any]]) -> list[int]:
    """Append `events` (each the keyword arguments of `audit.append`) in order, inside the
    caller's transaction; their sequence numbers."""
    if not events:
        return []
    head = db.exec(
        sa.select(AuditHead)
        .where(AuditHead.id == 1)  # type: ignore[arg-type]
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row as committed, not a copy
    ).scalar_one()
    chain = Chain.from_head(head.seq, head.hash, head.format, head.frontier)
    at = clock.now()
    first = events[0]
    change = chain.change(first["actor"], first["roles"], at, secrets.token_hex(32))
    rows, nodes = [], []
    for event in ([change] if change else []) + [_fields(event, at) for event in events]:
        row, made = chain.add(event)
        rows.append(row)
        nodes.extend(made)
    bulk.add_events(db, rows, nodes)
    values = chain.head()
    head.seq, head.hash = values["new_seq"], values["new_hash"]
    head.format, head.frontier = values["new_format"], values["new_frontier"]
    db.flush()
    return [row["seq"] for row in rows[1 if change else 0 :]]


def _fields(event: dict[str, Any], at: Any) -> dict[str, Any]:
    payload = dict(event.get("payload") or {})
    assert SALT not in payload, f"the payload key {SALT!r} is the audit chain's own"
    payload[SALT] = secrets.token_hex(32)
    return dict(
        at=at,
        actor=event["actor"],
        roles=event["roles"],
        application_id=event.get("application_id"),
        action=event["action"],
        trigger=event.get("trigger"),
        from_state=event.get("from_state"),
        to_state=event.get("to_state"),
        outcome=event.get("outcome", "ok"),
        reason=event.get("reason"),
        payload=payload,
    )
