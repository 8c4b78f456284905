"""What people do with notifications: read and drive the outbox, see reminders, export calendars.

The programme leader runs the outbox and the scheduler; auditors may read the outbox; everyone
may see their own reminders and calendar, the programme leader everyone's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, cast

from typing_extensions import TypedDict

from kracht.basics.actors import Actor, require
from kracht.basics.errors import NotAllowed
from kracht.basics.roles import Role
from kracht.storage import audit
from kracht.storage.deliveries import OutboxCounts
from kracht.workflow.services import filters
from kracht.workflow.unit import Unit, Units, reads

if TYPE_CHECKING:
    from sqlmodel import Session

OPERATORS = (Role.PROGRAMME_LEADER,)
READERS = (Role.PROGRAMME_LEADER, Role.AUDITOR)


def _actor(unit: Unit, roles: tuple[str, ...], action: str) -> Actor:
    actor = unit.actor
    require(actor, roles, action)
    return actor


class OutboxMessage(TypedDict):
    """A message in the outbox, as `notifications.sender.describe` shows it (times ISO, UTC)."""

    id: int
    event: str
    application_id: int | None
    recipient: str
    language: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: str | None  # only while pending
    last_error: str | None
    message_id: str
    created_at: str
    sent_at: str | None


class Outbox(TypedDict):
    """The outbox: its counts by status, and its messages, newest first."""

    counts: OutboxCounts
    messages: list[OutboxMessage]


@reads
def outbox_list(unit: Unit, status: str | None,
                application_id: int | None) -> Outbox:  # fmt: skip
    from kracht.notifications import sender

    actor = _actor(unit, READERS, "read the outbox")
    if application_id is not None:
        filters.application(unit.db, actor, application_id)
    return {
        "counts": cast(OutboxCounts, sender.counts(unit.db)),
        "messages": cast(list[OutboxMessage], sender.listing(unit.db, status, application_id)),
    }


def _operator(unit: Unit, action_name: str, action: str) -> Actor:
    """The programme leader running the outbox or the scheduler; anyone else is refused, and
    the refusal audited as `action_name`, as a refused trigger is."""
    from kracht.workflow import engine

    def check(_db: Session, actor: Actor) -> Actor:
        require(actor, OPERATORS, action)
        return actor

    return engine.audited_write(unit, action_name, check)


class Sent(TypedDict):
    """An outbox run: the messages sent, backed off and dead-lettered (by id), the run's audit
    event (only when it changed a message), and the counts after it."""

    transport: str
    sent: list[int]
    retrying: list[int]
    dead: list[int]
    event: NotRequired[int]
    counts: OutboxCounts


def outbox_send(units: Units, who: str | Actor | None) -> Sent:
    """Send what is due; a run that changed any message leaves an `outbox.send` event with
    how many messages were sent, backed off and dead-lettered, and which.

    Not one unit of work but several from `units`: the role check (a refusal audited), a claim,
    a transaction per message sent, the run's audit event; no transaction is held open while
    a mail server answers."""
    from kracht.notifications import sender

    actor = units.run(who, _operator, "outbox.send", "send the outbox")
    outcome = sender.send_due(units.database, units.settings.mail, now=units.clock.now())
    transport = describe_transport(units.settings)
    result = cast(Sent, {"transport": transport, **outcome.as_dict()})
    if outcome.changed():
        payload = {**outcome.audit_payload(), "transport": transport}
        result["event"] = sender.audit_run(units.database, actor, "outbox.send", payload)
    return result | {"counts": units.run(actor, outbox_counts)}


@reads
def outbox_counts(unit: Unit) -> OutboxCounts:
    """How many messages the outbox holds in each status."""
    from kracht.notifications import sender

    _actor(unit, READERS, "read the outbox")
    return cast(OutboxCounts, sender.counts(unit.db))


def outbox_retry(unit: Unit, ids: list[int], all_dead: bool) -> list[int]:
    """Queue dead messages again, audited as `outbox.retry` in the same transaction (a refusal
    by role too, in its own); asking for every dead message when there is none writes nothing."""
    from kracht.notifications import sender
    from kracht.workflow import engine

    def requeue(db: Session, actor: Actor) -> list[int]:
        require(actor, OPERATORS, "retry messages")
        requeued = sender.requeue(db, ids, all_dead)
        if requeued:
            asked: list[int] | str = list(ids) if ids else "every dead message"
            payload = {"asked": asked, "requeued": requeued, "count": len(requeued)}
            audit.append(db, actor=actor.email, roles=actor.roles_text, action="outbox.retry",
                         payload=payload)  # fmt: skip
        return requeued

    return engine.audited_write(unit, "outbox.retry", requeue)


class Reminder(TypedDict):
    """A reminder as `notifications.reminders.as_dict` shows it (times ISO, UTC)."""

    id: int
    kind: str
    application_id: int | None
    recipient: str
    about: str  # what it is about, e.g. "condition:7" or "report:3"
    due: str | None  # the due date its messages name (an ISO date)
    status: str
    next_step_at: str | None  # None once it is closed
    remind_at: str
    due_at: str
    escalate_at: str
    facts: dict[str, Any]  # what its messages say (free-form)


@reads
def reminders_list(
    unit: Unit,
    person: str | None,
    application_id: int | None,
    include_closed: bool,
) -> list[Reminder]:
    from kracht.notifications import reminders

    db = unit.db
    actor = unit.actor
    person = _whose(actor, person, "see another person's reminders", everyone_ok=True)
    filters.person(db, person)
    filters.application(db, actor, application_id)
    rows = reminders.shown(db, person, include_closed)
    return [
        cast(Reminder, reminders.as_dict(r))
        for r in rows
        if application_id is None or r.application_id == application_id
    ]


@reads
def calendar(unit: Unit, person: str) -> bytes:
    from kracht.notifications import reminders
    from kracht.notifications.calendar import export
    from kracht.storage import repository

    db = unit.db
    actor = unit.actor
    target = repository.person_by_email(db, person.strip())
    if target is None:
        raise NotAllowed(f"no person with e-mail {person!r}")
    _whose(actor, target.email, "export another person's calendar", everyone_ok=False)
    rows = []
    for reminder in reminders.shown(db, target.email):
        app = repository.application(db, reminder.application_id)
        rows.append((reminder, app.title if app else ""))
    return export(rows, target.email, unit.clock.now())


def scheduler_actor(unit: Unit) -> Actor:
    """Who runs the scheduler: a programme leader, whose name its ticks' audit events carry."""
    return _operator(unit, "scheduler.run", "run the scheduler")


def _whose(actor: Actor, person: str | None, action: str, everyone_ok: bool) -> str | None:
    """Whose rows to show: a programme leader (or auditor, for lists) any; others their own."""
    allowed = READERS if everyone_ok else OPERATORS
    if actor.holds(allowed):
        return person.strip().lower() if person else None
    if person and person.strip().lower() != actor.email.lower():
        require(actor, allowed, action)
    return actor.email


def describe_transport(settings: Any) -> str:
    mail = settings.mail
    if mail.transport == "smtp":
        return f"smtp://{mail.host}:{mail.port} ({mail.security})"
    if mail.transport == "file":
        return f"as .eml files in {mail.directory}"
    return "console"
