"""Assessment committee (beoordelingscommissie): the application is put to the committee."""

from states.base import Field, Guard, recorded
from workflow.roles import Role

STAGE = "assessment_committee"
RECORDERS = (Role.PROGRAMME_LEADER, Role.COMMITTEE_CHAIR)
FIELDS = (Field("scoring_deadline", "date", "date by which every member must have scored"),)

LEAVE = Guard(STAGE, (recorded("scoring_deadline", "a scoring deadline"),))
