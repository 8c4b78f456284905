"""Monitoring: the approved project reports on its SMART indicators until close-out."""

from states.base import Field, Guard, recorded
from workflow.roles import Role

STAGE = "monitoring"
RECORDERS = (Role.PROGRAMME_LEADER,)
FIELDS = (Field("final_report", "text", "summary of the final report at close-out"),)

LEAVE = Guard(STAGE, (recorded("final_report", "a final report"),))
