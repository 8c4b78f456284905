"""The deadlines an application's moves set and end, as reminders.

The road (workflow/definition.py) says which move sets or ends which, through the effects in
workflow/effects/due_dates.py; each runs inside the transaction of its move, so a deadline exists
exactly when the move that set it committed. Besides the road:

    a member assigned later   sets  scoring_deadline  for them, with the scoring-opened message
    a member recused          ends  their scoring_deadline (cancelled)

Single obligations end where they are met: a member's submitted score sheet, a condition marked
met, a progress report submitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kracht.notifications import reminders
from kracht.storage import assessments as committee_store
from kracht.storage import clock, funds
from kracht.storage.tables import Application, Person, ScoringRound

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.notifications.settings import Reminders


def scoring_deadlines(db: Session, app: Application, rules: Reminders) -> None:
    """Scoring opened: each assigned, non-recused member is reminded of the round's deadline."""
    current = committee_store.current_round(db, app.pk)
    if current is None:
        return
    for assignment, person in committee_store.assignments(db, app.pk):
        if not assignment.recused:
            _scoring_reminder(db, app, current, person.email, rules)


def member_joined(
    db: Session,
    app: Application,
    person: Person,
    rules: Reminders,
    templates: str,
    base_url: str = "",
) -> None:
    """A member assigned while scoring is open hears of it, as the others did, and is reminded
    (`templates`: the settings' templates folder, "" for none; `base_url`: the web address the
    message links to, "" for none)."""
    current = committee_store.current_round(db, app.pk)
    if app.state != "kracht_scoring" or current is None:
        return
    from kracht.notifications.outbox import (
        add_message,  # renders templates: jinja2 only when needed
    )
    from kracht.notifications.rules import rules_for

    facts = {"deadline": current.deadline.isoformat()}
    key = f"scoring_opened:{app.id}:round-{current.number}:{person.email}"
    for rule in rules_for("scoring_opened"):
        add_message(
            db, key, "scoring_opened", rule.template, person, app, rule.recipients, facts,
            templates=templates, base_url=base_url,
        )  # fmt: skip
    _scoring_reminder(db, app, current, person.email, rules)


def member_recused(db: Session, app: Application, email: str) -> None:
    """A recused member no longer scores: their scoring reminders are cancelled."""
    reminders.close(
        db,
        application_id=app.pk,
        kind="scoring_deadline",
        recipient=email,
        status="cancelled",
    )


def _scoring_reminder(
    db: Session, app: Application, current: ScoringRound, email: str, rules: Reminders
) -> None:
    """A member is reminded of the round's deadline; not of a past round's, entered after its
    deadline had passed (its sheets are entered as they come: nobody is late)."""
    if clock.local_day(current.opened_at) > current.deadline:
        return
    reminders.schedule(
        db,
        kind="scoring_deadline",
        key=f"scoring_deadline:{app.id}:{current.number}:{email}",
        application_id=app.id,
        recipient=email,
        subject_ref=f"scoring_round:{current.id}",
        due=current.deadline,
        facts={"deadline": current.deadline.isoformat(), "round": current.number},
        rules=rules,
    )


def condition_deadlines(db: Session, app: Application, rules: Reminders) -> None:
    """Approved with conditions: each open condition's owner is reminded of its due date."""
    for condition, owner, _ in funds.conditions(db, app.pk):
        if condition.met_at is not None:
            continue
        reminders.schedule(
            db,
            kind="condition_due",
            key=f"condition_due:{condition.id}:{owner.email}",
            application_id=app.id,
            recipient=owner.email,
            subject_ref=f"condition:{condition.id}",
            due=condition.due_on,
            facts={"condition": condition.text, "number": condition.number},
            rules=rules,
        )
