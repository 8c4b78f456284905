"""Approved with conditions (onder voorwaarden toegezegd): money is reserved until every
condition is met (`kracht conditions meet`); then the project moves to monitoring."""

from kracht.basics.roles import Role
from kracht.states.base import Guard, Need

STAGE = "approved_with_conditions"
RECORDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
FIELDS = ()

LEAVE = Guard(
    STAGE,
    (
        Need(
            "every condition met",
            lambda ctx: ctx.conditions_open == 0,
            lambda ctx: f"every condition met ({ctx.conditions_open} still open)",
            key="conditions_met",
        ),
    ),
)
