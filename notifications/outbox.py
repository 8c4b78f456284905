"""Writing notifications into the outbox, inside the transaction of the event that causes them.

A decision without its notification cannot commit, and a notification without its decision
cannot exist: both are written by the same transaction. The sender delivers them later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import InvalidInput
from kracht.notifications.render import render
from kracht.notifications.render import renderer as _renderer
from kracht.notifications.rules import rules_for
from kracht.storage import assessments as committee_store
from kracht.storage import bulk, repository
from kracht.storage.tables import Application, Organisation, OutboxMessage, Person, Programme

if TYPE_CHECKING:
    from sqlmodel import Session

GROUP_ROLES = {
    "programme_leader": "programme_leader",
    "table_chair": "innovation_table_chair",
    "chair": "committee_chair",
    "steering": "steering_member",
}


def recipients(db: Session, who: str, app: Application) -> list[Person]:
    """The people a rule's recipient group names, for one application."""
    if who == "applicant":
        return repository.people_with_role(db, "applicant", app.applicant_org_id)
    if who == "committee":
        return [p for a, p in committee_store.assignments(db, app.id or 0) if not a.recused]
    return repository.people_with_role(db, GROUP_ROLES[who])


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@kracht>"


def enqueue(db: Session, event: str, app: Application, cause: int, facts: dict[str, Any]) -> int:
    """Write one message per recipient of `event` (as the rules declare) into the outbox.

    `cause` is the audit sequence number of the causing event, which makes each message's key
    unique and stable: enqueueing the same event twice is impossible. Returns how many.
    """
    seen: set[str] = set()
    for rule in rules_for(event):
        for person in recipients(db, rule.recipients, app):
            if person.email not in seen:
                seen.add(person.email)
                key = f"{event}:{app.id}:{cause}:{person.email}"
                add_message(db, key, event, rule.template, person, app, rule.recipients, facts)
    return len(seen)


def add_message(
    db: Session,
    key: str,
    event: str,
    template: str,
    person: Person,
    app: Application | None,
    role: str,
    facts: dict[str, Any],
) -> OutboxMessage:
    """Render one message for one person, in their language, and add it to the outbox."""
    programme = db.get(Programme, app.programme_id) if app else None
    org = db.get(Organisation, app.applicant_org_id) if app else None
    message = OutboxMessage(
        **_compose(key, event, template, person, app, role, facts, programme, org, render_one)
    )
    db.add(message)
    db.flush()
    return message


def render_one(name: str, language: str, programme: str | None) -> Callable[[dict[str, Any]], str]:
    """A template's renderer, found afresh for each message."""
    return lambda context: render(name, language, context, programme)


def _compose(
    key: str,
    event: str,
    template: str,
    person: Person,
    app: Any,
    role: str,
    facts: dict[str, Any],
    programme: Programme | None,
    org: Organisation | None,
    renderer: Callable[[str, str, str | None], Callable[[dict[str, Any]], str]],
) -> dict[str, Any]:
    """One message's columns, rendered for `person` in their language."""
    context = {
        "recipient": person.name,
        "role": role,
        "application_id": app.id if app else "",
        "title": app.title if app else "",
        "applicant": org.name if org else "",
        "programme": programme.name if programme else "",
        "state": app.state if app else "",
        **facts,
    }
    code = programme.code if programme else None
    text_name = f"{template}.txt.j2"
    rendered = renderer(text_name, person.language, code)(context)
    subject, text = _split_subject(rendered, f"{person.language}/{text_name}", code)
    return dict(
        key=key,
        message_id=message_id(key),
        event=event,
        application_id=app.id if app else None,
        recipient=person.email,
        language=person.language,
        subject=subject,
        text=text,
        html=renderer(f"{template}.html.j2", person.language, code)(context),
    )


class Batch:
    """`enqueue` for many new applications, batch after batch (an import): recipients are
    looked up once per group (every organisation's applicants together) and each template found
    once, for all the batches; each batch's messages are inserted in one statement, in the order
    `enqueue` would write them."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.groups: dict[tuple[str, int | None], list[Person]] = {}
        self.applicants_read = False
        self.renderers: dict[tuple[str, str, str | None], Callable[[dict[str, Any]], str]] = {}

    def enqueue(
        self,
        event: str,
        caused: list[tuple[Any, int]],
        programmes: dict[int, Programme],
        orgs: dict[int, Organisation],
    ) -> int:
        """The messages of `event` for (application, cause) pairs, each application with id,
        title, state, programme_id and applicant_org_id, its programme and organisation given
        by id. Returns how many."""
        rows = []
        rules = rules_for(event)
        for app, cause in caused:
            seen: set[str] = set()
            programme, org = programmes.get(app.programme_id), orgs.get(app.applicant_org_id)
            for rule in rules:
                for person in self._people(rule.recipients, app):
                    if person.email not in seen:
                        seen.add(person.email)
                        key = f"{event}:{app.id}:{cause}:{person.email}"
                        rows.append(
                            _compose(
                                key,
                                event,
                                rule.template,
                                person,
                                app,
                                rule.recipients,
                                {},
                                programme,
                                org,
                                self._renderer,
                            )  # fmt: skip
                        )
        bulk.add_messages(self.db, rows)
        return len(rows)

    def _people(self, who: str, app: Any) -> list[Person]:
        if who == "committee":  # per application: nothing to share
            return recipients(self.db, who, app)
        if who == "applicant":
            if not self.applicants_read:  # every organisation's in one query, each by id
                self.applicants_read = True
                for person in repository.people_with_role(self.db, "applicant"):
                    group = ("applicant", person.organisation_id)
                    self.groups.setdefault(group, []).append(person)
            return self.groups.get(("applicant", app.applicant_org_id), [])
        group = (who, app.applicant_org_id if who == "applicant" else None)
        if group not in self.groups:
            self.groups[group] = recipients(self.db, who, app)
        return self.groups[group]

    def _renderer(
        self, name: str, language: str, code: str | None
    ) -> Callable[[dict[str, Any]], str]:
        if (name, language, code) not in self.renderers:
            self.renderers[name, language, code] = _renderer(name, language, code)
        return self.renderers[name, language, code]


def _split_subject(rendered: str, name: str, programme: str | None) -> tuple[str, str]:
    """The subject line and the body; a template without the line (a programme's own) is
    refused in one line."""
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject: "):
        whose = f"programme {programme}'s" if programme else "the"
        raise InvalidInput(
            f"{whose} template {name} must start with a `Subject: ...` line: add one"
        )
    return first.removeprefix("Subject: ").strip(), body.lstrip("\n")
