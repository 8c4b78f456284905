"""Innovation table (innovatietafel): the initiative is aligned within its action line."""

from kracht.basics.roles import Role
from kracht.states.base import Field, Guard, Need, recorded

STAGE = "innovation_table"
RECORDERS = (Role.PROGRAMME_LEADER, Role.INNOVATION_TABLE_CHAIR)
OUTCOMES = ("aligned", "aligned_with_remarks", "not_aligned")
FIELDS = (
    Field("table_date", "day", "date the initiative was presented at the table"),
    Field("table_outcome", "choice", "the table's outcome of alignment", OUTCOMES),
    Field("table_remarks", "text", "remarks of the table"),
)

LEAVE = Guard(
    STAGE,
    (
        recorded("table_date", "the innovation-table date"),
        recorded("table_outcome", "the innovation table's outcome"),
        Need(
            "an aligned table outcome (not not_aligned)",
            lambda ctx: ctx.data.get("table_outcome") != "not_aligned",
        ),
    ),
)
