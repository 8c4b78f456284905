"""The due dates the road's moves set and end (the reminders live in notifications/)."""

from __future__ import annotations

from typing import Any

from kracht.notifications import deadlines, reminders
from kracht.workflow.effects import says
from kracht.workflow.move import Move


@says("remind every assigned member of the scoring deadline")
def scoring_set(move: Move) -> dict[str, Any]:
    """Scoring opened: every assigned, non-recused member is reminded of the deadline."""
    deadlines.scoring_deadlines(move.unit.db, move.app, move.unit.settings.reminders)
    return {}


@says("remind each condition's owner of its due date")
def conditions_set(move: Move) -> dict[str, Any]:
    """Approved with conditions: every condition's owner is reminded of its due date."""
    deadlines.condition_deadlines(move.unit.db, move.app, move.unit.settings.reminders)
    return {}


def ending(kind: str, met_by: str) -> Any:
    """Leaving the state whose deadlines are of `kind`: met when the move is `met_by`, else
    cancelled."""

    def end(move: Move) -> dict[str, Any]:
        status = "done" if move.trigger == met_by else "cancelled"
        reminders.close(move.unit.db, application_id=move.app.pk, kind=kind, status=status)
        return {}

    end.__name__ = end.__qualname__ = f"end_{kind}"
    end.__doc__ = f"Leaving: {kind} reminders end (done when {met_by} leaves, else cancelled)."
    end.says = f"end the {kind} reminders"  # type: ignore[attr-defined]
    return end


@says("cancel every open reminder")
def all_end(move: Move) -> dict[str, Any]:
    """A final state: every reminder of the application is cancelled."""
    reminders.close(move.unit.db, application_id=move.app.pk, status="cancelled")
    return {}
