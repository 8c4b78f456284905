"""Monitoring: the approved project reports on a schedule until close-out.

Each progress report carries a traffic light (the three-level legend of the 2018 progress
report, domain.md 7.4), a narrative, spending so far and measured values of the SMART
indicators. Close-out needs a final report, every report that has fallen due, and a final value
for every indicator.
"""

from kracht.basics.roles import Role
from kracht.states.base import Context, Field, Guard, Need, recorded

STAGE = "monitoring"
RECORDERS = (Role.PROGRAMME_LEADER,)
REPORTERS = (Role.PROGRAMME_LEADER, Role.APPLICANT)  # submit reports and measured values
PLANNERS = (Role.PROGRAMME_LEADER,)  # replan a schedule
FIELDS = (Field("final_report", "text", "summary of the final report at close-out"),)

LIGHTS = {  # the 2018 legend, seed 002 L493-501
    "green": "developments are as expected; no extra attention needed",
    "orange": "developments deviate slightly; attention needed as the risk of deviation grows",
    "red": "developments deviate; measures are needed",
}
NEEDS_MEASURES = ("red",)
SHOWN = 5  # a refusal names this many overdue reports, then counts the rest


def _overdue(ctx: Context) -> str:
    named = "; ".join(ctx.reports_overdue[:SHOWN])
    more = len(ctx.reports_overdue) - SHOWN
    rest = f"; and {more} more" if more > 0 else ""
    return f"every progress report due so far (missing: {named}{rest})"


def _unmeasured(ctx: Context) -> str:
    names = "; ".join(ctx.indicators_unmeasured)
    return f"a final value for every indicator (none yet for: {names})"


LEAVE = Guard(
    STAGE,
    (
        recorded("final_report", "a final report"),
        Need(
            "every progress report due so far",
            lambda ctx: not ctx.reports_overdue,
            _overdue,
            key="reports_due",
        ),
        Need(
            "a final value for every indicator",
            lambda ctx: not ctx.indicators_unmeasured,
            _unmeasured,
            key="final_values",
        ),
    ),
)
