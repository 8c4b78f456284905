"""Delivering the outbox: claim, send, mark; retry with backoff; dead-letter what never works.

A message moves pending -> sending -> sent, or back to pending with a later `next_attempt_at`
after a temporary failure, or to dead after a permanent failure or `max_attempts` tries that
the server answered. A server that cannot be reached (down, refusing the login) dead-letters
nothing: the batch stops, and its messages wait, backing off, until it is back.
Claiming is a conditional update with a lease (`claimed_until`): two senders never take the same
message, and a message whose sender crashed after sending but before marking it sent is taken
again once the lease runs out and sent with the same Message-ID: the same message, not a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import InvalidInput, NotFound
from kracht.notifications.settings import Mail
from kracht.notifications.transports import (
    ConnectionFailure,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    compose,
    open_transport,
)
from kracht.storage import clock, deliveries
from kracht.storage.database import Database
from kracht.storage.repository import MessageRow
from kracht.storage.tables import OutboxMessage

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.basics.actors import Actor

STATUSES = deliveries.STATUSES


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"sent": self.sent, "retrying": self.retrying, "dead": self.dead}

    def audit_payload(self) -> dict[str, Any]:
        """How many messages went each way, and which: for the run's audit event."""
        return {name: len(ids) for name, ids in self.as_dict().items()} | {
            "messages": self.as_dict()
        }

    def changed(self) -> bool:
        """Whether the run changed any message (claimed, then sent, backed off or dead)."""
        return bool(self.sent or self.retrying or self.dead)


def send_due(
    database: Database,
    mail: Mail,
    *,
    now: dt.datetime | None = None,
    limit: int = 200,
    transport: Transport | None = None,
) -> Outcome:
    """Send every message that is due, one claim at a time; what happened to each."""
    now = now or clock.now()
    outcome = Outcome()
    claimed = claim(database, mail, now, limit)
    if not claimed:
        return outcome
    transport = transport or open_transport(mail)
    unreachable: str | None = None  # once the server cannot be reached, the rest wait too
    try:
        for message_id, attempts, email in claimed:
            try:
                if unreachable:
                    raise ConnectionFailure(unreachable)
                transport.send(email)
            except ConnectionFailure as error:
                unreachable = str(error)
                _failed(database, message_id, unreachable, mail, attempts, now, dead=False)
                outcome.retrying.append(message_id)
            except TemporaryFailure as error:
                final = attempts >= mail.max_attempts
                _failed(database, message_id, str(error), mail, attempts, now, dead=final)
                (outcome.dead if final else outcome.retrying).append(message_id)
            except PermanentFailure as error:
                _failed(database, message_id, str(error), mail, attempts, now, dead=True)
                outcome.dead.append(message_id)
            else:
                _mark(database, message_id, status="sent", sent_at=clock.now(), last_error=None)
                outcome.sent.append(message_id)
    finally:
        transport.close()
    return outcome


def audit_run(database: Database, actor: Actor, action: str, payload: dict[str, Any]) -> int:
    """The audit event of a delivery run (`outbox send`, a scheduler tick) that changed
    something, in its own transaction after the run's; its sequence number."""
    from kracht.storage import audit

    def append(db: Session) -> int:
        event = audit.append(
            db, actor=actor.email, roles=actor.roles_text, action=action, payload=payload
        )
        return event.seq

    return database.transaction(append)


def claim(
    database: Database, mail: Mail, now: dt.datetime, limit: int
) -> list[tuple[int, int, EmailMessage]]:
    """Take up to `limit` due messages for this sender: (id, attempt number, e-mail) each."""
    lease = dt.timedelta(seconds=mail.lease_seconds)
    with database.session(write=True) as db:
        rows = deliveries.claim(db, now, limit, lease)
        return [(row.pk, row.attempts, compose(row, mail.sender)) for row in rows]


def _failed(database: Database, message_id: int, error: str, mail: Mail, attempts: int,
            now: dt.datetime, *, dead: bool) -> None:  # fmt: skip
    if dead:
        _mark(database, message_id, status="dead", last_error=error)
        return
    delay = min(mail.backoff_seconds * 2 ** (attempts - 1), mail.backoff_max_seconds)
    _mark(database, message_id, status="pending", last_error=error,
          next_attempt_at=now + dt.timedelta(seconds=delay))  # fmt: skip


def _mark(database: Database, message_id: int, **values: Any) -> None:
    """Record a send's result, unless another sender has since taken the message over."""
    with database.session(write=True) as db:
        deliveries.mark(db, message_id, **values)


def retry(database: Database, ids: list[int], all_dead: bool) -> list[int]:
    """Put dead messages back in line, with fresh attempts; the ids requeued."""
    with database.session(write=True) as db:
        return requeue(db, ids, all_dead)


def requeue(db: Session, ids: list[int], all_dead: bool) -> list[int]:
    """`retry` inside the caller's transaction (which audits it): refuses a message that is
    unknown or not dead, and requeues nothing then."""
    if not ids and not all_dead:
        raise InvalidInput(
            "name the messages to retry, or retry all dead ones",
            field="all_dead",
            label="all dead ones",
            step="name_retries",
        )
    if ids:
        found = deliveries.by_ids(db, ids)
        for message_id in ids:
            if message_id not in found:
                raise NotFound("message", message_id)
            if found[message_id].status != "dead":
                raise InvalidInput(
                    f"message {message_id} is {found[message_id].status}, not dead; "
                    "only dead messages are retried"
                )
    return deliveries.requeue_dead(db, ids, clock.now())


def listing(
    db: Session, status: str | None = None, application_id: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The outbox, newest first."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    return [describe(m) for m in deliveries.newest(db, status, application_id, limit)]


def counts(db: Session) -> dict[str, int]:
    """How many messages the outbox holds in each status."""
    return deliveries.counts(db)


def describe(message: OutboxMessage | MessageRow) -> dict[str, Any]:
    """A message as it is listed (its body left out)."""

    def iso(moment: dt.datetime | None) -> str | None:
        if moment is None:
            return None
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return aware.isoformat(timespec="seconds")

    return {
        "id": message.id,
        "event": message.event,
        "application_id": message.application_id,
        "recipient": message.recipient,
        "language": message.language,
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": iso(message.next_attempt_at) if message.status == "pending" else None,
        "last_error": message.last_error,
        "message_id": message.message_id,
        "created_at": iso(message.created_at),
        "sent_at": iso(message.sent_at),
    }
