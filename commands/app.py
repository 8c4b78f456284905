"""`kracht app ...`: create and inspect applications, record stage data, move them on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kracht.basics.errors import InvalidInput, KrachtError
from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    HOURS,
    VERSION,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pairs,
    pass_settings,
)

if TYPE_CHECKING:
    from kracht.workflow.services.trail import ShownEvent


@click.group()
def app() -> None:
    """Applications: create, inspect, record stage data, and move them along the road."""


@app.command("create")
@click.option("--title", required=True)
@click.option("--programme", required=True, help="Programme code.")
@click.option("--applicant", required=True, help="Applicant organisation.")
@click.option("--requested", default="0", show_default=True, help="Requested amount in euros.")
@click.option("--line", help="Action line or programme line code.")
@click.option("--description", default="")
@click.option("--round", "round_", help="Round, e.g. 2018-1.")
@click.option("--submitted-on", help="Date submitted, YYYY-MM-DD.")
@pass_settings
def app_create(
    s: Settings,
    title: str,
    programme: str,
    applicant: str,
    requested: str,
    line: str | None,
    description: str,
    round_: str | None,
    submitted_on: str | None,
) -> None:
    """Create an application; it starts as an idea."""
    from kracht.workflow.services import applications

    record = s.run(
        applications.create,
        title=title,
        programme=programme,
        applicant=applicant,
        requested=requested,
        line=line,
        description=description,
        round=round_,
        submitted_on=submitted_on,
    )
    click.echo(f"created application {record['id']}: {record['title']} ({record['state']})")


AT = click.option(
    "--at",
    metavar="DATE|DATETIME",
    help="As the audit trail says it stood then (a date: at the end of that day); auditors and "
    "the programme leader.",
)


@app.command("list")
@click.option("--state", help="Only applications in this state.")
@click.option("--programme", help="Only applications of this programme.")
@AT
@json_option
@pass_settings
def app_list(
    s: Settings, state: str | None, programme: str | None, at: str | None, as_json: bool
) -> None:
    """List applications and where each stands (or stood, with --at)."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import applications

    if at is not None:
        return _list_at(s, at, state, programme, as_json)
    rows = s.run(applications.list_all, state=state, programme=programme)
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["requested"] = format_euros(row["requested_cents"])
    emit_table(rows, ["id", "title", "state", "programme", "line", "applicant", "requested"])


def _list_at(s: Settings, at: str, state: str | None, programme: str | None, as_json: bool) -> None:
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import time_travel

    rows = s.run(time_travel.list_at, time_travel.moment(at), programme)
    rows = [r for r in rows if state is None or r["state"] == state]
    if as_json:
        return emit_json(rows)
    table = [{**r, "requested": format_euros(r["requested_cents"])} for r in rows]
    emit_table(table, ["id", "title", "state", "requested", "events", "last_event_at"])


@app.command("show")
@click.argument("application_id", type=APPLICATION_ID)
@AT
@json_option
@pass_settings
def app_show(s: Settings, application_id: int, at: str | None, as_json: bool) -> None:
    """Show an application: its record, stage data, partners, indicators and next steps; with
    --at, as the audit trail says it stood then."""
    from kracht.workflow.services import applications

    if at is not None:
        return _show_at(s, application_id, at, as_json)
    record = s.run(applications.show, application_id)
    if as_json:
        return emit_json(record)
    from kracht.commands.display import show_application

    click.echo(show_application(record))


def _show_at(s: Settings, application_id: int, at: str, as_json: bool) -> None:
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import time_travel

    past = s.run(time_travel.show_at, application_id, time_travel.moment(at))
    if as_json:
        return emit_json(past)
    lines = [
        f"application {past['id']}: {past['title']}, as the trail says it stood at "
        f"{past['as_of']} ({past['events']} events, the last at {past['last_event_at']})",
        f"  state      {past['state']}",
        f"  requested  {format_euros(past['requested_cents'])}",
    ]
    lines += [
        f"  granted    {format_euros(g['amount_cents'])} in {g['year']}" for g in past["granted"]
    ]
    lines += [
        f"  condition  {c['number']}: {c['text']} (due {c['due_on']}; "
        f"{'met' if c['met'] else 'open'})"
        for c in past["conditions"]
    ]
    lines += [
        f"  report     {r['label']}: {r['traffic_light'] or '-'}, spent "
        f"{format_euros(r['spent_cents']) if r['spent_cents'] is not None else '-'}"
        for r in past["reports"]
    ]
    lines += [f"  {name:<24} {value}" for name, value in sorted(past["values"].items())]
    click.echo("\n".join(lines))


@app.command("history")
@click.argument("application_id", type=APPLICATION_ID)
@click.option(
    "--with-refusals", is_flag=True, help="Also the attempts kracht refused, marked as such."
)
@json_option
@pass_settings
def app_history(s: Settings, application_id: int, with_refusals: bool, as_json: bool) -> None:
    """The application's timeline from the audit trail: what was done (refused attempts left
    out unless asked for; --json gives every event, its `outcome` saying which)."""
    from kracht.workflow.services import applications

    events = s.run(applications.history, application_id)
    if as_json:
        return emit_json(events)
    refused = [e for e in events if e["outcome"] == "refused"]
    shown = events if with_refusals else [e for e in events if e["outcome"] != "refused"]
    rows = [_timeline_row(e) for e in shown]
    real = ["happened"] if any(row["happened"] for row in rows) else []  # beside `at`, entered
    emit_table(rows, ["seq", "at", *real, "actor", "what", "move", "outcome", "reason"])
    if refused and not with_refusals:
        click.echo(
            f"{len(refused)} refused attempt(s) left out; --with-refusals shows them", err=True
        )


def _timeline_row(event: ShownEvent) -> dict[str, object]:
    """One event as a line of the timeline: a move reads as a move, a refusal as a refusal; a
    day in the world it records that is not the day it was entered (a decision taken at a
    meeting in 2018) is the event's `happened`, beside `at`, when it was entered."""
    import datetime as dt

    from kracht.basics.moments import day
    from kracht.workflow.services.trail import real_day

    real = real_day(event)
    happened = f"{real['what']} {day(dt.date.fromisoformat(real['on']), 'en')}" if real else ""
    what = str(event["trigger"] or event["action"])
    source, target = event["from_state"], event["to_state"]
    if event["outcome"] == "refused":
        what, move = f"{what} (refused)", f"stayed in {source}" if source else ""
    elif source and target and source != target:
        move = f"{source} -> {target}"
    elif source or target:
        move = f"in {source or target}" if source == target or not source else f"from {source}"
    else:
        move = ""
    return {**event, "what": what, "move": move, "happened": happened}


def _values(sets: tuple[str, ...], file: Path | None) -> dict[str, object]:
    from kracht.commands.display import load_values

    values: dict[str, object] = load_values(file) if file else {}
    values.update(pairs(sets, "--set"))
    return values


set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Stage data to record; `kracht workflow fields` lists the names.",
)
file_option = click.option(
    "--file", type=FILE, help="TOML or JSON file of NAME = VALUE stage data."
)
version_option = click.option(
    "--expect-version",
    type=VERSION,
    metavar="N",
    help="Refuse if the application changed since you saw version N.",
)


@app.command("record")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("stage")
@set_option
@file_option
@version_option
@pass_settings
def app_record(
    s: Settings,
    application_id: int,
    stage: str,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Record stage data: `kracht app record 3 innovation_table --set table_date=2018-09-17`."""
    from kracht.workflow import engine

    result = s.run(
        engine.record,
        application_id,
        stage,
        _values(sets, file),
        expected_version=expect_version,
    )
    names = ", ".join(result["values"])
    click.echo(f"recorded {names} on application {application_id} (version {result['version']})")


def _fire(
    s: Settings,
    application_id: int,
    trigger: str,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    from kracht.workflow import engine

    result = s.run(
        engine.fire,
        application_id,
        trigger,
        reason=reason,
        values=_values(sets, file),
        expected_version=expect_version,
    )
    click.echo(f"application {application_id}: {result['from']} -> {result['to']} ({trigger})")


@app.command("fire")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("trigger")
@click.option("--reason", help="Why; required for decisions, deferral, rework and withdrawal.")
@set_option
@file_option
@version_option
@pass_settings
def app_fire(
    s: Settings,
    application_id: int,
    trigger: str,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Fire a trigger; `kracht workflow show` lists them. Data given with --set is recorded in
    the same transaction."""
    _fire(s, application_id, trigger, reason, sets, file, expect_version)


@app.command("advance")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--reason")
@set_option
@file_option
@version_option
@pass_settings
def app_advance(
    s: Settings,
    application_id: int,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Take the next step on the main road (present at table, refer to committee, ...)."""
    from kracht.workflow.services import applications

    record = s.run(applications.show, application_id)
    forward = [o["trigger"] for o in record["next"] if o["forward"]]
    if not forward:
        raise KrachtError(
            f"application {application_id} is {record['state']}: there is no next step on the "
            "main road; use `kracht app fire` with one of: "
            + (", ".join(o["trigger"] for o in record["next"]) or "nothing (final state)")
        )
    _fire(s, application_id, forward[0], reason, sets, file, expect_version)


@app.command("withdraw")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--reason", required=True)
@pass_settings
def app_withdraw(s: Settings, application_id: int, reason: str) -> None:
    """Withdraw an application at any open stage."""
    _fire(s, application_id, "withdraw", reason, (), None, None)


@app.group("partner")
def app_partner() -> None:
    """Partners of an application and their commitment."""


@app_partner.command("add")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--org", "organisation", required=True)
@click.option("--co-financing", is_flag=True, help="The partner co-finances the project.")
@click.option(
    "--commitment", default="none", show_default=True, help="money, knowledge, time or none."
)
@click.option("--amount", help="Euros, for a money commitment.")
@click.option("--hours", type=HOURS, help="Hours, for a time commitment.")
@click.option(
    "--source",
    help="Where money comes from: private, municipal, provincial, national, eu or other "
    "[default: private for a business, else unknown].",
)
@pass_settings
def app_partner_add(
    s: Settings,
    application_id: int,
    organisation: str,
    co_financing: bool,
    commitment: str,
    amount: str | None,
    hours: int | None,
    source: str | None,
) -> None:
    """Add a partner organisation to an application."""
    from kracht.workflow.services import applications

    result = s.run(
        applications.add_partner,
        application_id,
        organisation=organisation,
        co_financing=co_financing,
        commitment=commitment,
        amount=amount,
        hours=hours,
        source=source,
    )
    click.echo(f"added partner {result['partner']['organisation']} to application {application_id}")
    for member in result.get("recused", []):
        click.echo(f"recused {member} from application {application_id}: works at the partner")


@app_partner.command("source")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--org", "organisation", required=True)
@click.option(
    "--source", required=True, help="private, municipal, provincial, national, eu or other."
)
@pass_settings
def app_partner_source(s: Settings, application_id: int, organisation: str, source: str) -> None:
    """Record where a partner's money comes from (money recorded before sources were)."""
    from kracht.workflow.services import applications

    result = s.run(
        applications.set_partner_source, application_id, organisation=organisation, source=source
    )
    was = result["previous"] or "unknown"
    click.echo(
        f"{result['organisation']}'s money on application {application_id}: "
        f"{result['source']} (was {was})"
    )


@app.group("indicator")
def app_indicator() -> None:
    """SMART indicators of an application."""


@app_indicator.command("add")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--name", required=True)
@click.option("--unit", required=True)
@click.option("--baseline", required=True)
@click.option("--target", required=True)
@click.option("--by", "target_date", required=True, help="Target date, YYYY-MM-DD.")
@click.option("--source", default="", help="Where the measured values come from.")
@pass_settings
def app_indicator_add(
    s: Settings,
    application_id: int,
    name: str,
    unit: str,
    baseline: str,
    target: str,
    target_date: str,
    source: str,
) -> None:
    """Add a SMART indicator to an application."""
    from kracht.workflow.services import applications

    s.run(
        applications.add_indicator,
        application_id,
        name=name,
        measured_in=unit,
        baseline=baseline,
        target=target,
        target_date=target_date,
        source=source,
    )
    click.echo(f"added indicator {name!r} to application {application_id}")


LOCALE = click.option(
    "--locale",
    type=click.Choice(["nl", "en"]),
    help="How the amounts are written: nl (1.500,50) or en (1,500.50). Default: nl for a "
    "semicolon-separated file, else KRACHT_LOCALE (nl when unset).",
)


@app.command("import")
@click.argument("file", type=FILE)
@LOCALE
@pass_settings
def app_import(s: Settings, file: Path, locale: str | None) -> None:
    """Import applications from a CSV pipeline spreadsheet: all rows or none.

    Columns: title, programme, applicant, requested (euros); optional line, description,
    round, submitted_on. Separated by commas, semicolons or tabs; UTF-8, UTF-16 (with a
    byte-order mark) or Windows-1252; a cell holds at most 10,000 characters."""
    from kracht.commands.progress import progress_bar
    from kracht.workflow.services.importer import import_csv

    with progress_bar(f"importing {file.name}") as progress:
        imported = s.run(import_csv, file, locale, progress)
    how = f" ({imported.note})" if imported.note else ""
    click.echo(f"imported {len(imported.created)} applications from {file.name}{how}")


@app.command("import-running")
@click.argument("file", type=FILE)
@LOCALE
@click.option("--dry-run", is_flag=True, help="Check every row and show what would be brought "
              "in; write nothing.")  # fmt: skip
@json_option
@pass_settings
def app_import_running(
    s: Settings, file: Path, locale: str | None, dry_run: bool, as_json: bool
) -> None:
    """Bring in a running programme: applications decided, granted and in monitoring before
    kracht, from one CSV spreadsheet, all rows or none (programme leader).

    Columns: title, programme, applicant, requested, description, budget_total, state
    (steering_decision, monitoring, approved_with_conditions, rejected or deferred); optional
    line, round, submitted_on, and for a decision decided_on (the meeting day),
    decision_reason, granted, budget_year, spread_until, budget_kind, departure_rationale,
    deferred_until, deferred_to_round, conditions (DUE|OWNER|TEXT per line), conditions_met
    (NUMBER|DAY|EVIDENCE per line), partners (ORGANISATION|co-financing or
    partner|COMMITMENT|EXTENT per line) and indicators (NAME|UNIT|BASELINE|TARGET|TARGET DATE
    per line). Every row is checked first; then each application is entered as by hand, in
    one transaction, and the trail records the import with the file's SHA-256. No message is
    sent."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services.running_import import import_running

    result = (s.try_out if dry_run else s.run)(import_running, file, locale)
    if as_json:
        return emit_json({**result, "dry_run": dry_run})
    would = "would be " if dry_run else ""
    for brought in result["applications"]:
        money = (
            f", granted {format_euros(brought['granted_cents'])}"
            if brought["granted_cents"]
            else ""
        )
        click.echo(f"  {brought['id']}. {brought['title']}: {would}{brought['state']}{money}")
    how = f" ({result['note']})" if result["note"] else ""
    head = "dry run, nothing written: " if dry_run else ""
    click.echo(
        f"{head}{len(result['applications'])} applications {would}brought in from {file.name}"
        f"{how}, SHA-256 {result['sha256']}" + ("" if dry_run else f" (import #{result['event']})")
    )


@app.command("letter")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--language", default="nl", show_default=True, help="nl or en.")
@json_option
@pass_settings
def app_letter(s: Settings, application_id: int, language: str, as_json: bool) -> None:
    """The decision letter to the applicant, as written when the decision was taken."""
    from kracht.workflow.services import decisions

    if language not in ("nl", "en"):
        raise InvalidInput(f"language {language!r} is not nl or en")
    text = s.run(decisions.letter, application_id, language)
    if as_json:
        return emit_json({"application_id": application_id, "language": language, "text": text})
    click.echo(text, nl=False)


@app.command("upgrade-workflow")
@click.argument("application_id", type=APPLICATION_ID)
@pass_settings
def app_upgrade_workflow(s: Settings, application_id: int) -> None:
    """Move an application recorded under an older workflow version to the current one."""
    from kracht.workflow.services import applications

    result = s.run(applications.upgrade_workflow, application_id)
    click.echo(
        f"application {application_id}: workflow version {result['from_version']} -> "
        f"{result['to_version']}"
    )
