"""Writing notifications into the outbox, inside the transaction of the event that causes them.

A decision without its notification cannot commit, and a notification without its decision
cannot exist: both are written by the same transaction. The sender delivers them later.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from notifications.render import render
from notifications.rules import rules_for
from storage import committee as committee_store
from storage import repository
from storage.tables import Application, Organisation, OutboxMessage, Person, Programme

if TYPE_CHECKING:
    from sqlmodel import Session


def recipients(db: Session, who: str, app: Application) -> list[Person]:
    """The people a rule's recipient group names, for one application."""
    if who == "applicant":
        return repository.people_with_role(db, "applicant", app.applicant_org_id)
    if who == "committee":
        return [p for a, p in committee_store.assignments(db, app.id or 0) if not a.recused]
    role = {
        "programme_leader": "programme_leader",
        "table_chair": "innovation_table_chair",
        "chair": "committee_chair",
        "steering": "steering_member",
    }[who]
    return repository.people_with_role(db, role)


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@kracht>"


def enqueue(db: Session, event: str, app: Application, cause: int, facts: dict[str, Any]) -> int:
    """Write one message per recipient of `event` into the outbox; returns how many.

    `cause` is the audit sequence number of the causing event, which makes each message's key
    unique and stable: enqueueing the same event twice is impossible.
    """
    programme = db.get(Programme, app.programme_id)
    org = db.get(Organisation, app.applicant_org_id)
    seen: set[str] = set()
    count = 0
    for rule in rules_for(event):
        for person in recipients(db, rule.recipients, app):
            if person.email in seen:
                continue
            seen.add(person.email)
            context = {
                "recipient": person.name,
                "role": rule.recipients,
                "application_id": app.id,
                "title": app.title,
                "applicant": org.name if org else "",
                "programme": programme.name if programme else "",
                "state": app.state,
                **facts,
            }
            language = person.language
            subject, text = _split_subject(render(f"{rule.template}.txt.j2", language, context))
            html = render(f"{rule.template}.html.j2", language, context)
            key = f"{event}:{app.id}:{cause}:{person.email}"
            db.add(
                OutboxMessage(
                    key=key,
                    message_id=message_id(key),
                    event=event,
                    application_id=app.id,
                    recipient=person.email,
                    language=language,
                    subject=subject,
                    text=text,
                    html=html,
                )
            )
            count += 1
    db.flush()
    return count


def _split_subject(rendered: str) -> tuple[str, str]:
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError("a text template must start with a `Subject: ...` line")
    return first.removeprefix("Subject: ").strip(), body.lstrip("\n")
