"""The conditions of a conditional approval: listed, and met with evidence."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.errors import Field, InvalidInput, NotFound
from kracht.basics.roles import Role
from kracht.storage import clock, repository
from kracht.storage import funds as store
from kracht.storage.tables import (
    Application,
)
from kracht.workflow import engine
from kracht.workflow.move import Audited
from kracht.workflow.services import filters
from kracht.workflow.unit import Unit, reads

if TYPE_CHECKING:
    from sqlmodel import Session


CONDITION_KEEPERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)


class ConditionRow(TypedDict):
    """A condition of a conditional approval, with its application and status on the day."""

    application_id: int
    title: str
    state: str
    number: int
    text: str
    due_on: str
    owner: str
    status: Literal["met", "overdue", "open"]
    evidence: str | None  # None until met
    met_by: str | None
    met_on: str | None  # the day it was met; None until met


@reads
def list_conditions(
    unit: Unit, application_id: int | None = None, overdue_only: bool = False
) -> list[ConditionRow]:
    today = unit.clock.today()
    db = unit.db
    actor = unit.actor
    filters.application(db, actor, application_id)
    rows: list[ConditionRow] = []
    for condition, owner, app in store.conditions(db, application_id):
        if not actor.sees_everything() and actor.organisation_id != app.applicant_org_id:
            continue
        status = "met" if condition.met_at else ("overdue" if condition.due_on < today else "open")
        if overdue_only and status != "overdue":
            continue
        rows.append(
            {
                "application_id": app.id,
                "title": app.title,
                "state": app.state,
                "number": condition.number,
                "text": condition.text,
                "due_on": condition.due_on.isoformat(),
                "owner": owner.email,
                "status": status,
                "evidence": condition.evidence,
                "met_by": condition.met_by,
                "met_on": clock.local_day(condition.met_at).isoformat()
                if condition.met_at
                else None,
            }
        )
    return rows


class ConditionMet(Audited):
    """A condition met: its number, the evidence, the day it was met, and how many conditions
    are still open."""

    condition: int
    evidence: str
    met_on: str
    still_open: int


MET_ON = Field("met on", "met_on")


def meet_condition(
    unit: Unit, application_id: int, number: int, evidence: str, met_on: str | None = None
) -> ConditionMet:
    """Record that a condition is met, with the evidence; audited. `met_on` is the day it was
    met (default: today; never later, nor before the decision that set it): the condition
    counts as met from the start of that day, and the audit trail keeps when it was entered."""
    today = unit.clock.today()
    day = inputs.parse_date(met_on, MET_ON) or today
    if day > today:
        raise InvalidInput(
            f"met on: {day.isoformat()} lies in the future (today is {today.isoformat()}); "
            "give the day the condition was met",
            field="met_on",
            label="met on",
        )
    if not (evidence or "").strip():
        raise InvalidInput(
            "say how the condition was met", field="evidence", label="how the condition was met"
        )
    evidence = inputs.text(evidence, Field("evidence"), inputs.REASON)

    from kracht.notifications import reminders

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        condition = store.condition(db, app.pk, number)
        if condition is None:
            raise NotFound("condition", number, application=app.id)
        if condition.met_at is not None:
            raise InvalidInput(
                f"condition {number} was already met on "
                f"{clock.local_day(condition.met_at).isoformat()}"
            )
        decided = _decided_on(db, app)
        if decided is not None and day < decided:
            raise InvalidInput(
                f"met on: {day.isoformat()} lies before the decision that set the condition, "
                f"on {decided.isoformat()}",
                field="met_on",
                label="met on",
            )
        condition.met_at = unit.clock.now() if day == today else _start_of(day)
        condition.met_by, condition.evidence = actor.email, evidence.strip()
        repository.flush(db)
        reminders.close(db, application_id=app.pk, subject_ref=f"condition:{condition.id}")
        return {
            "condition": number,
            "evidence": evidence.strip(),
            "met_on": day.isoformat(),
            "still_open": store.open_conditions(db, app.pk),
        }

    return cast(
        ConditionMet,
        engine.write_with_audit(unit, application_id, CONDITION_KEEPERS, "condition.met", change),
    )


def _decided_on(db: Session, app: Application) -> dt.date | None:
    """The day of the decision that set the application's conditions (its latest decision)."""
    from kracht.workflow.services.decisions import decisions_made

    made = decisions_made(db, app)
    return dt.date.fromisoformat(made[-1]["decided_on"]) if made else None


def _start_of(day: dt.date) -> dt.datetime:
    """The first moment of a programme day, as UTC: a condition met on `day` counts from then."""
    return dt.datetime.combine(day, dt.time(0), clock.PROGRAMME_TZ).astimezone(dt.UTC)
