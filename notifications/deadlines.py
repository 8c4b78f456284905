"""Which moves of an application set deadlines, and which end them.

Called by the engine inside the transaction of each move, so a deadline exists exactly when the
move that set it committed:

    open_scoring              sets  scoring_deadline  for each assigned, non-recused member
    a member assigned later   sets  scoring_deadline  for them, with the scoring-opened message
    a member recused          ends  their scoring_deadline (cancelled)
    approve_with_conditions   sets  condition_due     for each condition's owner
    leaving kracht_scoring    ends  scoring_deadline  (met with the advice, else cancelled)
    leaving approved_with_conditions  ends  condition_due
    reaching a terminal state ends  every reminder of the application (cancelled)

Single obligations end where they are met: a member's submitted score sheet, a condition marked
met, a progress report submitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kracht.notifications import reminders
from kracht.storage import assessments as committee_store
from kracht.storage import funds
from kracht.storage.tables import Application, Person, ScoringRound
from kracht.workflow.definition import TERMINAL

if TYPE_CHECKING:
    from sqlmodel import Session


def follow(db: Session, app: Application, start: str, final: str, trigger: str) -> None:
    """Set and end the deadlines a move from `start` to `final` by `trigger` implies."""
    if trigger == "open_scoring":
        _scoring(db, app)
    if trigger == "approve_with_conditions":
        _conditions(db, app)
    if start == "kracht_scoring" and final != start:
        met = "done" if trigger == "submit_advice" else "cancelled"
        reminders.close(db, application_id=app.id or 0, kind="scoring_deadline", status=met)
    if start == "approved_with_conditions" and final != start:
        met = "done" if trigger == "conditions_met" else "cancelled"
        reminders.close(db, application_id=app.id or 0, kind="condition_due", status=met)
    if final in TERMINAL:
        reminders.close(db, application_id=app.id or 0, status="cancelled")


def _scoring(db: Session, app: Application) -> None:
    current = committee_store.current_round(db, app.id or 0)
    if current is None:
        return
    for assignment, person in committee_store.assignments(db, app.id or 0):
        if not assignment.recused:
            _scoring_reminder(db, app, current, person.email)


def member_joined(db: Session, app: Application, person: Person) -> None:
    """A member assigned while scoring is open hears of it, as the others did, and is reminded."""
    current = committee_store.current_round(db, app.id or 0)
    if app.state != "kracht_scoring" or current is None:
        return
    from kracht.notifications.outbox import (
        add_message,  # renders templates: jinja2 only when needed
    )
    from kracht.notifications.rules import rules_for

    facts = {"deadline": current.deadline.isoformat()}
    key = f"scoring_opened:{app.id}:round-{current.number}:{person.email}"
    for rule in rules_for("scoring_opened"):
        add_message(db, key, "scoring_opened", rule.template, person, app, rule.recipients, facts)
    _scoring_reminder(db, app, current, person.email)


def member_recused(db: Session, app: Application, email: str) -> None:
    """A recused member no longer scores: their scoring reminders are cancelled."""
    reminders.close(
        db,
        application_id=app.id or 0,
        kind="scoring_deadline",
        recipient=email,
        status="cancelled",
    )


def _scoring_reminder(db: Session, app: Application, current: ScoringRound, email: str) -> None:
    reminders.schedule(
        db,
        kind="scoring_deadline",
        key=f"scoring_deadline:{app.id}:{current.number}:{email}",
        application_id=app.id,
        recipient=email,
        subject_ref=f"scoring_round:{current.id}",
        due=current.deadline,
        facts={"deadline": current.deadline.isoformat(), "round": current.number},
    )


def _conditions(db: Session, app: Application) -> None:
    for condition, owner, _ in funds.conditions(db, app.id or 0):
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
        )
