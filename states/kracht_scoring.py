"""KRACHT scoring: members score individually, then the committee gives one joint advice."""

from states.base import Field, Guard, recorded
from workflow.roles import Role

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
        recorded("advice", "the committee's joint advice"),
        recorded("advice_rationale", "the rationale of the joint advice"),
    ),
)
