"""Assessment committee (beoordelingscommissie): members are assigned, declare interests.

A round assessed in the past is recorded afterwards by giving, with the move that opens
scoring, the day scoring really opened (`scoring_opened_on`): its deadline then may have passed,
as long as it is not before that day. A round opened today keeps a deadline that has not passed.
"""

from kracht.basics.roles import Role
from kracht.states.base import Context, Field, Guard, Need, recorded

STAGE = "assessment_committee"
RECORDERS = (Role.PROGRAMME_LEADER, Role.COMMITTEE_CHAIR)
FIELDS = (
    Field("scoring_deadline", "date", "date by which every member must have scored"),
    Field(
        "scoring_opened_on",
        "day",
        "date scoring opened, given with the opening of a past round (default: today)",
    ),
)


def opened_on(ctx: Context) -> str:
    """The day scoring opens: the one given with this very move, else today."""
    return str(ctx.data["scoring_opened_on"]) if ctx.gives("scoring_opened_on") else ctx.today


def _deadline_open(ctx: Context) -> bool:
    return str(ctx.data.get("scoring_deadline") or "9999") >= opened_on(ctx)


def _deadline_words(ctx: Context) -> str:
    deadline, opened = ctx.data.get("scoring_deadline"), opened_on(ctx)
    if ctx.gives("scoring_opened_on"):
        return (
            f"a scoring deadline that has not passed (scoring_deadline {deadline} lies before "
            f"the day scoring opened, {opened})"
        )
    return (
        f"a scoring deadline that has not passed ({deadline} has; a past round is recorded "
        "with the day scoring opened, scoring_opened_on)"
    )


LEAVE = Guard(
    STAGE,
    (
        recorded("scoring_deadline", "a scoring deadline"),
        Need("a scoring deadline that has not passed", _deadline_open, _deadline_words),
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
