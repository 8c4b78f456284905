"""What a move asks of the person making it beyond their role: each check refuses with
NotAllowed, before any guard is looked at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kracht.basics.errors import NotAllowed
from kracht.storage import assessments as store
from kracht.storage import repository
from kracht.storage.tables import Application
from kracht.workflow.effects import says

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.workflow.unit import Unit


def interest(db: Session, app: Application, organisation_id: int | None) -> str | None:
    """Why a person of `organisation_id` has an interest in the application (they work at the
    applicant or a partner), or None."""
    if organisation_id is None or organisation_id not in store.interested_organisations(db, app):
        return None
    org = repository.organisation(db, organisation_id)
    role = "the applicant" if organisation_id == app.applicant_org_id else "a partner"
    return f"works at {org.name if org else organisation_id}, {role}"


@says("refuse advice from a chair not on this committee or recused")
def check_adviser(unit: Unit, app: Application) -> None:
    """Refuse the joint advice from a chair not on this application's committee, recused, or
    who has not declared their interests (the advice rests on scores only a declared member
    may see)."""
    db, actor = unit.db, unit.actor
    record = store.assignment(db, app.pk, actor.person_id or 0)
    who = "the joint advice is recorded by a committee chair assigned to the application"
    if record is None:
        raise NotAllowed(f"{actor.email} is not assigned to application {app.id}: {who}")
    reason = record.recusal_reason if record.recused else None
    reason = reason or interest(db, app, actor.organisation_id)
    if record.declaration == "conflict":
        reason = reason or "declared a conflict of interest"
    if reason:
        raise NotAllowed(
            f"{actor.email} is recused from application {app.id}: {reason}; "
            f"{who} without a conflict of interest"
        )
    if record.declaration != "none":
        raise NotAllowed(
            f"{actor.email} has not declared their interests in application {app.id}: "
            "declaring them comes before the advice",
            step="declare_before_advice",
            actor=actor.email,
            application=app.id,
        )
