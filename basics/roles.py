"""The roles a person can hold."""

from enum import StrEnum


class Role(StrEnum):
    PROGRAMME_LEADER = "programme_leader"
    INNOVATION_TABLE_CHAIR = "innovation_table_chair"
    COMMITTEE_MEMBER = "committee_member"
    COMMITTEE_CHAIR = "committee_chair"
    STEERING_MEMBER = "steering_member"
    AUDITOR = "auditor"
    APPLICANT = "applicant"


ALL_ROLES = tuple(Role)
