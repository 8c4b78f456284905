"""Appending many events to the audit chain at once (an import: one event per application).

The same chain as `audit.append` writes event by event: the head is locked once, each event is
salted, numbered and hashed over the one before it, the events are inserted in one statement and
the head moved to the last. What is hashed, and how, is `audit.event_hash`.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kracht.storage import bulk, clock
from kracht.storage.audit import SALT, event_hash
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
    seq, prev = head.seq, head.hash
    rows = []
    for event in events:
        payload = dict(event.get("payload") or {})
        assert SALT not in payload, f"the payload key {SALT!r} is the audit chain's own"
        payload[SALT] = secrets.token_hex(32)
        seq += 1
        fields: dict[str, Any] = dict(
            seq=seq,
            at=clock.now(),
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
            prev_hash=prev,
        )
        prev = fields["hash"] = event_hash(fields)
        rows.append(fields)
    bulk.add_events(db, rows)
    head.seq, head.hash = seq, prev
    db.flush()
    return [row["seq"] for row in rows]
