"""Approved with conditions (onder voorwaarden toegezegd): money is reserved until every
condition is met (`kracht conditions meet`); then the project moves to monitoring."""

from states.base import Guard, Need
from workflow.roles import Role

STAGE = "approved_with_conditions"
RECORDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
FIELDS = ()

LEAVE = Guard(
    STAGE,
    (
        Need(
            "every condition met",
            lambda ctx: ctx.conditions_open == 0,
            lambda ctx: (
                f"every condition met ({ctx.conditions_open} still open; `kracht conditions list`)"
            ),
        ),
    ),
)
