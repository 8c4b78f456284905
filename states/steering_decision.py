"""Steering decision (sturingscommissie, later Twente Board): approve, conditions or reject."""

from states.base import Context, Field, Guard, Need, recorded
from states.common import REASON
from workflow.roles import Role

STAGE = "steering_decision"
RECORDERS = (Role.STEERING_MEMBER,)
RECORD_WITH = ("approve", "approve_with_conditions")
FIELDS = (
    Field("granted", "money", "amount granted in euros"),
    Field("conditions", "text", "conditions attached to the grant, one per line"),
)


def _granted_within_request(ctx: Context) -> bool:
    granted = ctx.data.get("granted")
    return granted is None or granted <= ctx.requested_cents


GRANT = (
    recorded("granted", "a granted amount (granted)"),
    Need("a granted amount no higher than the requested amount", _granted_within_request),
    REASON,
)

APPROVE = Guard(None, GRANT)
APPROVE_WITH_CONDITIONS = Guard(None, (*GRANT, recorded("conditions", "the conditions")))
REJECT = Guard(None, (REASON,))
