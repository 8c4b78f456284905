"""Ecosystem analysis (ecosysteemanalyse): strength and potential of the ecosystem (2023 onward)."""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, recorded

STAGE = "ecosystem_analysis"
RECORDERS = (Role.PROGRAMME_LEADER,)
FIELDS = (
    Field("ecosystem_summary", "text", "summary of the ecosystem analysis"),
    Field("ecosystem_reference", "text", "reference to a shared analysis this one builds on"),
)

LEAVE = Guard(STAGE, (recorded("ecosystem_summary", "an ecosystem-analysis summary"),))
