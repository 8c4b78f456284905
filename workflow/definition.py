"""THE ROAD: every state and every transition an application may take, as one table.

Read it top to bottom: idea at the top, close-out at the bottom. A row says which trigger moves an
application from which states to which state, who may fire it, and what its guards require.
`when` routes between rows that share a trigger and a source (resume returns to the stage the
application was deferred from); it never refuses on its own. `forward` marks the main road that
`kracht app advance` follows. Change a row's shape and you must bump WORKFLOW_VERSION (a test
checks).

A row also says what the move does besides moving: its `effects` (money, letters, the monitoring
plan, reminders; workflow/effects/), the `events` it tells people of (who hears of each is
notifications/rules.py), the `checks` it asks of the person beyond their role, the stage data
only it `records`, and whether it is a steering committee `decision`. `ON_LEAVE` says what leaving
a state ends. The engine applies all of it and knows no stage by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from kracht.basics.roles import Role
from kracht.states import (
    approved_with_conditions,
    assessment_committee,
    deferred,
    ecosystem_analysis,
    idea,
    innovation_table,
    kracht_scoring,
    monitoring,
    proposal,
    steering_decision,
)
from kracht.states.base import Context, Guard
from kracht.states.common import REASON_GIVEN
from kracht.workflow.effects import checks, grants, monitoring_plan, scoring_round, unpaid
from kracht.workflow.effects.due_dates import all_end, conditions_set, ending, scoring_set

WORKFLOW_VERSION = 5  # 2: committee quorum and deadline; 3: conditions and advice departures;
# 4: close-out needs every progress report due and a final value per indicator; a co-financing
# business must commit money, knowledge or time; the requested amount is recordable (requested);
# 5: a deferral names exactly one date or round, given with it

STATES = (
    "idea",
    "innovation_table",
    "ecosystem_analysis",
    "assessment_committee",
    "kracht_scoring",
    "steering_decision",
    "approved_with_conditions",
    "monitoring",
    "deferred",
    "closed",
    "rejected",
    "withdrawn",
)
INITIAL = "idea"
TERMINAL = ("closed", "rejected", "withdrawn")
OPEN = tuple(s for s in STATES if s not in TERMINAL)
REVIEW = ("assessment_committee", "kracht_scoring", "steering_decision")
OPTIONAL = ("innovation_table", "ecosystem_analysis")  # a programme may mark these not applicable
DECIDED = ("approved_with_conditions", "monitoring", "closed", "rejected")


if TYPE_CHECKING:
    from kracht.storage.tables import Application
    from kracht.workflow.move import Move
    from kracht.workflow.unit import Unit

Effect = Callable[["Move"], dict[str, Any]]  # does its part and says what, for the audit event
Check = Callable[["Unit", "Application"], None]  # refuses with NotAllowed


class Route(NamedTuple):
    """Picks one row among rows sharing a trigger and source; `label` is shown in tables."""

    label: str
    test: Callable[[Context], bool]


class Transition(NamedTuple):
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[Role, ...]
    guards: tuple[Guard, ...]
    when: Route | None = None
    forward: bool = False
    effects: tuple[Effect, ...] = ()
    events: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    records: tuple[str, ...] = ()  # stage sections whose data is recorded only with this move
    decision: bool = False


def _deferred_from(stage: str) -> Route:
    return Route(f"deferred from {stage}", lambda ctx: ctx.previous_state == stage)


def _rework_to(stage: str) -> Route:
    """Rework returns to the latest elaboration stage that the programme uses."""
    preference = ("ecosystem_analysis", "innovation_table", "idea")
    later = preference[: preference.index(stage)]

    def test(ctx: Context) -> bool:
        return stage not in ctx.not_applicable and all(s in ctx.not_applicable for s in later)

    return Route(f"{stage} is the latest stage that applies", test)


PL, TABLE, CHAIR = Role.PROGRAMME_LEADER, Role.INNOVATION_TABLE_CHAIR, Role.COMMITTEE_CHAIR
STEER, APPLICANT = Role.STEERING_MEMBER, Role.APPLICANT
T = Transition

SCORING_ENDS = ending("scoring_deadline", met_by="submit_advice")
CONDITIONS_END = ending("condition_due", met_by="conditions_met")
GRANT, DECIDED_ONLY = grants.grant, grants.decided
PLAN, STOP, CLOSE = monitoring_plan.start, monitoring_plan.stop, monitoring_plan.close
UNPAID = unpaid.cancel_open
DECISION = "decision_made"

TRANSITIONS: tuple[Transition, ...] = (
    T("present_at_table", ("idea",), "innovation_table", (PL,), (idea.LEAVE,), forward=True,
      events=("moved_to_innovation_table",)),
    T("start_ecosystem_analysis", ("innovation_table",), "ecosystem_analysis", (PL, TABLE),
      (innovation_table.LEAVE,), forward=True),
    T("refer_to_committee", ("ecosystem_analysis",), "assessment_committee", (PL,),
      (ecosystem_analysis.LEAVE, proposal.LEAVE), forward=True, events=("referred_to_committee",)),
    T("open_scoring", ("assessment_committee",), "kracht_scoring", (PL, CHAIR),
      (assessment_committee.LEAVE,), forward=True,
      effects=(scoring_round.open_round, scoring_set), events=("scoring_opened",)),
    T("submit_advice", ("kracht_scoring",), "steering_decision", (CHAIR,),
      (kracht_scoring.LEAVE,), forward=True, events=("advice_ready",),
      checks=(checks.check_adviser,), records=("kracht_scoring",)),
    T("approve", ("steering_decision",), "monitoring", (STEER,), (steering_decision.APPROVE,),
      effects=(GRANT, PLAN), events=(DECISION,), records=("steering_decision",), decision=True),
    T("approve_with_conditions", ("steering_decision",), "approved_with_conditions", (STEER,),
      (steering_decision.APPROVE_WITH_CONDITIONS,), effects=(GRANT, conditions_set),
      events=(DECISION,), records=("steering_decision",), decision=True),
    T("reject", ("steering_decision",), "rejected", (STEER,), (steering_decision.REJECT,),
      effects=(DECIDED_ONLY, all_end), events=(DECISION,), records=("steering_decision",),
      decision=True),
    T("defer", REVIEW, "deferred", (STEER, PL), (deferred.DEFER,), effects=(DECIDED_ONLY,),
      events=(DECISION,), records=("deferred",), decision=True),
    T("resume", ("deferred",), "assessment_committee", (PL,), (),
      when=_deferred_from("assessment_committee")),
    T("resume", ("deferred",), "kracht_scoring", (PL,), (), when=_deferred_from("kracht_scoring")),
    T("resume", ("deferred",), "steering_decision", (PL,), (),
      when=_deferred_from("steering_decision")),
    T("return_for_rework", REVIEW, "ecosystem_analysis", (PL, CHAIR, STEER), (REASON_GIVEN,),
      when=_rework_to("ecosystem_analysis")),
    T("return_for_rework", REVIEW, "innovation_table", (PL, CHAIR, STEER), (REASON_GIVEN,),
      when=_rework_to("innovation_table")),
    T("return_for_rework", REVIEW, "idea", (PL, CHAIR, STEER), (REASON_GIVEN,),
      when=_rework_to("idea")),
    T("conditions_met", ("approved_with_conditions",), "monitoring", (PL, STEER),
      (approved_with_conditions.LEAVE,), forward=True, effects=(PLAN,)),
    T("withdraw", OPEN, "withdrawn", (PL, STEER, APPLICANT), (REASON_GIVEN,),
      effects=(STOP, UNPAID, all_end)),
    T("close", ("monitoring",), "closed", (PL,), (monitoring.LEAVE,), forward=True,
      effects=(CLOSE, all_end)),
)  # fmt: skip

# What leaving a state ends, whichever move leaves it (after the move's own effects).
ON_LEAVE: dict[str, tuple[Effect, ...]] = {
    "kracht_scoring": (SCORING_ENDS,),
    "approved_with_conditions": (CONDITIONS_END,),
}

TRIGGERS = tuple(dict.fromkeys(row.trigger for row in TRANSITIONS))
DECISIONS = tuple(dict.fromkeys(row.trigger for row in TRANSITIONS if row.decision))
RECORDED_WITH: dict[str, tuple[str, ...]] = {  # section -> the only triggers that record it
    section: tuple(dict.fromkeys(r.trigger for r in TRANSITIONS if section in r.records))
    for section in dict.fromkeys(s for r in TRANSITIONS for s in r.records)
}


def rows_for(trigger: str, state: str) -> list[Transition]:
    """The rows a trigger may take from a state, in declaration order."""
    return [row for row in TRANSITIONS if row.trigger == trigger and state in row.sources]


def fingerprint() -> str:
    """A digest of the road's shape, pinned per WORKFLOW_VERSION by tests/test_definition.py."""
    import hashlib
    import json

    shape = [
        [r.trigger, list(r.sources), r.dest, [str(x) for x in r.roles],
         [g.requires for g in r.guards], r.when.label if r.when else None, r.forward]
        for r in TRANSITIONS
    ]  # fmt: skip
    return hashlib.sha256(json.dumps([STATES, shape]).encode()).hexdigest()[:16]
