"""A move on the road, as the effects of its row see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict

if TYPE_CHECKING:
    from kracht.states.base import Context
    from kracht.storage.tables import Application, Programme
    from kracht.workflow.unit import Unit


@dataclass(frozen=True)
class Move:
    """One fired row: the unit it runs in, the application and its programme, what the guards
    saw (`ctx`, with the data given with the move), and where the move goes."""

    unit: Unit
    app: Application
    programme: Programme
    ctx: Context
    trigger: str
    source: str
    dest: str


Moved = TypedDict(  # functional form: "from" is a keyword
    "Moved",
    {
        "application_id": int,
        "trigger": str,  # the trigger fired (the first, when not-applicable stages followed)
        "from": str,
        "to": str,
        "version": int,
        "events": list[int],  # the audit sequence numbers written, one for each step
        "warnings": list[str],
        "effects": dict[str, Any],  # what the row's effects wrote, by effect (free-form)
    },
)
Moved.__doc__ = "What firing a trigger did: where the application went, and what it wrote."


class Audited(TypedDict):
    """A change to an application's record off the road: the version it bumped, the audit
    event (its sequence number) that holds it. Services extend it with what they changed."""

    application_id: int
    version: int
    event: int


class Recorded(Audited):
    """Stage data recorded without a move: the values as stored."""

    values: dict[str, Any]
