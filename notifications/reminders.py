"""Durable reminders: deadlines the scheduler chases, one step at a time, each step exactly once.

A reminder is a row (storage.tables.Reminder) written in the transaction of the event that set
the deadline. Its steps, each at its own moment (Europe/Amsterdam days):

    pending   --remind_at (lead_days before the due day, 09:00)-->  reminded   (to the person)
    reminded  --due_at (the end of the due day)------------------>  overdue    (to the person)
    overdue   --escalate_at (escalate_after_days after due_at)--->  escalated  (programme leader)

A step whose moment passed while nothing ran fires on the next run; where several passed, only
the latest fires (nobody gets a stale "due soon" after the overdue notice). Each step is a
conditional update of `status` in the same transaction as its messages, so two schedulers
running at once cannot both take it. Meeting the obligation (`settle`, `close`) ends it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kracht.notifications.outbox import add_message, recipients
from kracht.notifications.settings import Reminders
from kracht.storage import clock, repository
from kracht.storage import reminder_rows as rows
from kracht.storage.database import Database
from kracht.storage.tables import Reminder

if TYPE_CHECKING:
    from sqlmodel import Session

ZONE = clock.PROGRAMME_TZ  # reminders fall on programme days
KINDS = {  # kind -> (event before the deadline, event once it passed)
    "scoring_deadline": ("scoring_reminder", "scoring_overdue"),
    "condition_due": ("condition_due", "condition_overdue"),
    "report_due": ("report_due", "report_overdue"),
    "payment_due": ("payment_due", "payment_overdue"),
}
ESCALATION = "overdue_escalation"
ACTIVE = ("pending", "reminded", "overdue")  # the scheduler still has a step to take
OPEN = (*ACTIVE, "escalated")  # the obligation is not met yet


def local(day: dt.date, hour: int) -> dt.datetime:
    """`hour` o'clock on `day` in the programme's time zone, as UTC."""
    return dt.datetime.combine(day, dt.time(hour), ZONE).astimezone(dt.UTC)


def moments(due: dt.date, days: Reminders) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """When to remind, when the deadline passes, and when to escalate, for a due day, by the
    deployment's reminder settings."""
    due_at = local(due + dt.timedelta(days=1), 0)
    return (
        local(due - dt.timedelta(days=days.lead_days), 9),
        due_at,
        due_at + dt.timedelta(days=days.escalate_after_days),
    )


def schedule(
    db: Session,
    *,
    kind: str,
    key: str,
    application_id: int | None,
    recipient: str,
    subject_ref: str,
    due: dt.date,
    facts: dict[str, Any],
    rules: Reminders,
    now: dt.datetime | None = None,
) -> Reminder:
    """Create the reminder for a deadline (once: the same key returns the existing row).

    Where the reminder's moment has already come, the message that set the deadline is the
    reminder, so the first step taken is the overdue notice. A deadline already passed when the
    reminder is created (a report planned after its due day, a person who joined later) is never
    escalated before its person was told: the escalation comes `escalate_after_days` after the
    overdue notice at the earliest.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    existing = rows.by_key(db, key)
    if existing is not None:
        return existing
    now = now or clock.now()
    remind_at, due_at, escalate_at = moments(due, rules)
    if due_at <= now:
        escalate_at = max(escalate_at, now + (escalate_at - due_at))
    started = remind_at <= now
    reminder = Reminder(
        key=key,
        kind=kind,
        application_id=application_id,
        recipient=recipient,
        subject_ref=subject_ref,
        facts={**facts, "due": due.isoformat()},
        due_at=due_at,
        remind_at=remind_at,
        escalate_at=escalate_at,
        status="reminded" if started else "pending",
        next_at=due_at if started else remind_at,
    )
    return rows.add(db, reminder)


def settle(db: Session, key: str) -> int:
    """The obligation behind `key` is met: no further steps. Returns how many rows ended."""
    return _end(db, "done", key=key)


def cancel(db: Session, key: str) -> int:
    """The obligation behind `key` no longer applies to its recipient: no further steps."""
    return _end(db, "cancelled", key=key)


def close(
    db: Session,
    *,
    application_id: int,
    kind: str | None = None,
    recipient: str | None = None,
    subject_ref: str | None = None,
    status: str = "done",
) -> int:
    """End every open reminder that matches: `done` (met) or `cancelled` (no longer applies)."""
    return _end(db, status, application_id=application_id, kind=kind or None,
                recipient=recipient or None, subject_ref=subject_ref or None)  # fmt: skip


def cancel_passed(db: Session, application_id: int, before: dt.datetime) -> int:
    """Cancel the application's open reminders of deadlines that passed before `before`: what
    fell due before kracht was used is not chased in it."""
    return rows.end_due_before(db, OPEN, "cancelled", clock.now(), application_id=application_id,
                               before=before)  # fmt: skip


def _end(db: Session, status: str, **match: Any) -> int:
    if status not in ("done", "cancelled"):
        raise ValueError(f"a reminder ends done or cancelled, not {status!r}")
    return rows.end(db, OPEN, status, clock.now(), **match)


def fire_due(
    database: Database,
    now: dt.datetime | None = None,
    limit: int = 500,
    *,
    templates: str = "",
    base_url: str = "",
) -> list[dict[str, Any]]:
    """Take every step that has come, each in its own transaction; what was fired, in order.
    `templates` is the settings' templates folder ("" for none), for programmes' own letters;
    `base_url` the web address the messages link to ("" for none: they name the command)."""
    now = now or clock.now()
    with database.session() as db:
        due = rows.due_ids(db, ACTIVE, now, limit)
    fired = []
    for reminder_id in due:
        with database.session(write=True) as db:
            step = _take_step(db, reminder_id, now, templates, base_url)
        if step:
            fired.append(step)
    return fired


def _take_step(
    db: Session, reminder_id: int, now: dt.datetime, templates: str, base_url: str
) -> dict[str, Any] | None:
    reminder = rows.by_id(db, reminder_id)
    if reminder is None or reminder.status not in ACTIVE or reminder.next_at is None:
        return None
    if ensure_utc(reminder.next_at) > now:
        return None
    status, event, next_at = _next_step(reminder, now)
    # the claim: only one scheduler's update matches the old status
    if not rows.take(db, reminder_id, reminder.status, status, next_at):
        return None
    sent = _messages(db, reminder, event, templates, base_url)
    return {"reminder": reminder_id, "key": reminder.key, "step": status, "event": event,
            "messages": sent}  # fmt: skip


def _next_step(reminder: Reminder, now: dt.datetime) -> tuple[str, str, dt.datetime | None]:
    before, after = KINDS[reminder.kind]
    if now >= ensure_utc(reminder.escalate_at):
        return "escalated", ESCALATION, None
    if now >= ensure_utc(reminder.due_at):
        # a stand-in already chases a programme leader: escalating it to them all would only
        # repeat the overdue notice, once per leader to every leader
        last = (reminder.facts or {}).get("stand_in")
        return "overdue", after, None if last else ensure_utc(reminder.escalate_at)
    return "reminded", before, ensure_utc(reminder.due_at)


def _messages(
    db: Session, reminder: Reminder, event: str, templates: str, base_url: str
) -> list[str]:
    app = repository.application(db, reminder.application_id) if reminder.application_id else None
    late = repository.person_by_email(db, reminder.recipient)
    if event == ESCALATION:
        people = recipients(db, "programme_leader", app) if app else []
    else:
        people = [late] if late else []
    facts = {
        **reminder.facts,
        "kind": reminder.kind,
        "late_name": late.name if late else reminder.recipient,
        "late_email": reminder.recipient,
    }
    for person in people:
        key = f"{event}:{reminder.key}" + (f":{person.email}" if event == ESCALATION else "")
        add_message(db, key, event, event, person, app, "reminded", facts, templates=templates,
                    base_url=base_url)  # fmt: skip
    return [person.email for person in people]


def ensure_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every time kracht stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def upcoming(
    db: Session,
    recipient: str | None = None,
    include_closed: bool = False,
    application_id: int | None = None,
) -> list[Reminder]:
    """Reminders by due time: open ones (with `include_closed`, all); one person's, one app's."""
    return rows.listing(db, None if include_closed else OPEN, recipient, application_id)


def shown(
    db: Session,
    recipient: str | None = None,
    include_closed: bool = False,
    application_id: int | None = None,
) -> list[Any]:
    """As `upcoming`, read for showing them: rows `as_dict` takes, no ORM objects."""
    return rows.shown(db, None if include_closed else OPEN, recipient, application_id)


def as_dict(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "kind": reminder.kind,
        "application_id": reminder.application_id,
        "recipient": reminder.recipient,
        "about": reminder.subject_ref,
        "due": reminder.facts.get("due"),
        "status": reminder.status,
        "next_step_at": _iso(reminder.next_at),
        "remind_at": _iso(reminder.remind_at),
        "due_at": _iso(reminder.due_at),
        "escalate_at": _iso(reminder.escalate_at),
        "facts": reminder.facts,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return ensure_utc(moment).isoformat(timespec="seconds") if moment else None
