"""Payments: a grant paid in parts, an advance, tranches and a final settlement.

A programme leader requests a payment against one budget year of a grant; a programme leader
approves it, and above the programme's `money.second_approval_above` a second, different person
(a programme leader or a steering member) approves it too; then it is marked paid on the day it
was paid. Requested, approved and paid payments together never exceed the grant, nor its part
charged to the year they are paid from. Each step is one audited transaction on the
application's row (its version is bumped, so two writers of the same grant queue).

Which payments a state allows (decided here; the documents are silent): an advance once the
steering committee granted the money, also while its conditions are open (the grant is reserved
for it); tranches once the project is in monitoring (its conditions met); the final settlement
only after close-out. A payment planned for a later day is chased by a reminder for the
programme leaders until it is paid or cancelled. A withdrawn project's open payments are
cancelled with the withdrawal (workflow/effects/unpaid.py); what was paid stays paid out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor, require
from kracht.basics.errors import ConcurrentChange, Field, InvalidInput, NotAllowed, NotFound
from kracht.basics.euros import format_euros, parse_euros
from kracht.basics.roles import Role
from kracht.storage import audit, repository
from kracht.storage import funds as fund_store
from kracht.storage import payment_rows as store
from kracht.storage.tables import Application, Payment
from kracht.workflow.effects.unpaid import end
from kracht.workflow.services import filters
from kracht.workflow.unit import Unit, attempting, reads

if TYPE_CHECKING:
    from sqlmodel import Session

KINDS = ("advance", "tranche", "final")
PAYABLE: dict[str, tuple[str, ...]] = {  # kind -> the states of the application that allow it
    "advance": ("approved_with_conditions", "monitoring"),
    "tranche": ("monitoring",),
    "final": ("closed",),
}
WHY_NOT = {
    "advance": "an advance is paid once the steering committee granted the money",
    "tranche": "a tranche is paid once the project is in monitoring, its conditions met",
    "final": "the final settlement is paid after close-out",
}
PAYERS = (Role.PROGRAMME_LEADER,)
SECOND = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)
AMOUNT = Field("the amount", "payment_amount")
PAID_ON = Field("paid on", "paid_on")
PLANNED_ON = Field("planned on", "planned_on")
REASON = Field("a reason", "reason")
REFERENCE = Field("reference", "reference")


class PaymentRow(TypedDict):
    """A payment as listed: its grant, amount, budget year, status and what it waits for."""

    id: int
    application_id: int
    title: str
    programme: str
    number: int
    kind: str
    amount_cents: int
    year: int
    planned_on: str | None
    status: str
    waits_for: Literal["first approval", "second approval", "payment"] | None
    requested_by: str
    approved_by: str | None
    second_by: str | None
    paid_on: str | None
    reference: str | None
    reason: str | None


class PaymentDone(TypedDict):
    """A payment step taken: the payment as it is now, and the audit event holding the step."""

    application_id: int
    version: int
    event: int
    payment: PaymentRow


# -- the steps ----------------------------------------------------------------------------------


def request(
    unit: Unit,
    application_id: int,
    amount: object,
    *,
    kind: str,
    year: int | None = None,
    planned_on: str | None = None,
    reference: str | None = None,
) -> PaymentDone:
    """Request a payment of `amount` euros on the grant of an application, from budget year
    `year` (default: the grant's earliest year with room for it), planned for `planned_on`.
    Refused (NotAllowed, audited) beyond what remains of the grant or of that year's part."""
    if kind not in KINDS:
        raise InvalidInput(
            f"payment kind {str(kind)[:20]!r} is not one of " + ", ".join(KINDS), field="kind"
        )
    cents = parse_euros(amount, AMOUNT)
    if cents <= 0:
        raise InvalidInput("the amount must be above zero", field="payment_amount",
                           label="the amount")  # fmt: skip
    if year is not None and not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a budget year", field="year")
    planned = inputs.parse_date(planned_on, PLANNED_ON)
    note = inputs.text(reference, REFERENCE, inputs.REASON, required=False) if reference else None

    def change(db: Session, actor: Actor, app: Application) -> Payment:
        require(actor, PAYERS, f"request a payment on application {app.id}")
        if app.state not in PAYABLE[kind]:
            raise NotAllowed(f"application {app.id} is {app.state}; {WHY_NOT[kind]}")
        paid_from = _year_with_room(db, app, cents, year)
        payment = store.add(
            db,
            Payment(
                application_id=app.pk,
                number=store.next_number(db, app.pk),
                kind=kind,
                amount_cents=cents,
                year=paid_from,
                planned_on=planned,
                requested_by=actor.email,
                requested_at=unit.clock.now(),
                reference=note.strip() if note else None,
            ),
        )
        if planned is not None and planned >= unit.clock.today():
            _remind(unit, app, payment)
        return payment

    return _step(unit, "payment.request", application_id, None, change)


def approve(unit: Unit, payment_id: int) -> PaymentDone:
    """Approve a requested payment: the first approval by a programme leader; above the
    programme's `money.second_approval_above`, a second one by another programme leader or
    steering member. The payment is approved once it has every approval it needs."""

    def change(db: Session, actor: Actor, app: Application, payment: Payment) -> Payment:
        _must_be(payment, ("requested",), "approved")
        now = unit.clock.now()
        if payment.approved_by is None:
            require(actor, PAYERS, f"approve payment {payment.id}")
            payment.approved_by, payment.approved_at = actor.email, now
            if payment.amount_cents <= second_approval_above(db, app):
                payment.status = "approved"
            return payment
        require(actor, SECOND, f"give the second approval of payment {payment.id}")
        if actor.email == payment.approved_by:
            raise NotAllowed(
                f"payment {payment.id} of {format_euros(payment.amount_cents)} needs a second "
                f"approval by another person than {payment.approved_by}, who approved it first"
            )
        payment.second_by, payment.second_at, payment.status = actor.email, now, "approved"
        return payment

    return _step(unit, "payment.approve", None, payment_id, change)


def mark_paid(unit: Unit, payment_id: int, paid_on: str | None = None) -> PaymentDone:
    """Record that an approved payment was paid on `paid_on` (default: today; never later,
    nor before the decision that granted the money)."""
    today = unit.clock.today()
    day = inputs.parse_date(paid_on, PAID_ON) or today
    if day > today:
        raise InvalidInput(
            f"paid on: {day.isoformat()} lies in the future (today is {today.isoformat()}); "
            "give the day the payment was paid",
            field="paid_on",
            label="paid on",
        )

    def change(db: Session, actor: Actor, app: Application, payment: Payment) -> Payment:
        from kracht.notifications import reminders

        require(actor, PAYERS, f"mark payment {payment.id} paid")
        _must_be(payment, ("approved",), "paid")
        granted = _granted_on(db, app)
        if granted is not None and day < granted:
            raise InvalidInput(
                f"paid on: {day.isoformat()} lies before the decision that granted the money, "
                f"on {granted.isoformat()}",
                field="paid_on",
                label="paid on",
            )
        payment.status, payment.paid_on = "paid", day
        reminders.close(db, application_id=app.pk, subject_ref=f"payment:{payment.id}")
        return payment

    return _step(unit, "payment.paid", None, payment_id, change)


def cancel(unit: Unit, payment_id: int, reason: str) -> PaymentDone:
    """Cancel a payment not paid yet (requested or approved), with the reason."""
    why = _reason(reason)

    def change(db: Session, actor: Actor, app: Application, payment: Payment) -> Payment:
        require(actor, PAYERS, f"cancel payment {payment.id}")
        _must_be(payment, store.OPEN, "cancelled")
        return end(db, payment, "cancelled", actor.email, why)

    return _step(unit, "payment.cancel", None, payment_id, change)


def refuse(unit: Unit, payment_id: int, reason: str) -> PaymentDone:
    """Refuse a requested payment instead of approving it, with the reason."""
    why = _reason(reason)

    def change(db: Session, actor: Actor, app: Application, payment: Payment) -> Payment:
        require(actor, SECOND, f"refuse payment {payment.id}")
        _must_be(payment, ("requested",), "refused")
        return end(db, payment, "refused", actor.email, why)

    return _step(unit, "payment.refuse", None, payment_id, change)


# -- reading ------------------------------------------------------------------------------------


@reads
def list_payments(
    unit: Unit, application_id: int | None = None, status: str | None = None
) -> list[PaymentRow]:
    """Payments by application and number, of one application or status where given; an
    applicant sees their own organisation's only."""
    if status is not None and status not in store.STATUSES:
        raise InvalidInput(
            f"payment status {status[:20]!r} is not one of " + ", ".join(store.STATUSES),
            field="status",
        )
    db, actor = unit.db, unit.actor
    filters.application(db, actor, application_id)
    own = None if actor.sees_everything() else (actor.organisation_id or -1)
    return [
        _row(p, title, code) for p, title, code in store.listing(db, application_id, status, own)
    ]


class GrantPaid(TypedDict):
    """A grant's parts per budget year with what is paid, held by open payments, and left."""

    year: int
    granted_cents: int
    paid_cents: int
    open_cents: int
    left_cents: int


@reads
def grant_paid(unit: Unit, application_id: int) -> list[GrantPaid]:
    """Per budget year of the application's grant: granted, paid, open (requested or approved)
    and what may still be requested."""
    from kracht.workflow.services.policy import visible_application

    db = unit.db
    visible_application(db, unit.actor, application_id)
    return _per_year(db, application_id)


def _per_year(db: Session, application_id: int) -> list[GrantPaid]:
    granted = {g.year: g.amount_cents for g, _ in fund_store.allocations(db, application_id)}
    paid = store.paid_by_application(db).get(application_id, {})
    held = store.held_by_year(db, application_id)
    return [
        {
            "year": year,
            "granted_cents": cents,
            "paid_cents": paid.get(year, 0),
            "open_cents": held.get(year, 0) - paid.get(year, 0),
            "left_cents": cents - held.get(year, 0),
        }
        for year, cents in sorted(granted.items())
    ]


def second_approval_above(db: Session, app: Application) -> int:
    """The cents above which a payment of the application's programme needs a second approval."""
    from kracht.storage import assessments as committee_store
    from kracht.workflow import config as configuration

    programme = repository.programme(db, app.programme_id)
    config = committee_store.newest_config(db, app.programme_id)
    where = f"the configuration of {programme.code if programme else app.programme_id}"
    return configuration.second_approval_above(config.document if config else {}, where)


# -- the parts ----------------------------------------------------------------------------------

Change = Callable[..., Payment]


def _step(
    unit: Unit, action: str, application_id: int | None, payment_id: int | None, change: Change
) -> PaymentDone:
    """One payment step in the unit's transaction: the application's row locked and its version
    bumped, `change` made, the payment as it is now audited under `action`."""
    with attempting(action, application_id):
        db, actor = unit.db, unit.actor
        payment = None
        if payment_id is not None:
            payment = store.payment(db, payment_id)
            if payment is None:
                raise NotFound("payment", payment_id)
            application_id = payment.application_id
        assert application_id is not None
        with attempting(action, application_id):
            app = repository.application(db, application_id, lock=True)
            if app is None:
                raise NotFound("application", application_id)
            if payment is not None:
                payment = store.payment(db, payment.pk)  # afresh, under the application's lock
                assert payment is not None
            if not repository.save_application(db, app, app.version):
                raise ConcurrentChange(app.pk)
            done = change(db, actor, app) if payment is None else change(db, actor, app, payment)
            repository.flush(db)
            title, code = app.title, _programme_code(db, app)
            row = _row(done, title, code)
            event = audit.append(db, actor=actor.email, roles=actor.roles_text, action=action,
                                 application_id=app.id, payload=dict(row))  # fmt: skip
            return {"application_id": app.pk, "version": app.version, "event": event.seq,
                    "payment": row}  # fmt: skip


def _programme_code(db: Session, app: Application) -> str:
    programme = repository.programme(db, app.programme_id)
    return programme.code if programme else ""


def _year_with_room(db: Session, app: Application, cents: int, year: int | None) -> int:
    """The budget year the payment is paid from: `year`, or the grant's earliest with room.
    NotAllowed beyond what remains of the grant or of the year's part."""
    years = _per_year(db, app.pk)
    if not years:
        raise NotAllowed(f"application {app.id} has no grant to pay from")
    left = sum(y["left_cents"] for y in years)
    granted = sum(y["granted_cents"] for y in years)
    if cents > left:
        raise NotAllowed(
            f"{format_euros(cents)} is beyond what remains of the grant of application {app.id}: "
            f"of its {format_euros(granted)}, {format_euros(granted - left)} is requested or "
            f"paid already, so at most {format_euros(left)} may still be requested"
        )
    if year is None:
        fits = [y["year"] for y in years if y["left_cents"] >= cents]
        if fits:
            return fits[0]
        raise NotAllowed(
            f"no budget year of the grant of application {app.id} holds {format_euros(cents)}: "
            + _left_text(years)
            + "; split the payment over the years"
        )
    found = next((y for y in years if y["year"] == year), None)
    if found is None:
        known = ", ".join(str(y["year"]) for y in years)
        raise InvalidInput(
            f"the grant of application {app.id} has no part in budget year {year}; "
            f"its years are {known}",
            field="year",
        )
    if cents > found["left_cents"]:
        raise NotAllowed(
            f"{format_euros(cents)} is beyond the grant's part for {year}: of its "
            f"{format_euros(found['granted_cents'])} for that year, at most "
            f"{format_euros(found['left_cents'])} may still be requested ({_left_text(years)})"
        )
    return year


def _left_text(years: list[GrantPaid]) -> str:
    return "left per year " + ", ".join(
        f"{y['year']} {format_euros(y['left_cents'])}" for y in years
    )


def _must_be(payment: Payment, statuses: tuple[str, ...], becoming: str) -> None:
    if payment.status not in statuses:
        raise NotAllowed(
            f"payment {payment.id} is {payment.status}; only a payment "
            + " or ".join(statuses)
            + f" can be {becoming}"
        )


def _reason(reason: str | None) -> str:
    if not (reason or "").strip():
        raise InvalidInput("give a reason", field="reason", label="a reason")
    return inputs.text(reason, REASON, inputs.REASON).strip()


def _granted_on(db: Session, app: Application) -> dt.date | None:
    """The day of the decision that granted the money (the application's latest approval)."""
    from kracht.workflow.services.decisions import decisions_made

    made = [d for d in decisions_made(db, app) if str(d["outcome"]).startswith("approve")]
    return dt.date.fromisoformat(made[-1]["decided_on"]) if made else None


def _remind(unit: Unit, app: Application, payment: Payment) -> None:
    """Chase a planned payment: every programme leader is reminded of it before its day."""
    from kracht.notifications import reminders
    from kracht.notifications.outbox import recipients

    facts: dict[str, Any] = {
        "payment": payment.number,
        "payment_kind": payment.kind,
        "amount": format_euros(payment.amount_cents),
        "amount_cents": payment.amount_cents,
    }
    for person in recipients(unit.db, "programme_leader", app):
        reminders.schedule(
            unit.db,
            kind="payment_due",
            key=f"payment_due:{payment.id}:{person.email}",
            application_id=app.id,
            recipient=person.email,
            subject_ref=f"payment:{payment.id}",
            due=payment.planned_on or unit.clock.today(),
            facts=facts,
            rules=unit.settings.reminders,
            now=unit.clock.now(),
        )


def _row(payment: Payment, title: str, programme: str) -> PaymentRow:
    waits: Literal["first approval", "second approval", "payment"] | None = None
    if payment.status == "requested":
        waits = "second approval" if payment.approved_by else "first approval"
    elif payment.status == "approved":
        waits = "payment"
    return {
        "id": payment.pk,
        "application_id": payment.application_id,
        "title": title,
        "programme": programme,
        "number": payment.number,
        "kind": payment.kind,
        "amount_cents": payment.amount_cents,
        "year": payment.year,
        "planned_on": payment.planned_on.isoformat() if payment.planned_on else None,
        "status": payment.status,
        "waits_for": waits,
        "requested_by": payment.requested_by,
        "approved_by": payment.approved_by,
        "second_by": payment.second_by,
        "paid_on": payment.paid_on.isoformat() if payment.paid_on else None,
        "reference": payment.reference,
        "reason": payment.reason,
    }
