"""The peer's tables: people with roles, an application on a django-fsm-2 road, its stage data,
the audit chain and the outbox, shaped as kracht's storage/tables.py shapes them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django_fsm import FSMField, transition

TERMINAL = ("closed", "rejected", "withdrawn")
OPEN = (  # kracht's workflow/definition.py OPEN: every state but the terminal ones
    "idea",
    "innovation_table",
    "ecosystem_analysis",
    "assessment_committee",
    "kracht_scoring",
    "steering_decision",
    "approved_with_conditions",
    "monitoring",
)


def holds(*roles: str) -> Any:
    """A django-fsm permission: the actor holds one of `roles` (an applicant: for their own
    organisation's applications only)."""

    def permitted(app: Application, actor: Person) -> bool:
        own = actor.organisation_id == app.applicant_org_id
        return any(role in actor.roles and (role != "applicant" or own) for role in roles)

    return permitted


def quickscan_done(app: Application) -> bool:
    """present_at_table's first condition: the idea stage's quickscan is recorded."""
    return app.stage.get("quickscan") not in (None, "")


def line_chosen(app: Application) -> bool:
    """present_at_table's second condition: the application names an action line."""
    return app.line_id is not None


def reason_given(app: Application) -> bool:
    """withdraw's condition: a reason is given with the action."""
    return bool(app.reason and app.reason.strip())


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, unique=True)
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT)
    language = models.CharField(max_length=2, default="en")
    roles: list[str] = []  # set from PersonRole when the actor is resolved


class PersonRole(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    role = models.CharField(max_length=40)

    class Meta:
        unique_together = ("person", "role")


class Programme(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)


class ProgrammeLine(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)


class Application(models.Model):
    title = models.CharField(max_length=200)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT)
    line = models.ForeignKey(ProgrammeLine, null=True, on_delete=models.PROTECT)
    applicant_org = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    state = FSMField(default="idea", db_index=True)
    previous_state = models.CharField(max_length=40, null=True)
    version = models.IntegerField(default=1)  # optimistic lock: every write checks and bumps it
    updated_at = models.DateTimeField(auto_now_add=True)

    stage: dict[str, Any] = {}  # what the conditions see, loaded with the application
    reason: str | None = None

    @transition(
        field=state,
        source="idea",
        target="innovation_table",
        conditions=[quickscan_done, line_chosen],
        permission=holds("programme_leader"),
    )
    def present_at_table(self) -> None:
        """To the innovation table, once the quickscan is recorded."""

    @transition(
        field=state,
        source=OPEN,
        target="withdrawn",
        conditions=[reason_given],
        permission=holds("programme_leader", "steering_member", "applicant"),
    )
    def withdraw(self) -> None:
        """Out of the road, with a reason."""


class StageValue(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE)
    field = models.CharField(max_length=80)
    section = models.CharField(max_length=40)
    value = models.JSONField()
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=254)

    class Meta:
        unique_together = ("application", "field")


class AuditHead(models.Model):
    seq = models.IntegerField(default=0)
    hash = models.CharField(max_length=64)


class AuditEvent(models.Model):
    seq = models.IntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=254)
    roles = models.CharField(max_length=200)
    application = models.ForeignKey(Application, null=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=40)
    trigger = models.CharField(max_length=40, null=True)
    from_state = models.CharField(max_length=40, null=True)
    to_state = models.CharField(max_length=40, null=True)
    outcome = models.CharField(max_length=20, default="ok")
    reason = models.TextField(null=True)
    payload = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)


class OutboxMessage(models.Model):
    key = models.CharField(max_length=400, unique=True)
    message_id = models.CharField(max_length=100)
    event = models.CharField(max_length=60)
    application = models.ForeignKey(Application, null=True, on_delete=models.PROTECT)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=2)
    subject = models.CharField(max_length=400)
    text = models.TextField()
    html = models.TextField()
    status = models.CharField(max_length=20, default="pending")
    attempts = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class Reminder(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE)
    status = models.CharField(max_length=20, default="pending")
    next_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
