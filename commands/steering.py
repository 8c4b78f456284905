"""`kracht decide`, `budget` and `conditions`: steering decisions and money."""

from __future__ import annotations

from pathlib import Path

import click

from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    INHABITANTS,
    YEAR,
    CountType,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)


@click.command()
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("outcome", metavar="OUTCOME")
@click.option("--reason", required=True, help="The reasons, quoted in the decision letter.")
@click.option(
    "--decided-on",
    metavar="DATE",
    help="The day the committee met (YYYY-MM-DD, not in the future) [default: today]: it dates "
    "the letter, gives the budget year and starts the report schedule.",
)
@click.option("--amount", help="Euros granted (approve, approve-with-conditions).")
@click.option(
    "--year",
    type=YEAR,
    help="Budget year charged, within the programme's period [default: the decision's year].",
)
@click.option(
    "--spread-until", type=YEAR, metavar="YEAR", help="Spread the grant evenly up to YEAR."
)
@click.option("--from-development", is_flag=True, help="Charge the development budget.")
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    type=(str, str, str),
    metavar="DUE OWNER TEXT",
    help="A condition: due date, owner's e-mail, text.",
)
@click.option("--departure-rationale", help="Why the decision departs from the advice.")
@click.option("--until", "deferred_until", help="Defer to this date (YYYY-MM-DD).")
@click.option("--to-round", "deferred_to_round", help="Defer to this round.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check everything and show what would be charged and left per year; write nothing.",
)
@pass_settings
def decide(
    s: Settings,
    application_id: int,
    outcome: str,
    reason: str,
    decided_on: str | None,
    amount: str | None,
    year: int | None,
    spread_until: int | None,
    from_development: bool,
    conditions: tuple[tuple[str, str, str], ...],
    departure_rationale: str | None,
    deferred_until: str | None,
    deferred_to_round: str | None,
    dry_run: bool,
) -> None:
    """The steering decision: approve, approve-with-conditions, reject or defer. The grant is
    charged to the line's budget in the same transaction, and the letter is written. With
    --dry-run every check runs and nothing is written."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import decisions

    result = (s.try_out if dry_run else s.run)(
        decisions.decide,
        application_id,
        outcome,
        reason=reason,
        amount=amount,
        year=year,
        spread_until=spread_until,
        development=from_development,
        conditions=list(conditions),
        departure_rationale=departure_rationale,
        deferred_until=deferred_until,
        deferred_to_round=deferred_to_round,
        decided_on=decided_on,
    )
    if dry_run:
        click.echo(
            f"dry run, nothing written: application {application_id} would go "
            f"{result['from']} -> {result['to']}"
        )
    for c in result["charged"]:
        click.echo(
            f"  {c['year']}: {format_euros(c['amount_cents'])} "
            f"{'would be ' if dry_run else ''}charged to {c['budget']}; "
            f"{format_euros(c['left_cents'])} of {format_euros(c['budget_cents'])} "
            f"{'would be ' if dry_run else ''}left"
        )
    for warning in result["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if not dry_run:
        click.echo(
            f"application {application_id}: {result['from']} -> {result['to']}; "
            f"letter: `kracht app letter {application_id}`"
        )


@click.group()
def budget() -> None:
    """Budgets per programme, line and year, and what is committed and reserved on them."""


@budget.command("set")
@click.option("--programme", required=True)
@click.option("--year", type=YEAR, required=True, help="A year within the programme's period.")
@click.option("--line", help="Line code; without it, the pool for every line without its own.")
@click.option("--kind", default="projects", show_default=True, help="projects or development.")
@click.option("--amount", help="Euros.")
@click.option("--inhabitants", type=INHABITANTS, help="Compute the amount from inhabitants ...")
@click.option("--per-inhabitant", help="... times this amount in euros.")
@click.option(
    "--from-municipalities",
    is_flag=True,
    help="Take the inhabitants from the municipalities' file (`kracht programme municipalities`).",
)
@click.option("--municipalities-file", type=FILE, help="That file, edited [default: kracht's].")
@pass_settings
def budget_set(
    s: Settings,
    programme: str,
    year: int,
    line: str | None,
    kind: str,
    amount: str | None,
    inhabitants: int | None,
    per_inhabitant: str | None,
    from_municipalities: bool,
    municipalities_file: Path | None,
) -> None:
    """Set a yearly budget (the development budget is capped at 12.5% of the project budget)."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import budgets

    result = s.run(
        budgets.set_budget,
        programme=programme,
        year=year,
        kind=kind,
        line=line,
        amount=amount,
        inhabitants=inhabitants,
        per_inhabitant=per_inhabitant,
        municipalities=municipalities_file or from_municipalities,
    )
    click.echo(
        f"{programme} {year} {kind} {line or '(all lines)'}: "
        f"{format_euros(result['amount_cents'])} ({result['basis']})"
    )


@budget.command("show")
@click.option("--programme", help="Only this programme (`kracht programme list`).")
@click.option("--year", type=YEAR, help="Only this year.")
@click.option("--line", help="Only the budgets this line is charged to, and its draws on a pool.")
@json_option
@pass_settings
def budget_show(
    s: Settings, programme: str | None, year: int | None, line: str | None, as_json: bool
) -> None:
    """Budget, committed, reserved, paid out and available per programme, line and year; under a
    pool, what each line draws from it; each programme's multiplier so far."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import budgets

    view = s.run(budgets.budget_overview, programme, year, line)
    if as_json:
        return emit_json(view)
    rows = []
    for r in view["budgets"]:
        rows.append({**r, **{k.removesuffix("_cents"): format_euros(r[k]) for k in _MONEY}})
        for d in r["lines"]:  # a line's draw on the pool: the money left is the pool's
            rows.append(
                {**r, "line": f"- {d['line']}", "budget": "from the pool",
                 "available": "(pool)",
                 **{k.removesuffix("_cents"): format_euros(d[k]) for k in _MONEY[1:4]}}
            )  # fmt: skip
    emit_table(
        rows,
        ["programme", "line", "year", "kind", "budget", "committed", "reserved", "paid_out",
         "available"],
    )  # fmt: skip
    for m in view["multipliers"]:
        figure = m["multiplier"] if m["multiplier"] is not None else "-"
        click.echo(
            f"{m['programme']}: partner money per euro granted {figure} "
            f"({format_euros(m['partner_money_cents'])} from partners, "
            f"{format_euros(m['public_cents'])} of it public, on "
            f"{format_euros(m['granted_cents'])} of committed grants)"
        )
        regional = m["regional_multiplier"] if m["regional_multiplier"] is not None else "-"
        click.echo(
            f"  on regional public money {regional} "
            f"({format_euros(m['leveraged_cents'])} leveraged on "
            f"{format_euros(m['regional_public_cents'])} of grants and municipal money)"
        )
        click.echo(
            "  partner money by source: "
            + ", ".join(f"{k} {format_euros(v)}" for k, v in m["by_source"].items() if v)
            if m["partner_money_cents"]
            else "  partner money by source: none yet"
        )
        if m["unknown_cents"]:
            click.echo(
                f"  {format_euros(m['unknown_cents'])} of unknown source counts in neither "
                "figure: record the partner's source"
            )
        if m["reserved_cents"]:
            later = m["reserved_regional_multiplier"]
            click.echo(
                f"  not counted until their conditions are met: "
                f"{format_euros(m['reserved_cents'])} reserved for conditional grants, with "
                f"{format_euros(m['reserved_partner_money_cents'])} of partner money"
                + (f" ({later} on regional public money)" if later is not None else "")
            )
    click.echo(f"target: {view['multiplier_target_basis']}")


_MONEY = ("budget_cents", "committed_cents", "reserved_cents", "paid_out_cents", "available_cents")


@click.group()
def conditions() -> None:
    """Conditions of conditional grants: due dates, owners, and which are met or overdue."""


@conditions.command("list")
@click.option("--application", "application_id", type=APPLICATION_ID)
@click.option("--overdue", is_flag=True, help="Only conditions past their due date.")
@json_option
@pass_settings
def conditions_list(s: Settings, application_id: int | None, overdue: bool, as_json: bool) -> None:
    """List conditions with their status: open, met or overdue."""
    from kracht.workflow.services import approval_conditions

    rows = s.run(approval_conditions.list_conditions, application_id, overdue)
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["application_id", "number", "status", "due_on", "met_on", "owner", "text"])


@conditions.command("meet")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("number", type=CountType("condition number", 1, 10_000))
@click.option("--evidence", required=True, help="How the condition was met.")
@click.option(
    "--met-on",
    metavar="DATE",
    help="The day it was met (YYYY-MM-DD, not in the future, nor before the decision) "
    "[default: today].",
)
@pass_settings
def conditions_meet(
    s: Settings, application_id: int, number: int, evidence: str, met_on: str | None
) -> None:
    """Record that a condition is met; when none is open, `kracht app advance` moves on (the
    reports are then planned from the day the last condition was met)."""
    from kracht.workflow.services import approval_conditions

    result = s.run(approval_conditions.meet_condition, application_id, number, evidence, met_on)
    click.echo(
        f"condition {number} of application {application_id} met on {result['met_on']}; "
        f"{result['still_open']} still open"
    )
