"""The peer's lifecycle step, as a Django + django-fsm-2 application would write kracht's
`engine.fire` of present_at_table and withdraw (and `engine.record` between them).

A fire, in ONE transaction (BEGIN IMMEDIATE, as kracht's writes):
  1. resolve the actor and their roles;
  2. load the application with its programme, line and applicant, and its stage data;
  3. ask django-fsm-2 whether the transition is allowed: from this state, its conditions met
     (the quickscan recorded and a line named; a reason given) and the actor permitted;
  4. move the state through the transition method, then write it with an optimistic version
     check (UPDATE ... WHERE id = ? AND version = old), refusing a concurrent change;
  5. append the audit event to the SHA-256 chain: the head row read, the event's hash over the
     previous hash and the canonical JSON of its fields (kracht's storage/audit.py, salt and
     all), the event inserted and the head moved;
  6. what the trigger causes: present_at_table renders a text and an HTML message (Django
     templates, the cached loader) for the applicant and for the table chair into the outbox;
     withdraw cancels the application's open reminders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from road.models import (
    TERMINAL,
    Application,
    AuditEvent,
    AuditHead,
    Organisation,
    OutboxMessage,
    Person,
    PersonRole,
    Programme,
    ProgrammeLine,
    Reminder,
    StageValue,
    holds,
)

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor", "roles", "application_id", "action", "trigger", "from_state",
          "to_state", "outcome", "reason", "payload", "prev_hash")  # fmt: skip  # as kracht's
TRIGGERS = ("present_at_table", "withdraw")
WORKFLOW_VERSION = 1
LEADER = "leader@example.org"
APPLICANT = "Stichting TalentIT Twente"
# present_at_table's event: who hears of it, in kracht's notifications/rules.py order
NOTIFIED = ("applicant", "innovation_table_chair")
OPEN_REMINDERS = ("pending", "reminded", "overdue", "escalated")
RECORDERS = holds("programme_leader", "applicant")


class NotAllowed(Exception):
    """The transition is not possible from this state, its conditions fail, or the actor may not."""


class ConcurrentChange(Exception):
    """Another writer changed the application since it was loaded."""


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted-key JSON of the HASHED fields, time in UTC."""
    doc = {name: fields[name] for name in HASHED}
    doc["at"] = doc["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def append(actor: Person, action: str, app: Application, payload: dict[str, Any],
           **fields: Any) -> AuditEvent:  # fmt: skip
    """Append one event to the chain inside the caller's transaction, its payload salted."""
    head = AuditHead.objects.select_for_update().get(pk=1)
    row: dict[str, Any] = dict(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor.email,
        roles=",".join(actor.roles),
        application_id=app.pk,
        action=action,
        trigger=None,
        from_state=app.state,
        to_state=app.state,
        outcome="ok",
        reason=None,
        payload={**payload, "salt": secrets.token_hex(32)},
        prev_hash=head.hash,
    )
    row.update(fields)
    event = AuditEvent.objects.create(**row, hash=event_hash(row))
    AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


def resolve(email: str) -> Person:
    actor = Person.objects.get(email=email)
    actor.roles = list(PersonRole.objects.filter(person=actor).values_list("role", flat=True))
    return actor


def load(app_id: int) -> Application:
    """The application (locked where the database can), with what the conditions read."""
    app = (
        Application.objects.select_for_update()
        .select_related("programme", "line", "applicant_org")
        .get(pk=app_id)
    )
    app.stage = dict(StageValue.objects.filter(application=app).values_list("field", "value"))
    return app


def save(app: Application, version: int, **changes: Any) -> None:
    """Write the changes and bump the version, only if nobody else did since `version`."""
    moved = Application.objects.filter(pk=app.pk, version=version).update(
        version=version + 1, updated_at=timezone.now(), **changes
    )
    if moved != 1:
        raise ConcurrentChange(app.pk)
    app.version = version + 1


def fire(email: str, app_id: int, trigger: str, reason: str | None = None) -> dict[str, Any]:
    """Fire `trigger` on the application in one transaction (see the module)."""
    if trigger not in TRIGGERS:
        raise NotAllowed(f"unknown trigger {trigger!r}")
    with transaction.atomic():
        actor = resolve(email)
        app = load(app_id)
        app.reason = reason
        move = getattr(app, trigger)
        if not can_proceed(move):
            raise NotAllowed(f"cannot {trigger} application {app_id} from {app.state}")
        if not has_transition_perm(move, actor):
            raise NotAllowed(f"{email} may not {trigger} application {app_id}")
        source, version = app.state, app.version
        move()  # django-fsm-2 checks again and sets the new state on the instance
        save(app, version, state=app.state, previous_state=source)
        event = append(actor, "fire", app, {"workflow_version": WORKFLOW_VERSION},
                       trigger=trigger, from_state=source, reason=reason)  # fmt: skip
        if trigger == "present_at_table":
            notify(app, "moved_to_innovation_table", event.seq)
        elif trigger == "withdraw":
            Reminder.objects.filter(application=app, status__in=OPEN_REMINDERS).update(
                status="cancelled", next_at=None, closed_at=timezone.now()
            )
    return {"application_id": app.pk, "trigger": trigger, "from": source, "to": app.state,
            "version": app.version, "events": [event.seq]}  # fmt: skip


def notify(app: Application, event: str, cause: int) -> int:
    """Render one text and one HTML message for each person told of `event`, into the outbox."""
    text_template = get_template(f"road/en/{event}.txt")
    html_template = get_template(f"road/en/{event}.html")
    seen: set[str] = set()
    for role in NOTIFIED:
        people = Person.objects.filter(personrole__role=role).order_by("id")
        if role == "applicant":  # the applicant organisation's own people only
            people = people.filter(organisation_id=app.applicant_org_id)
        for person in people:
            if person.email in seen:
                continue
            seen.add(person.email)
            context = {
                "recipient": person.name,
                "role": role,
                "application_id": app.pk,
                "title": app.title,
                "applicant": app.applicant_org.name,
                "programme": app.programme.name,
                "state": app.state,
            }
            subject, _, text = text_template.render(context).partition("\n")
            key = f"{event}:{app.pk}:{cause}:{person.email}"
            OutboxMessage.objects.create(
                key=key,
                message_id=f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@kracht>",
                event=event,
                application=app,
                recipient=person.email,
                language=person.language,
                subject=subject.removeprefix("Subject: ").strip(),
                text=text.lstrip("\n"),
                html=html_template.render(context),
            )
    return len(seen)


def record(email: str, app_id: int, section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Record stage data without moving the state: one transaction, one audit event."""
    with transaction.atomic():
        actor = resolve(email)
        app = load(app_id)
        if not RECORDERS(app, actor):
            raise NotAllowed(f"{email} may not record {section} data")
        if app.state in TERMINAL:
            raise NotAllowed(f"application {app_id} is {app.state}; its record is final")
        save(app, app.version)
        previous = {field: app.stage.get(field) for field in values}
        now = timezone.now()
        StageValue.objects.bulk_create(
            [
                StageValue(
                    application=app,
                    field=field,
                    section=section,
                    value=value,
                    recorded_at=now,
                    recorded_by=email,
                )
                for field, value in values.items()
            ],
            update_conflicts=True,
            unique_fields=["application", "field"],
            update_fields=["section", "value", "recorded_at", "recorded_by"],
        )
        payload = {"section": section, "values": values, "previous_values": previous}
        event = append(actor, "record", app, payload)
    return {"application_id": app.pk, "version": app.version, "event": event.seq}


def seed(count: int) -> list[int]:
    """The people, organisation and programme (once), then `count` new ideas on its line."""
    if not AuditHead.objects.exists():
        AuditHead.objects.create(pk=1, seq=0, hash=GENESIS)
        org = Organisation.objects.create(name=APPLICANT)
        for name, email, role, organisation in (
            ("Leader", LEADER, "programme_leader", None),
            ("Table Chair", "table.chair@example.org", "innovation_table_chair", None),
            ("Applicant", "applicant@talentit.example.org", "applicant", org),
        ):
            person = Person.objects.create(name=name, email=email, organisation=organisation)
            PersonRole.objects.create(person=person, role=role)
        programme = Programme.objects.create(code="avt-2018", name="Agenda voor Twente 2018-2022")
        ProgrammeLine.objects.create(programme=programme, code="talent", name="Arbeidsmarkt")
    programme = Programme.objects.get(code="avt-2018")
    line = ProgrammeLine.objects.get(programme=programme, code="talent")
    org = Organisation.objects.get(name=APPLICANT)
    start = Application.objects.count()
    ideas = Application.objects.bulk_create(
        Application(
            title=f"TalentIT Twente {start + n}", programme=programme, line=line, applicant_org=org
        )
        for n in range(count)
    )
    return [app.pk for app in ideas]


def verify() -> int:
    """Walk the whole chain: every event's seq, previous hash and hash, then the head. Returns
    how many events hold; raises AssertionError at the first that does not."""
    expected_prev, count = GENESIS, 0
    for event in AuditEvent.objects.order_by("seq").iterator():
        fields = {name: getattr(event, name) for name in HASHED}
        assert event.seq == count + 1, f"event #{count + 1} missing"
        assert event.prev_hash == expected_prev, f"event #{event.seq}: previous hash differs"
        assert event_hash(fields) == event.hash, f"event #{event.seq} altered"
        expected_prev, count = event.hash, count + 1
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (count, expected_prev), "the chain ends before its head"
    return count
