"""Idea (projectidee): the initiative is explored and given a quick scan."""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, Need, recorded

STAGE = "idea"
RECORDERS = (Role.PROGRAMME_LEADER, Role.APPLICANT)
FIELDS = (
    Field("quickscan", "text", "quick scan of the idea: need, partners, fit (kansenscan)"),
    Field("entrepreneur_test", "text", "outcome of testing the idea with entrepreneurs"),
)

LEAVE = Guard(
    STAGE,
    (
        recorded("quickscan", "a quickscan of the idea"),
        Need("an action line or programme line", lambda ctx: ctx.line is not None),
    ),
)
