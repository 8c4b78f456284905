"""Many rows in one statement each: the batched writes of an import (SQLAlchemy Core, executemany).

The rows go through the caller's session (its connection and transaction), so they commit or
roll back with everything else the unit wrote. Pending ORM changes are flushed first, so the
statements run in the order the caller wrote them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage import clock, repository
from kracht.storage.tables import Application, AuditEvent, AuditNode, Organisation, OutboxMessage

APPLICATION = Application.__table__  # type: ignore[attr-defined]
AUDIT_EVENT = AuditEvent.__table__  # type: ignore[attr-defined]
AUDIT_NODE = AuditNode.__table__  # type: ignore[attr-defined]
OUTBOX_MESSAGE = OutboxMessage.__table__  # type: ignore[attr-defined]


def add_applications(db: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert applications (their columns, without id, version and times); their new ids, in
    the order of `rows`."""
    if not rows:
        return []
    db.flush()
    now = clock.now()
    values = [{"version": 1, "created_at": now, "updated_at": now, **row} for row in rows]
    query = sa.insert(APPLICATION).returning(APPLICATION.c.id, sort_by_parameter_order=True)
    return list(db.execute(query, values).scalars())


def add_events(db: Session, rows: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> None:
    """Insert audit events already chained and hashed, and the tree nodes they complete
    (storage.audit_batch)."""
    if rows:
        db.flush()
        db.execute(sa.insert(AUDIT_EVENT), rows)
        db.execute(sa.insert(AUDIT_NODE), nodes)


def add_messages(db: Session, rows: list[dict[str, Any]]) -> None:
    """Insert outbox messages given as their columns (the rest take the model's defaults,
    pending), after writing what the session holds so far."""
    if rows:
        db.flush()
        repository.add_messages(db, rows)


def orgs_by_names(db: Session, names: list[str]) -> dict[str, Organisation]:
    """`repository.org_by_name` for many names in one query: {name as given: organisation},
    for the names that match one (case-insensitively, the lowest id where several do)."""
    wanted = {name: name.strip().lower() for name in names}
    found: dict[str, Organisation] = {}
    keys = sorted(set(wanted.values()))
    lowered = sa.func.lower(Organisation.name)
    for start in range(0, len(keys), 500):  # within every database's limit on parameters
        chunk = keys[start : start + 500]
        query = (
            select(Organisation, lowered).where(lowered.in_(chunk)).order_by(col(Organisation.id))
        )
        for org, key in db.exec(query).all():
            found.setdefault(key, org)
    return {name: found[key] for name, key in wanted.items() if key in found}
