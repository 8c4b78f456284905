"""Assessment committee (beoordelingscommissie): members are assigned, declare interests."""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, Need, recorded

STAGE = "assessment_committee"
RECORDERS = (Role.PROGRAMME_LEADER, Role.COMMITTEE_CHAIR)
FIELDS = (Field("scoring_deadline", "date", "date by which every member must have scored"),)

LEAVE = Guard(
    STAGE,
    (
        recorded("scoring_deadline", "a scoring deadline"),
        Need(
            "a scoring deadline that has not passed",
            lambda ctx: str(ctx.data.get("scoring_deadline") or "9999") >= ctx.today,
        ),
        Need(
            "the minimum number of committee members without a conflict of interest",
            lambda ctx: ctx.committee_available >= ctx.minimum_members,
            lambda ctx: (
                f"{ctx.minimum_members} committee members without a conflict of "
                f"interest ({ctx.committee_available} assigned)"
            ),
            key="members_assigned",
        ),
    ),
)
