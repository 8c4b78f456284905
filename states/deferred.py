"""Deferred (doorgeschoven): the application waits for a later date or round, then resumes."""

from states.base import Field, Guard, recorded
from states.common import REASON
from workflow.roles import Role

STAGE = "deferred"
RECORDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
RECORD_WITH = ("defer",)
FIELDS = (Field("deferred_until", "date", "date or round start the application is deferred to"),)

DEFER = Guard(None, (recorded("deferred_until", "a date to defer to (deferred_until)"), REASON))
