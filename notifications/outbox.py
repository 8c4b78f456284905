"""Writing notifications into the outbox, inside the transaction of the event that causes them.

A decision without its notification cannot commit, and a notification without its decision
cannot exist: both are written by the same transaction. The sender delivers them later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kracht.basics.errors import InvalidInput
from kracht.notifications.render import Override, override_folder, shipped_uses
from kracht.notifications.render import render_in as render  # with the folder found once
from kracht.notifications.rules import rules_for
from kracht.storage import assessments as committee_store
from kracht.storage import bulk, repository
from kracht.storage.tables import Application, Organisation, OutboxMessage, Person, Programme

if TYPE_CHECKING:
    from sqlmodel import Session


class Recipient(Protocol):
    """Who a message is for: a Person, or a row with Person's columns."""

    name: str
    email: str
    language: str


GROUP_ROLES = {
    "programme_leader": "programme_leader",
    "table_chair": "innovation_table_chair",
    "chair": "committee_chair",
    "steering": "steering_member",
}


def recipients(db: Session, who: str, app: Application) -> Sequence[Recipient]:
    """The people a rule's recipient group names, for one application (Person objects or rows
    with Person's columns)."""
    if who == "applicant":
        people = repository.people_with_role(db, "applicant", app.applicant_org_id)
        return people or _contact(db, app.applicant_org_id)
    if who == "committee":
        return [p for a, p in committee_store.assignments(db, app.pk) if not a.recused]
    return repository.people_with_role(db, GROUP_ROLES[who])


def _groups(db: Session, groups: set[str], app: Application) -> dict[str, Sequence[Recipient]]:
    """The people of several role groups at once (as `recipients` gives each), in one
    statement; empty where one group or none is named (`recipients` reads it)."""
    named = [g for g in groups if g == "applicant" or g in GROUP_ROLES]
    if len(named) < 2:
        return {}
    roles = [GROUP_ROLES[g] for g in named if g != "applicant"]
    applicants_of = app.applicant_org_id if "applicant" in named else None
    found: dict[str, Sequence[Recipient]] = dict(
        repository.people_in_groups(db, roles, applicants_of)
    )
    if applicants_of is not None and not found.get("applicant"):
        found["applicant"] = _contact(db, applicants_of)
    return {g: found.get("applicant" if g == "applicant" else GROUP_ROLES[g], []) for g in named}


def _contact(db: Session, organisation_id: int | None) -> list[Recipient]:
    """Where an organisation without anybody in the applicant role is written to: its contact
    address, if it has one."""
    if organisation_id is None:
        return []
    return list(repository.org_contacts(db, organisation_id).values())


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@kracht>"


def needs(
    events: tuple[str, ...], variables: tuple[str, ...], override: Override | None
) -> set[str]:
    """Which of `variables` the templates of `events` may use (for a programme with its own
    templates folder, `override` as `override_folder` found it: all), so that a fact nobody
    renders is never read."""
    templates = tuple(rule.template for event in events for rule in rules_for(event))
    used = {v for v in variables if shipped_uses(templates, v)}
    if len(used) < len(variables) and override is not None:
        return set(variables)
    return used


def enqueue(
    db: Session,
    event: str,
    app: Application,
    cause: int,
    facts: dict[str, Any],
    *,
    templates: str,
    found: tuple[Override | None] | None = None,
    applicant: str | None = None,
    base_url: str = "",
) -> int:
    """Write one message per recipient of `event` (as the rules declare) into the outbox.

    `cause` is the audit sequence number of the causing event, which makes each message's key
    unique and stable: enqueueing the same event twice is impossible. The messages go in in
    one statement. Returns how many. `templates` is the settings' templates folder ("" for
    none); `found` holds the programme's `override_folder` when the
    caller has already looked it up, `applicant` the applicant organisation's name when the
    caller has already read it. `base_url` is the settings' web address ("" for none): with
    one, each message links to the application's page instead of naming a command.
    """
    seen: set[str] = set()
    programme, applicant = _about(db, app, applicant)
    code = programme.code if programme else None
    override = found[0] if found is not None else override_folder(templates, code)
    messages = []
    rules = rules_for(event)
    groups = _groups(db, {rule.recipients for rule in rules}, app)
    for rule in rules:
        group = groups.get(rule.recipients)
        link = page_link(base_url, app, event, rule.recipients)
        for person in group if group is not None else recipients(db, rule.recipients, app):
            if person.email not in seen:
                seen.add(person.email)
                key = f"{event}:{app.id}:{cause}:{person.email}"
                context = _context(person, app, programme, applicant, rule.recipients, facts, link)
                messages.append(
                    _message(key, event, rule.template, person, app, context, override, code)
                )
    repository.add_messages(db, messages)
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
    *,
    templates: str,
    base_url: str = "",
) -> OutboxMessage:
    """Render one message for one person, in their language, and add it to the outbox (linking
    to the page where its work is done where `base_url`, the settings' web address, is set)."""
    programme, applicant = _about(db, app)
    code = programme.code if programme else None
    link = page_link(base_url, app, event, role)
    context = _context(person, app, programme, applicant, role, facts, link)
    override = override_folder(templates, code)
    row = _message(key, event, template, person, app, context, override, code)
    return repository.add(db, OutboxMessage(**row))  # type: ignore[no-any-return]


def _about(
    db: Session, app: Application | None, applicant: str | None = None
) -> tuple[Programme | None, str]:
    """The application's programme and the name of its applicant organisation (`applicant`,
    where the caller has read it)."""
    if app is None:
        return None, ""
    if applicant is None:
        applicant = repository.organisation_name(db, app.applicant_org_id)
    return repository.programme(db, app.programme_id), applicant or ""


WORK_PAGES = {  # (event, recipients) -> the page where the message's work is done
    ("referred_to_committee", "chair"): "committee",
    ("scoring_opened", "committee"): "committee",
    ("scoring_reminder", "reminded"): "committee",
    ("scoring_overdue", "reminded"): "committee",
    ("advice_ready", "steering"): "steering",
    ("advice_ready", "programme_leader"): "steering",  # who may defer it there
    ("report_due", "reminded"): "monitoring",
    ("report_overdue", "reminded"): "monitoring",
}


def page_link(base_url: str, app: Any, event: str = "", recipients: str = "") -> str:
    """The address on the web interface at `base_url` of the page where the work a message of
    `event` asks of its `recipients` is done (the scoring form, the decision, the reports; the
    application's page for the rest); "" without an address or an application (the templates
    then name the command instead)."""
    if not base_url or app is None:
        return ""
    page = WORK_PAGES.get((event, recipients), "applications")
    return f"{base_url.rstrip('/')}/{page}/{app.id}"


def _context(
    person: Recipient,
    app: Application | None,
    programme: Programme | None,
    applicant: str,
    role: str,
    facts: dict[str, Any],
    link: str = "",
) -> dict[str, Any]:
    """What a message's templates may print; `link` is the application's page ("" for none), a
    fact of the same name (an invitation's own link) wins."""
    return {
        "recipient": person.name,
        "role": role,
        "application_id": app.id if app else "",
        "title": app.title if app else "",
        "applicant": applicant,
        "programme": programme.name if programme else "",
        "state": app.state if app else "",
        "link": link,
        **facts,
    }


def _message(
    key: str,
    event: str,
    template: str,
    person: Recipient,
    app: Application | None,
    context: dict[str, Any],
    override: Override | None,
    code: str | None,
) -> dict[str, Any]:
    """One message rendered for one person, in their language: its columns, not yet in the
    outbox."""
    text_name = f"{template}.txt.j2"
    rendered = render(override, text_name, person.language, context)
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
        html=render(override, f"{template}.html.j2", person.language, context),
    )


class Batch:
    """`enqueue` for many new applications, batch after batch (an import): recipients are
    looked up once per group (every organisation's applicants together) and each programme's
    templates folder found once, for all the batches; each batch's messages are inserted in one
    statement, in the order `enqueue` would write them. `base_url` as for `enqueue`."""

    def __init__(self, db: Session, templates: str, base_url: str = "") -> None:
        self.db, self.templates, self.base_url = db, templates, base_url
        self.groups: dict[tuple[str, int | None], list[Person]] = {}
        self.applicants_read = False
        self.overrides: dict[str | None, Override | None] = {}

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
            code = programme.code if programme else None
            if code not in self.overrides:
                self.overrides[code] = override_folder(self.templates, code)
            for rule in rules:
                link = page_link(self.base_url, app, event, rule.recipients)
                for person in self._people(rule.recipients, app):
                    if person.email not in seen:
                        seen.add(person.email)
                        key = f"{event}:{app.id}:{cause}:{person.email}"
                        applicant = org.name if org else ""
                        context = _context(person, app, programme, applicant, rule.recipients,
                                           {}, link)  # fmt: skip
                        override = self.overrides[code]
                        rows.append(
                            _message(key, event, rule.template, person, app, context, override,
                                     code)
                        )  # fmt: skip
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
                for org_id, contact in repository.org_contacts(self.db).items():
                    self.groups.setdefault(("applicant", org_id), [contact])  # none in the role
            return self.groups.get(("applicant", app.applicant_org_id), [])
        group = (who, None)
        if group not in self.groups:
            self.groups[group] = recipients(self.db, who, app)
        return self.groups[group]


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
