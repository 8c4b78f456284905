"""`kracht payment`: a grant paid in parts (request, approve, paid, cancel, refuse, list)."""

from __future__ import annotations

from typing import Any

import click

from kracht.commands.options import (
    APPLICATION_ID,
    YEAR,
    IdType,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)

PAYMENT_ID = IdType("payment")


@click.group()
def payment() -> None:
    """Payments of grants: an advance, tranches and the final settlement, each requested,
    approved (twice above the programme's amount), then paid; never beyond the grant."""


def _said(result: dict[str, Any], done: str) -> str:
    from kracht.basics.euros import format_euros

    p = result["payment"]
    waits = f"; waits for {p['waits_for']}" if p["waits_for"] else ""
    return (
        f"payment {p['id']} ({p['kind']} {p['number']} of application {p['application_id']}, "
        f"{format_euros(p['amount_cents'])} from {p['year']}) {done}{waits}"
    )


@payment.command("request")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("amount")
@click.option(
    "--kind",
    required=True,
    help="advance (once granted), tranche (in monitoring) or final (after close-out).",
)
@click.option(
    "--year",
    type=YEAR,
    help="The budget year of the grant it is paid from [default: the earliest with room].",
)
@click.option("--planned", metavar="DATE", help="The day it is planned for (YYYY-MM-DD).")
@click.option("--reference", metavar="TEXT", help="What it pays for (a milestone, a report).")
@pass_settings
def payment_request(
    s: Settings,
    application_id: int,
    amount: str,
    kind: str,
    year: int | None,
    planned: str | None,
    reference: str | None,
) -> None:
    """Request a payment of AMOUNT euros on the grant of an application."""
    from kracht.workflow.services import payments

    result = s.run(
        payments.request,
        application_id,
        amount,
        kind=kind,
        year=year,
        planned_on=planned,
        reference=reference,
    )
    click.echo(_said(result, "requested"))


@payment.command("approve")
@click.argument("payment_id", type=PAYMENT_ID)
@pass_settings
def payment_approve(s: Settings, payment_id: int) -> None:
    """Approve a requested payment (a second person approves it above the programme's amount)."""
    from kracht.workflow.services import payments

    click.echo(_said(s.run(payments.approve, payment_id), "approved"))


@payment.command("paid")
@click.argument("payment_id", type=PAYMENT_ID)
@click.option(
    "--on",
    "paid_on",
    metavar="DATE",
    required=True,
    help="The day it was paid (YYYY-MM-DD, not in the future, nor before the decision).",
)
@pass_settings
def payment_paid(s: Settings, payment_id: int, paid_on: str) -> None:
    """Record that an approved payment was paid."""
    from kracht.workflow.services import payments

    result = s.run(payments.mark_paid, payment_id, paid_on)
    click.echo(_said(result, f"paid on {result['payment']['paid_on']}"))


@payment.command("cancel")
@click.argument("payment_id", type=PAYMENT_ID)
@click.option("--reason", required=True, help="Why it is cancelled.")
@pass_settings
def payment_cancel(s: Settings, payment_id: int, reason: str) -> None:
    """Cancel a payment not paid yet."""
    from kracht.workflow.services import payments

    click.echo(_said(s.run(payments.cancel, payment_id, reason), "cancelled"))


@payment.command("refuse")
@click.argument("payment_id", type=PAYMENT_ID)
@click.option("--reason", required=True, help="Why it is refused.")
@pass_settings
def payment_refuse(s: Settings, payment_id: int, reason: str) -> None:
    """Refuse a requested payment instead of approving it."""
    from kracht.workflow.services import payments

    click.echo(_said(s.run(payments.refuse, payment_id, reason), "refused"))


@payment.command("list")
@click.option("--application", "application_id", type=APPLICATION_ID)
@click.option("--status", help="requested, approved, paid, cancelled or refused.")
@json_option
@pass_settings
def payment_list(
    s: Settings, application_id: int | None, status: str | None, as_json: bool
) -> None:
    """Payments by application and number, with what each waits for; of one application, also
    its grant per budget year: granted, paid, open and what may still be requested."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import payments

    rows = s.run(payments.list_payments, application_id, status)
    years = s.run(payments.grant_paid, application_id) if application_id is not None else []
    if as_json:
        return emit_json({"payments": rows, "grant": years} if application_id else rows)
    shown = [{**r, "amount": format_euros(r["amount_cents"])} for r in rows]
    emit_table(
        shown,
        ["id", "application_id", "number", "kind", "amount", "year", "planned_on", "status",
         "waits_for", "paid_on"],
    )  # fmt: skip
    for y in years:
        click.echo(
            f"{y['year']}: granted {format_euros(y['granted_cents'])}, paid "
            f"{format_euros(y['paid_cents'])}, open {format_euros(y['open_cents'])}, "
            f"left to request {format_euros(y['left_cents'])}"
        )
