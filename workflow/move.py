"""A move on the road, as the effects of its row see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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
