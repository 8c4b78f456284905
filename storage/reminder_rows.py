"""The reminders' rows: find, add, end, claim a step, list. The rules of the steps are in
notifications/reminders.py; here is only how the rows are read and changed."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage import hot
from kracht.storage.repository import core, expire
from kracht.storage.tables import Reminder


def by_key(db: Session, key: str) -> Reminder | None:
    return db.exec(select(Reminder).where(Reminder.key == key)).first()


def by_id(db: Session, reminder_id: int) -> Reminder | None:
    return db.get(Reminder, reminder_id)


def add(db: Session, reminder: Reminder) -> Reminder:
    db.add(reminder)
    db.flush()
    return reminder


def end(
    db: Session,
    statuses: tuple[str, ...],
    status: str,
    now: dt.datetime,
    *,
    key: str | None = None,
    application_id: int | None = None,
    kind: str | None = None,
    recipient: str | None = None,
    subject_ref: str | None = None,
) -> int:
    """End every reminder in one of `statuses` that matches the filters given; how many.
    One Core UPDATE (no ORM bulk-update machinery); reminders this session holds are expired,
    so they are read afresh."""
    given = {
        f"match_{name}": value
        for name, value in (
            ("key", key),
            ("application_id", application_id),
            ("kind", kind),
            ("recipient", recipient),
            ("subject_ref", subject_ref),
        )
        if value is not None
    }
    ended = core(db).execute(
        _ending(tuple(given)),
        {**given, "statuses": list(statuses), "status": status, "next_at": None, "closed_at": now},
    )
    if ended.rowcount:
        expire(db, Reminder)
    return ended.rowcount


_REMINDER: sa.Table = Reminder.__table__  # type: ignore[attr-defined]


def end_due_before(
    db: Session,
    statuses: tuple[str, ...],
    status: str,
    now: dt.datetime,
    *,
    application_id: int,
    before: dt.datetime,
) -> int:
    """End the application's reminders in one of `statuses` that fall due before `before`."""
    ended = core(db).execute(
        _REMINDER.update()
        .where(_REMINDER.c.status.in_(statuses), _REMINDER.c.application_id == application_id,
               _REMINDER.c.due_at < before)
        .values(status=status, next_at=None, closed_at=now)
    )  # fmt: skip
    if ended.rowcount:
        expire(db, Reminder)
    return ended.rowcount


@cache
def _ending(filters: tuple[str, ...]) -> sa.Update:
    """The UPDATE that ends the open reminders matching `filters`, built once for each set."""
    where = [_REMINDER.c.status.in_(sa.bindparam("statuses", expanding=True))]
    where += [_REMINDER.c[name.removeprefix("match_")] == sa.bindparam(name) for name in filters]
    return _REMINDER.update().where(*where)


def due_ids(db: Session, statuses: tuple[str, ...], now: dt.datetime, limit: int) -> list[int]:
    """The reminders in `statuses` whose next step has come, the earliest first."""
    rows = db.exec(
        select(Reminder.id)
        .where(col(Reminder.status).in_(statuses), col(Reminder.next_at) <= now)
        .order_by(col(Reminder.next_at), col(Reminder.id))
        .limit(limit)
    ).all()
    return [r or 0 for r in rows]


def take(db: Session, reminder_id: int, was: str, status: str, next_at: dt.datetime | None) -> bool:
    """Move a reminder on from `was`: false when another scheduler took the step first."""
    taken = db.execute(
        sa.update(Reminder)
        .where(col(Reminder.id) == reminder_id, Reminder.status == was)
        .values(status=status, next_at=next_at)
    )
    return taken.rowcount == 1


def listing(
    db: Session,
    statuses: tuple[str, ...] | None,
    recipient: str | None,
    application_id: int | None,
) -> list[Reminder]:
    """Reminders by due time, in `statuses` (all when None); one person's, one application's."""
    query = select(Reminder).order_by(col(Reminder.due_at), col(Reminder.id))
    if statuses is not None:
        query = query.where(col(Reminder.status).in_(statuses))
    if recipient:
        query = query.where(Reminder.recipient == recipient)
    if application_id is not None:
        query = query.where(Reminder.application_id == application_id)
    return list(db.exec(query).all())


def shown(
    db: Session,
    statuses: tuple[str, ...] | None,
    recipient: str | None,
    application_id: int | None,
) -> list[Any]:
    """As `listing`, read for showing them: named tuples with `Reminder`'s columns."""
    key = (statuses, recipient is not None, application_id is not None)
    found = _SHOWN.get(key)
    if found is None:
        r = Reminder.__table__.c  # type: ignore[attr-defined]
        where = [] if statuses is None else [sa.or_(*(r.status == s for s in statuses))]
        if recipient is not None:
            where.append(r.recipient == sa.bindparam("recipient"))
        if application_id is not None:
            where.append(r.application_id == sa.bindparam("app"))
        found = _SHOWN[key] = hot.Listing(Reminder, *where, order_by=(r.due_at, r.id))
    return found.read(db, {"app": application_id, "recipient": recipient})


_SHOWN: dict[tuple[tuple[str, ...] | None, bool, bool], hot.Listing] = {}
