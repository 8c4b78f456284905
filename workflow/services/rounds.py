"""A round's applications (`Application.round`, such as 2018-1), for committee work done on the
whole round at once: the edge runs each application's step in its own unit of work, audited as
usual, so one refusal stops none of the others."""

from __future__ import annotations

from collections.abc import Sequence

from kracht.basics.actors import require
from kracht.basics.errors import InvalidInput
from kracht.basics.roles import Role
from kracht.storage import repository
from kracht.workflow.unit import Unit, reads

RUNNERS = (Role.PROGRAMME_LEADER,)  # who does a round's committee work at once


@reads
def in_round(unit: Unit, round_label: str, states: Sequence[str]) -> list[int]:
    """The applications of round `round_label` in one of `states`, by id; a round with no
    application at all is refused by name."""
    require(unit.actor, RUNNERS, f"work on round {round_label} at once")
    rows = [r for r in repository.list_applications(unit.db) if r["round"] == round_label]
    if not rows:
        raise InvalidInput(f"no application is in round {round_label!r}")
    return [r["id"] for r in rows if r["state"] in states]
