"""Payments on the road: a withdrawn project's open payments (requested or approved, not paid)
are cancelled in the withdrawal's own transaction; what was paid stays paid out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kracht.storage import payment_rows as store
from kracht.storage import repository
from kracht.workflow.effects import says
from kracht.workflow.move import Move

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.storage.tables import Payment

WITHDRAWN = "the project was withdrawn"


@says("cancel the payments not yet paid")
def cancel_open(move: Move) -> dict[str, Any]:
    """Withdrawn: payments requested or approved are cancelled (their reminders end)."""
    db = move.unit.db
    cancelled = []
    for payment in store.of_application(db, move.app.pk, store.OPEN):
        end(db, payment, "cancelled", move.unit.actor.email, WITHDRAWN)
        cancelled.append(payment.pk)
    repository.flush(db)
    return {"payments_cancelled": cancelled} if cancelled else {}


def end(db: Session, payment: Payment, status: str, by: str, reason: str) -> Payment:
    """End an open payment (cancelled or refused): it no longer holds its part of the grant,
    and its reminders end."""
    from kracht.notifications import reminders

    payment.status, payment.ended_by, payment.reason = status, by, reason
    reminders.close(
        db,
        application_id=payment.application_id,
        subject_ref=f"payment:{payment.id}",
        status="cancelled",
    )
    return payment
