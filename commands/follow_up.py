"""`kracht monitor`, `report` and `export`: monitoring, programme reports and exports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from kracht.basics.errors import InvalidInput
from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    YEAR,
    CountType,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)


def _indicator_values(items: Sequence[str]) -> dict[str, str]:
    """Repeated --value NAME=VALUE (NAME: the indicator's name or number)."""
    result = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--value takes INDICATOR=VALUE, got {item[:60]!r}")
        key = " ".join(name.split()).lower()
        if key in result:
            raise InvalidInput(f"--value names indicator {name.strip()[:60]!r} twice; give it once")
        result[key] = value.strip()
    return result


def _as_of(value: str | None) -> Any:
    from kracht.workflow.services.applications import parse_date

    return parse_date(value, "--as-of")


value_option = click.option(
    "--value",
    "values",
    multiple=True,
    metavar="INDICATOR=VALUE",
    help="A measured value (indicator name or number); repeat for each indicator.",
)


@click.group()
def monitor() -> None:
    """Monitoring of approved projects: report schedules, progress reports, indicator values."""


@monitor.command("schedule")
@click.argument("application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def monitor_schedule(s: Settings, application_id: int, as_json: bool) -> None:
    """A project's report schedule: every report, its due date, status and traffic light."""
    from kracht.commands.display import show_monitoring
    from kracht.workflow.services import monitor_views

    view = s.run(monitor_views.project, application_id)
    if as_json:
        return emit_json(view)
    click.echo(show_monitoring(view))


@monitor.command("replan")
@click.argument("application_id", type=APPLICATION_ID)
@click.option(
    "--every",
    "every_months",
    type=CountType("--every", 1, 12),
    help="Months per report: 1, 3, 6 or 12.",
)
@click.option("--start", "start_on", help="First day the reports cover, YYYY-MM-DD.")
@click.option("--until", "end_on", help="The project's last day, YYYY-MM-DD.")
@pass_settings
def monitor_replan(
    s: Settings,
    application_id: int,
    every_months: int | None,
    start_on: str | None,
    end_on: str | None,
) -> None:
    """Replan the reports not yet submitted (cadence, start, end); submitted reports stay."""
    from kracht.workflow.services import progress_reports

    result = s.run(
        progress_reports.replan,
        application_id,
        every_months=every_months,
        start_on=start_on,
        end_on=end_on,
    )
    plan = result["schedule"]
    due = ", ".join(f"{r['label']} (due {r['due_on']})" for r in plan["reports"][:4])
    more = f" and {len(plan['reports']) - 4} more" if len(plan["reports"]) > 4 else ""
    click.echo(
        f"application {application_id}: every {plan['every_months']} months from "
        f"{plan['starts_on']} to {plan['ends_on']}; {len(plan['reports'])} reports planned"
        + (f": {due}{more}" if due else "")
    )


@monitor.command("reports")
@click.option("--application", "application_id", type=APPLICATION_ID)
@click.option("--programme")
@click.option("--status", help="due, late, submitted or cancelled.")
@json_option
@pass_settings
def monitor_reports(
    s: Settings,
    application_id: int | None,
    programme: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """Progress reports across projects, by due date, with their status and traffic light."""
    from kracht.workflow.services import monitor_views

    rows = s.run(
        monitor_views.reports, application_id=application_id, programme=programme, status=status
    )
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["application_id", "title", "label", "due_on", "status", "days_late", "traffic_light"],
        widths={"title": 32},
    )


@monitor.command("late")
@click.option("--as-of", help="Late on this day (YYYY-MM-DD) [default: today].")
@click.option("--programme")
@json_option
@pass_settings
def monitor_late(s: Settings, as_of: str | None, programme: str | None, as_json: bool) -> None:
    """Reports past their due date and not submitted, the longest overdue first."""
    from kracht.workflow.services import monitor_views

    rows = s.run(monitor_views.late, _as_of(as_of), programme)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["application_id", "title", "label", "due_on", "days_late"],
        empty="(no report is late)",
        widths={"title": 32},
    )


@monitor.command("submit")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("label")
@click.option("--light", required=True, help="green, orange or red (red needs --measures).")
@click.option("--narrative", required=True, help="What happened in the period.")
@click.option("--measures", help="The measures taken (required with red).")
@click.option("--spent", required=True, help="Spending so far in euros, cumulative.")
@value_option
@click.option("--received", help="Day the report came in, if before today (programme leader).")
@pass_settings
def monitor_submit(
    s: Settings,
    application_id: int,
    label: str,
    light: str,
    narrative: str,
    measures: str | None,
    spent: str,
    values: tuple[str, ...],
    received: str | None,
) -> None:
    """Submit progress report LABEL (e.g. 2019-Q1) with its traffic light and values."""
    from kracht.workflow.services import progress_reports

    result = s.run(
        progress_reports.submit,
        application_id,
        label,
        light=light,
        narrative=narrative,
        spent=spent,
        measures=measures,
        values=_indicator_values(values),
        received_on=received,
    )
    for warning in result["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    report = result["report"]
    late = f", {report['days_late']} days late" if report["days_late"] else ""
    click.echo(
        f"application {application_id}: report {report['label']} submitted "
        f"({report['traffic_light']}{late}); {len(result['values'])} "
        f"value{'' if len(result['values']) == 1 else 's'} recorded"
    )


@monitor.command("value")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("indicator")
@click.argument("value")
@click.option("--on", "measured_on", help="Day measured, YYYY-MM-DD [default: today].")
@click.option("--note", default="", help="Where the value comes from, or a remark.")
@pass_settings
def monitor_value(
    s: Settings,
    application_id: int,
    indicator: str,
    value: str,
    measured_on: str | None,
    note: str,
) -> None:
    """Record a measured VALUE of INDICATOR (its name or number), checked against its unit."""
    from kracht.workflow.services import progress_reports

    result = s.run(
        progress_reports.record_value,
        application_id,
        indicator,
        value,
        measured_on=measured_on,
        note=note,
    )
    recorded = result["values"][0]
    click.echo(
        f"application {application_id}: {recorded['indicator']} = {recorded['value']} "
        f"{recorded['unit']} on {recorded['measured_on']}"
    )


@monitor.command("values")
@click.argument("application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def monitor_values(s: Settings, application_id: int, as_json: bool) -> None:
    """Every indicator's measured values over time, against baseline and target."""
    from kracht.workflow.services import monitor_views

    view = s.run(monitor_views.project, application_id)["indicators"]
    if as_json:
        return emit_json(view)
    rows = [
        {
            "indicator": i["name"],
            "unit": i["unit"],
            "measured_on": v["measured_on"],
            "value": v["value"],
            "baseline": i["baseline"],
            "target": i["target"],
        }
        for i in view
        for v in i["values"] or [{"measured_on": None, "value": None}]
    ]
    emit_table(rows, ["indicator", "unit", "measured_on", "value", "baseline", "target"])


@monitor.command("close-out")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--final-report", required=True, help="The final report: what the project achieved.")
@click.option("--spent", required=True, help="Total spending in euros.")
@value_option
@click.option("--reason", help="Why the project closes now (e.g. ended early).")
@pass_settings
def monitor_close_out(
    s: Settings,
    application_id: int,
    final_report: str,
    spent: str,
    values: tuple[str, ...],
    reason: str | None,
) -> None:
    """The final report with the final values, and the move to closed, in one transaction."""
    from kracht.workflow.services import progress_reports

    result = s.run(
        progress_reports.close_out,
        application_id,
        final_report=final_report,
        spent=spent,
        values=_indicator_values(values),
        reason=reason,
    )
    click.echo(
        f"application {application_id}: {result['from']} -> {result['to']}; final report "
        f"kept; `kracht monitor schedule {application_id}` shows the final values"
    )


@click.group()
def report() -> None:
    """The programme's four yearly documents, written from the data as HTML, Markdown and PDF,
    in Dutch or English."""


def _write_report(
    s: Settings,
    kind: str,
    year: int,
    programme: str | None,
    out: Path,
    as_json: bool,
    fmt: str,
    language: str,
) -> None:
    from kracht.workflow.reports import documents as programme_reports

    formats = programme_reports.FORMATS if fmt == "all" else (fmt,)
    result = s.run(
        programme_reports.write,
        kind,
        year,
        out,
        programme=programme,
        formats=formats,
        language=language,
    )
    if as_json:
        return emit_json(result)
    click.echo(f"{result['title']} written:")
    for path in result["files"]:
        click.echo(f"  {path}")


report_options = [
    click.option("--year", type=YEAR, required=True, help="The year reported on."),
    click.option("--programme", help="Only this programme [default: all]."),
    click.option(
        "--out-dir",
        "--out",
        "out",
        type=click.Path(path_type=Path),
        default=Path("kracht-reports"),
        show_default=True,
        help="Folder to write the files to.",
    ),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(["html", "md", "pdf", "all"]),
        default="all",
        show_default=True,
        help="html, md (its charts as SVG beside it), pdf (A4), or all three.",
    ),
    click.option(
        "--language",
        type=click.Choice(["nl", "en"]),
        default="en",
        show_default=True,
        help="nl: Dutch words, euros and dates; en: English.",
    ),
    json_option,
    pass_settings,
]


def _report_command(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(report_options):
        f = option(f)
    return f


def _report_kind(kind: str, help_text: str) -> None:
    @report.command(kind, help=help_text)
    @_report_command
    def command(
        s: Settings,
        year: int,
        programme: str | None,
        out: Path,
        fmt: str,
        language: str,
        as_json: bool,
    ) -> None:
        _write_report(s, kind, year, programme, out, as_json, fmt, language)


_report_kind(
    "accounts",
    "The annual accounts (jaarrekening, May) of --year: per programme the budgets, committed, "
    "paid out, and the development budget against its cap, per line.",
)
_report_kind(
    "annual",
    'The annual report "Investeren in Twente" (June): pipeline, money, co-financing, results.',
)
_report_kind(
    "monitor",
    "The project monitor (November): every project's results, indicators and reports.",
)
_report_kind(
    "plan",
    "The annual plan (jaarplan, December) for the coming year --year: the pipeline by stage, "
    "the year's budgets, the multi-year grants charged to it and what is available.",
)


@click.group()
def export() -> None:
    """Applications, decisions, indicators, reports, payments and partners as CSV or JSON, for
    spreadsheets; the awarded grants as open data (360Giving)."""


def _export(s: Settings, kind: str, fmt: str, output: Path | None) -> None:
    from kracht.workflow.services import exports

    text, count = s.run(exports.export, kind, fmt)
    if output:
        exports.write_file(output, text)
        click.echo(f"wrote {count} {kind} to {output}", err=True)
    else:
        click.echo(text, nl=False)


def _export_command(kind: str, what: str) -> None:
    @export.command(kind, help=f"{what} as CSV or JSON (money in integer cents).")
    @click.option("--format", "fmt", default="csv", show_default=True, help="csv or json.")
    @click.option("--output", "-o", type=FILE, help="File to write.")
    @pass_settings
    def command(s: Settings, fmt: str, output: Path | None) -> None:
        _export(s, kind, fmt, output)


_export_command("applications", "Every application with its state, request and grant")
_export_command("decisions", "Every steering decision with its outcome, amount and reasons")
_export_command("indicators", "Every indicator with each measured value")
_export_command("reports", "Every progress report with its status, traffic light and spending")
_export_command("payments", "Every payment of a grant with its approvals, status and day paid")
_export_command("partners", "Every partner with its commitment, and where its money comes from")


@export.command("360giving")
@click.option("--programme", help="Only this programme's grants [default: all].")
@click.option("--year", type=YEAR, help="Only the grants awarded in this year [default: all].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "xlsx"]),
    default="json",
    show_default=True,
    help="json: the 360Giving package; csv or xlsx: its flattened spreadsheet.",
)
@click.option("--output", "-o", type=FILE, help="File to write [default: the terminal; not xlsx].")
@pass_settings
def export_360giving(
    s: Settings, programme: str | None, year: int | None, fmt: str, output: Path | None
) -> None:
    """The awarded grants as open data in the 360Giving Data Standard: no personal data, the
    recipients identified by their KvK numbers where known (settings [open_data] name the
    publisher and its grant-id prefix)."""
    from kracht.basics.files import write_bytes
    from kracht.workflow.services import open_data

    if fmt == "xlsx" and output is None:
        raise InvalidInput("an xlsx workbook goes to a file: give --output FILE")
    data, count = s.run(open_data.export_360, programme, year, fmt)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_bytes(output, data)
    click.echo(f"wrote {count} grants to {output}", err=True)
