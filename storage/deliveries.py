"""The outbox's rows as the sender moves them: claim with a lease, mark, requeue, list, count.

Claiming is a conditional update: two senders never take the same message; a message whose
lease ran out (its sender crashed) is taken again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from typing_extensions import TypedDict

from kracht.storage.tables import OutboxMessage

STATUSES = ("pending", "sending", "sent", "dead")


def _due(now: dt.datetime) -> Any:
    return sa.or_(
        sa.and_(OutboxMessage.status == "pending", col(OutboxMessage.next_attempt_at) <= now),
        sa.and_(OutboxMessage.status == "sending", col(OutboxMessage.claimed_until) < now),
    )


def claim(db: Session, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[OutboxMessage]:
    """Take up to `limit` due messages, oldest first, each leased until `now + lease`."""
    due = _due(now)
    ids = db.exec(
        select(OutboxMessage.id).where(due).order_by(col(OutboxMessage.id)).limit(limit)
    ).all()
    taken = []
    for message_id in ids:
        result = db.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, due)
            .values(status="sending", attempts=OutboxMessage.attempts + 1,
                    claimed_until=now + lease)
        )  # fmt: skip
        if result.rowcount == 1:
            row = db.get(OutboxMessage, message_id)
            assert row is not None
            db.refresh(row)
            taken.append(row)
    return taken


def mark(db: Session, message_id: int, **values: Any) -> None:
    """Record a send's result, unless another sender has since taken the message over."""
    db.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, OutboxMessage.status == "sending")
        .values(claimed_until=None, **values)
    )


def by_ids(db: Session, ids: list[int]) -> dict[int, OutboxMessage]:
    rows = db.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))).all()
    return {m.pk: m for m in rows}


def requeue_dead(db: Session, ids: list[int], now: dt.datetime) -> list[int]:
    """Dead messages (those of `ids`, or all when empty) back to pending with fresh attempts."""
    query = sa.update(OutboxMessage).where(OutboxMessage.status == "dead")
    if ids:
        query = query.where(col(OutboxMessage.id).in_(ids))
    requeued = db.execute(
        query.values(status="pending", attempts=0, next_attempt_at=now)
        .returning(OutboxMessage.id)
    ).scalars().all()  # fmt: skip
    return sorted(requeued)


def newest(
    db: Session, status: str | None, application_id: int | None, limit: int
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    if application_id is not None:
        query = query.where(OutboxMessage.application_id == application_id)
    return list(db.exec(query).all())


class OutboxCounts(TypedDict):
    """How many messages the outbox holds in each status (STATUSES)."""

    pending: int
    sending: int
    sent: int
    dead: int


def counts(db: Session) -> OutboxCounts:
    rows = db.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    return dict.fromkeys(STATUSES, 0) | {str(status): int(n) for status, n in rows}  # noqa: C416
