"""Approved with conditions (onder voorwaarden toegezegd): money is reserved until they are met."""

from states.base import Field, Guard, recorded
from workflow.roles import Role

STAGE = "approved_with_conditions"
RECORDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
FIELDS = (Field("conditions_evidence", "text", "how and when the conditions were met"),)

LEAVE = Guard(STAGE, (recorded("conditions_evidence", "evidence that the conditions are met"),))
