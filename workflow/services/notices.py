"""What people do with notifications: read and drive the outbox, see reminders, export calendars.

The programme leader runs the outbox and the scheduler; auditors may read the outbox; everyone
may see their own reminders and calendar, the programme leader everyone's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kracht.basics.errors import NotAllowed
from kracht.basics.roles import Role
from kracht.storage import audit, clock
from kracht.storage.database import session
from kracht.workflow.actors import Actor, require, resolve
from kracht.workflow.services import filters

if TYPE_CHECKING:
    from sqlmodel import Session

OPERATORS = (Role.PROGRAMME_LEADER,)
READERS = (Role.PROGRAMME_LEADER, Role.AUDITOR)


def _actor(url: str, actor_email: str | None, roles: tuple[str, ...], action: str) -> Actor:
    with session(url) as db:
        actor = resolve(db, actor_email)
    require(actor, roles, action)
    return actor


def outbox_list(url: str, actor_email: str | None, status: str | None,
                application_id: int | None) -> dict[str, Any]:  # fmt: skip
    from kracht.notifications import sender

    actor = _actor(url, actor_email, READERS, "read the outbox")
    if application_id is not None:
        with session(url) as db:
            filters.application(db, actor, application_id)
    return {
        "counts": sender.counts(url),
        "messages": sender.listing(url, status, application_id),
    }


def _operator(url: str, actor_email: str | None, action_name: str, action: str) -> Actor:
    """The programme leader running the outbox or the scheduler; anyone else is refused, and
    the refusal audited as `action_name`, as a refused trigger is."""
    from kracht.workflow import engine

    def check(_db: Session, actor: Actor) -> Actor:
        require(actor, OPERATORS, action)
        return actor

    return engine.audited_write(url, actor_email, action_name, check)


def outbox_send(url: str, actor_email: str | None) -> dict[str, Any]:
    """Send what is due; a run that changed any message leaves an `outbox.send` event with
    how many messages were sent, backed off and dead-lettered, and which."""
    from kracht.notifications import sender
    from kracht.notifications.settings import load

    actor = _operator(url, actor_email, "outbox.send", "send the outbox")
    settings = load()
    outcome = sender.send_due(url, settings.mail)
    transport = describe_transport(settings)
    result: dict[str, Any] = {"transport": transport, **outcome.as_dict()}
    if outcome.changed():
        payload = {**outcome.audit_payload(), "transport": transport}
        result["event"] = sender.audit_run(url, actor, "outbox.send", payload)
    return result | {"counts": sender.counts(url)}


def outbox_retry(url: str, actor_email: str | None, ids: list[int], all_dead: bool) -> list[int]:
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

    return engine.audited_write(url, actor_email, "outbox.retry", requeue)


def reminders_list(
    url: str,
    actor_email: str | None,
    person: str | None,
    application_id: int | None,
    include_closed: bool,
) -> list[dict[str, Any]]:
    from kracht.notifications import reminders

    with session(url) as db:
        actor = resolve(db, actor_email)
        person = _whose(actor, person, "see another person's reminders", everyone_ok=True)
        filters.person(db, person)
        filters.application(db, actor, application_id)
        rows = reminders.upcoming(db, person, include_closed)
        return [
            reminders.as_dict(r)
            for r in rows
            if application_id is None or r.application_id == application_id
        ]


def calendar(url: str, actor_email: str | None, person: str) -> bytes:
    from kracht.notifications import reminders
    from kracht.notifications.calendar import export
    from kracht.storage import repository
    from kracht.storage.tables import Application

    with session(url) as db:
        actor = resolve(db, actor_email)
        target = repository.person_by_email(db, person.strip())
        if target is None:
            raise NotAllowed(f"no person with e-mail {person!r}")
        _whose(actor, target.email, "export another person's calendar", everyone_ok=False)
        rows = []
        for reminder in reminders.upcoming(db, target.email):
            app = db.get(Application, reminder.application_id)
            rows.append((reminder, app.title if app else ""))
        return export(rows, target.email, clock.now())


def scheduler_actor(url: str, actor_email: str | None) -> Actor:
    """Who runs the scheduler: a programme leader, whose name its ticks' audit events carry."""
    return _operator(url, actor_email, "scheduler.run", "run the scheduler")


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
