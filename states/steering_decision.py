"""Steering decision (sturingscommissie, later Twente Board): approve, conditions or reject.

Decision data is recorded only with the decision itself, `decided_on` the day the committee met
(default: the day it is entered; the audit trail keeps when it was entered). The grant is
charged to the line's budget (or the programme's pool) for `budget_year`, spread evenly up to
`spread_until`; a decision that departs from the committee's advice needs a `departure_rationale`.
"""

from kracht.basics.euros import format_euros
from kracht.basics.roles import Role
from kracht.states.base import Context, Field, Guard, Need, recorded
from kracht.states.common import REASON

STAGE = "steering_decision"
RECORDERS = (Role.STEERING_MEMBER,)
FIELDS = (
    Field("decided_on", "day", "date of the meeting that took the decision (default: today)"),
    Field("granted", "money", "amount granted in euros"),
    Field("budget_year", "year", "budget year charged (default: the year of the decision)"),
    Field("spread_until", "year", "last year of a multi-year grant, spread evenly over the years"),
    Field("budget_kind", "choice", "budget charged", ("projects", "development")),
    Field("conditions", "conditions", "conditions of the grant, one DUE|OWNER|TEXT per line"),
    Field("departure_rationale", "text", "why the decision departs from the committee's advice"),
)

FOLLOWS = {  # the advice each decision follows; no advice recommends deferring (defer)
    "approve": "positive",
    "approve_with_conditions": "positive_with_conditions",
    "reject": "negative",
}


def follows_advice(ctx: Context, decision: str) -> bool:
    """True when there is no advice to depart from, or the decision is the one advised."""
    advice = ctx.data.get("advice")
    return advice is None or advice == FOLLOWS.get(decision)


def _departure(decision: str) -> Need:
    return Need(
        "a rationale for departing from the committee's advice (departure_rationale)",
        lambda ctx: follows_advice(ctx, decision) or ctx.has("departure_rationale"),
        lambda ctx: (
            f"a rationale for departing from the committee's advice "
            f"({ctx.data.get('advice')}) (departure_rationale)"
        ),
    )


def _granted_within_request(ctx: Context) -> bool:
    granted = ctx.data.get("granted")
    return granted is None or granted <= ctx.requested_cents


def _spread_after_start(ctx: Context) -> bool:
    until, start = ctx.data.get("spread_until"), ctx.data.get("budget_year")
    return until is None or start is None or until >= start


def _granted_above_zero(ctx: Context) -> bool:
    granted = ctx.data.get("granted")
    return granted in (None, "") or granted > 0  # not given at all: `recorded` names that


GRANT = (
    recorded("granted", "a granted amount (granted)"),
    Need(
        "a granted amount above zero",
        _granted_above_zero,
        lambda ctx: f"a granted amount above zero ({format_euros(ctx.data['granted'])} was given)",
    ),
    Need("a granted amount no higher than the requested amount", _granted_within_request),
    Need("a spread_until no earlier than the budget_year", _spread_after_start),
    REASON,
)

APPROVE = Guard(None, (*GRANT, _departure("approve")))
APPROVE_WITH_CONDITIONS = Guard(
    None,
    (*GRANT, recorded("conditions", "the conditions"), _departure("approve_with_conditions")),
)
REJECT = Guard(None, (REASON, _departure("reject")))
