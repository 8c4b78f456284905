"""The one shared `transitions` machine, built from the declaration.

The machine is built once per process and never holds an application: a move hands a token
(the state and what the guards see) straight to the trigger's event, and `transitions` checks
the declared moves and conditions for it. Attaching the token with `add_model` would cost about
160 us and 10 KB a move for nothing the engine uses.
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
    event = shared().events.get(trigger)
    if event is None:
        return None
    token = Token(ctx)
    token.state = ctx.state
    try:
        return token.state if event.trigger(token) else None
    except MachineError:
        return None
