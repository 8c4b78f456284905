"""KRACHT scoring: members score on their own, then the chair gives the committee's joint advice.

The advice is recorded only with the `submit_advice` trigger (`kracht advice`), once the quorum of
members without a conflict of interest has submitted their score sheets.
"""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, Need, recorded

STAGE = "kracht_scoring"
RECORDERS = (Role.COMMITTEE_CHAIR,)
ADVICE = ("positive", "positive_with_conditions", "negative")
FIELDS = (
    Field("advice", "choice", "the committee's joint advice to the steering committee", ADVICE),
    Field("advice_rationale", "text", "the rationale of the joint advice"),
)

LEAVE = Guard(
    STAGE,
    (
        Need(
            "submitted score sheets from the quorum of members",
            lambda ctx: ctx.quorum > 0 and ctx.sheets_submitted >= ctx.quorum,
            lambda ctx: (
                f"submitted score sheets from {ctx.quorum} members ({ctx.sheets_submitted} so far)"
            ),
        ),
        recorded("advice", "the committee's joint advice"),
        recorded("advice_rationale", "the rationale of the joint advice"),
    ),
)
