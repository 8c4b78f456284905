"""Deferred (doorgeschoven): the application waits for a later date or round, then resumes."""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, Need
from kracht.states.common import REASON

STAGE = "deferred"
RECORDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
FIELDS = (
    Field("deferred_on", "day", "date of the meeting that deferred it (default: today)"),
    Field("deferred_until", "date", "date the application is deferred to"),
    Field("deferred_to_round", "label", "round the application is deferred to, e.g. 2019-1"),
)

DEFER = Guard(
    None,
    (
        Need(
            "a date or round to defer to, given with this deferral "
            "(deferred_until or deferred_to_round, not both)",
            lambda ctx: ctx.gives("deferred_until") != ctx.gives("deferred_to_round"),
        ),
        REASON,
    ),
)
