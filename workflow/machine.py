"""The one shared `transitions` machine, built from the declaration.

An application is attached only while it is being moved: `add_model` costs about 10 KB per model,
so the machine never holds every application.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from transitions import EventData, Machine, MachineError

from kracht.states.base import Context
from kracht.workflow.definition import INITIAL, STATES, TRANSITIONS, Transition


class Token:
    """What the machine sees of an application while it is attached."""

    state: str

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx


def _routes(row: Transition) -> Any:
    def condition(event: EventData) -> bool:
        return row.when is None or row.when.test(event.model.ctx)

    return condition


@cache
def shared() -> Machine:
    machine = Machine(
        model=None,
        states=list(STATES),
        initial=INITIAL,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
    for row in TRANSITIONS:
        machine.add_transition(row.trigger, list(row.sources), row.dest, conditions=[_routes(row)])
    return machine


def move(ctx: Context, trigger: str) -> str | None:
    """Fire `trigger` on the machine for an application in `ctx.state`; the new state, or None."""
    machine, token = shared(), Token(ctx)
    machine.add_model(token, initial=ctx.state)
    try:
        moved = token.trigger(trigger)  # type: ignore[attr-defined]
        return token.state if moved else None
    except MachineError:
        return None
    finally:
        machine.remove_model(token)
