"""Steering decisions: the decision with its money and letter, what was decided, the letter shown
again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.errors import Field, InvalidInput, NotFound
from kracht.basics.euros import parse_euros
from kracht.storage import audit, repository
from kracht.storage import funds as store
from kracht.storage.clock import local_day
from kracht.storage.tables import (
    Application,
)
from kracht.workflow import engine
from kracht.workflow.effects.grants import DAY_FIELDS
from kracht.workflow.move import Moved
from kracht.workflow.services.budgets import ratio
from kracht.workflow.unit import Unit, reads

if TYPE_CHECKING:
    from sqlmodel import Session


OUTCOMES = ("approve", "approve_with_conditions", "reject", "defer")


class Charge(TypedDict):
    """A grant's share charged to a budget in one year, with what that budget had and has left."""

    year: int
    budget: str  # the budget in words, e.g. "the projects budget of ..."
    amount_cents: int
    budget_cents: int
    available_cents: int
    left_cents: int


class Decided(Moved):
    """A steering decision fired (or only tried out), with the money charged per year."""

    dry_run: bool
    charged: list[Charge]


def decide(
    unit: Unit,
    application_id: int,
    outcome: str,
    *,
    reason: str | None,
    amount: str | None = None,
    year: int | None = None,
    spread_until: int | None = None,
    development: bool = False,
    conditions: list[tuple[str, str, str]] | None = None,
    departure_rationale: str | None = None,
    deferred_until: str | None = None,
    deferred_to_round: str | None = None,
    decided_on: str | None = None,
    expected_version: int | None = None,
) -> Decided:
    """Record a steering decision: one transaction with its money, conditions and letter.

    Run with `Units.try_out`, every check of the real decision runs (roles, guards, the amount,
    the programme's period and what is available per year) and its effects are computed, then
    rolled back: nothing is written, not even the audit of a refusal. The result says what
    would be charged per year, what would be left, and the warnings. `decided_on` is the day
    the committee met (default: today, never later): the letter is dated by it, the budget year
    follows from it and the report schedule starts on it. With `expected_version`,
    the decision is refused (ConcurrentChange) if the application changed since that version
    (a web page confirms the decision it previewed)."""
    outcome = outcome.replace("-", "_")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"unknown decision {outcome!r}; decide " + ", ".join(OUTCOMES))
    _fits(
        outcome,
        {
            "amount": (amount is not None, "approve"),
            "year": (year is not None, "approve"),
            "spread_until": (spread_until is not None, "approve"),
            "from_development": (development, "approve"),
            "condition": (bool(conditions), "approve_with_conditions"),
            "until": (bool(deferred_until), "defer"),
            "to_round": (bool(deferred_to_round), "defer"),
        },
    )
    values: dict[str, object] = {}
    if outcome.startswith("approve"):
        if amount is not None:  # not given: the guard names the missing amount
            parse_euros(amount, Field("amount"))  # refused naming the field given
            values["granted"] = amount
        values.update(
            {
                k: v
                for k, v in (("budget_year", year), ("spread_until", spread_until))
                if v is not None
            }
        )
        if development:
            values["budget_kind"] = "development"
    if outcome == "approve_with_conditions":
        values["conditions"] = [{"due": d, "owner": o, "text": t} for d, o, t in conditions or []]
    if departure_rationale:
        values["departure_rationale"] = departure_rationale
    if outcome == "defer":
        values.update(
            {
                k: v
                for k, v in (
                    ("deferred_until", deferred_until),
                    ("deferred_to_round", deferred_to_round),
                )
                if v
            }
        )
    if decided_on:  # refused here naming the field given; recorded as the outcome's own field
        day = inputs.require_date(decided_on, Field("decided on", "decided_on"))
        if day > unit.clock.today():
            raise InvalidInput(
                f"decided on: {day.isoformat()} lies in the future (today is "
                f"{unit.clock.today().isoformat()}); give the day the committee met",
                field="decided_on",
                label="decided on",
            )
        values[DAY_FIELDS.get(outcome, "decided_on")] = day.isoformat()
    result = engine.fire(
        unit, application_id, outcome, reason=reason, values=values,
        expected_version=expected_version,
    )  # fmt: skip
    charged = cast(list[Charge], result["effects"].get("charged", []))
    return {**result, "dry_run": unit.dry_run, "charged": charged}


def _fits(outcome: str, given: dict[str, tuple[bool, str]]) -> None:
    """Refuse a field that the outcome would silently drop (`until` with an approval)."""
    for field, (present, belongs) in given.items():
        if present and not outcome.startswith(belongs):
            shown = belongs.replace("_", "-")
            words = field.replace("_", " ")
            raise InvalidInput(
                f"{words} belongs to {'an approval' if belongs == 'approve' else shown}, "
                f"not to {outcome.replace('_', '-')}: leave it out",
                field=field,
                label=words,
                bare=True,
            )


class Decision(TypedDict):
    """A steering decision as the audit trail holds it, with the committee's advice then."""

    outcome: str
    decided_by: str
    decided_at: str  # when it was entered
    decided_on: str  # the day the committee met (the day it was entered, unless given)
    reasons: str | None
    advice: str | None  # the committee's joint advice at the time; None before one
    follows_advice: bool | None  # None where the decision's effects did not say
    departure_rationale: str | None
    deferred_until: str | None
    deferred_to_round: str | None


def decisions_made(
    db: Session, app: Application, history: list[audit.EventRow] | None = None
) -> list[Decision]:
    """Every steering decision on the application, oldest first, from its audit trail: what was
    decided, by whom, when, why, and how it relates to the committee's advice at the time.
    `history` is the application's `audit.history`, when the caller has read it already."""
    made: list[Decision] = []
    advice = None
    if history is None:  # only the moves it reads
        history = audit.history(db, app.id, fired=(*OUTCOMES, "submit_advice"))
    for event in history:
        if event["action"] != "fire" or event["outcome"] != "ok":
            continue
        values = event["payload"].get("values") or {}
        if event["trigger"] == "submit_advice":
            advice = values.get("advice")
        if event["trigger"] not in OUTCOMES:
            continue
        follows = (event["payload"].get("effects") or {}).get("follows_advice")
        rationale = values.get("departure_rationale")
        if event["trigger"] == "defer" and follows is False:
            rationale = rationale or event["reason"]  # a deferral's reason is its rationale
        made.append(
            {
                "outcome": event["trigger"],
                "decided_by": event["actor"],
                "decided_at": event["at"],
                "decided_on": str(
                    values.get(DAY_FIELDS.get(event["trigger"], "decided_on"))
                    or _day_of(event["at"])
                ),
                "reasons": event["reason"],
                "advice": advice,
                "follows_advice": follows,
                "departure_rationale": rationale,
                "deferred_until": values.get("deferred_until"),
                "deferred_to_round": values.get("deferred_to_round"),
            }
        )
    return made


def _day_of(at: str) -> str:
    """The programme day of an event's time (as the trail writes it)."""
    return local_day(dt.datetime.fromisoformat(at.replace("Z", "+00:00"))).isoformat()


NOT_DECIDED = dict.fromkeys(
    ("outcome", "decided_by", "decided_at", "decided_on", "reasons", "advice", "follows_advice",
     "departure_rationale", "deferred_until", "deferred_to_round")
)  # fmt: skip


class LatestDecision(TypedDict):
    """The latest steering decision; every field None while there is none."""

    outcome: str | None
    decided_by: str | None
    decided_at: str | None
    decided_on: str | None
    reasons: str | None
    advice: str | None
    follows_advice: bool | None
    departure_rationale: str | None
    deferred_until: str | None
    deferred_to_round: str | None


class Allocation(TypedDict):
    """The part of the grant charged to one budget in one year."""

    year: int
    amount_cents: int
    budget_id: int
    kind: str


class ConditionShown(TypedDict):
    """A condition of a conditional approval, and whether it is met."""

    number: int
    text: str
    due_on: str
    owner: str
    met: bool
    met_on: str | None  # the day it was met (None while open)
    evidence: str | None


class CoFinancing(TypedDict):
    """The partners' money, private and public, and its multiplier on the grant."""

    private_cents: int
    public_cents: int
    multiplier: Decimal | None  # None without a grant


class DecisionView(LatestDecision):
    """An application's decisions (the latest, the earlier), money, conditions, co-financing."""

    earlier: list[Decision]
    granted_cents: int
    charged: list[Allocation]
    conditions: list[ConditionShown]
    co_financing: CoFinancing


def decision_view(
    db: Session,
    app: Application,
    *,
    history: list[audit.EventRow] | None = None,
    partners: list[repository.PartnerRow] | None = None,
) -> DecisionView:
    """The decision part of `kracht app show --json`: the latest decision (earlier ones, such as
    a deferral, under `earlier`), the money charged, the conditions and the co-financing.
    `history` (`audit.history`) and `partners` (`repository.partners`), when the caller has
    read them already."""
    made = decisions_made(db, app, history)
    charged: list[Allocation] = [
        {"year": year, "amount_cents": cents, "budget_id": budget, "kind": kind}
        for year, cents, budget, kind in store.granted_rows(db, app.pk)
    ]
    conditions: list[ConditionShown] = [
        {
            "number": c.number,
            "text": c.text,
            "due_on": c.due_on.isoformat(),
            "owner": c.owner,
            "met": c.met_at is not None,
            "met_on": local_day(c.met_at).isoformat() if c.met_at else None,
            "evidence": c.evidence,
        }
        for c in store.condition_rows(db, app.pk)
    ]
    if partners is None:
        partners = repository.partners(db, app.pk)
    private = sum(
        p.amount_cents or 0 for p in partners if p.commitment == "money" and p.type != "government"
    )
    public = sum(
        p.amount_cents or 0 for p in partners if p.commitment == "money" and p.type == "government"
    )
    granted = sum(c["amount_cents"] for c in charged)
    return {
        **(made[-1] if made else NOT_DECIDED),
        "earlier": made[:-1],
        "granted_cents": granted,
        "charged": charged,
        "conditions": conditions,
        "co_financing": {
            "private_cents": private,
            "public_cents": public,
            "multiplier": ratio(private + public, granted),
        },
    }


@reads
def letter(unit: Unit, application_id: int, language: str) -> str:
    """The decision letter as it was written, in Dutch or English."""
    db = unit.db
    actor = unit.actor
    app = repository.application(db, application_id)
    if app is None or (
        not actor.sees_everything() and actor.organisation_id != app.applicant_org_id
    ):
        raise NotFound("application", application_id)
    row = store.latest_letter(db, application_id, language)
    if row is None:
        raise NotFound(
            "decision letter for application",
            application_id,
            "letters are written when the steering committee decides",
        )
    return row.text
