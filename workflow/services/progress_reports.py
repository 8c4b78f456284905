"""What people do with monitoring: submit progress reports and measured values, replan a
schedule, close a project out. Each is one audited transaction; a refusal keeps nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor
from kracht.basics.errors import Field, InvalidInput, NotAllowed, NotFound, invalid
from kracht.basics.euros import format_euros, parse_euros
from kracht.states.monitoring import LIGHTS, NEEDS_MEASURES, PLANNERS, REPORTERS
from kracht.storage import clock, funds, repository
from kracht.storage import reporting as store
from kracht.storage.tables import Application, IndicatorValue, ProgressReport
from kracht.workflow import engine, schedule
from kracht.workflow.effects.monitoring_plan import (
    FINAL,
    add_final_report,
    describe,
    latest_spent,
    plan,
    project_end,
    rules_for,
)
from kracht.workflow.measurement import parse_value
from kracht.workflow.move import Audited, Moved
from kracht.workflow.services.monitor_views import ReportView as Report
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session

UNTIL = Field("the end date", "until", bare=True)
RECEIVED = Field("the day received", "received", bare=True)
MEASURED_ON = Field("the day measured", "on", bare=True)


class PlannedReport(TypedDict):
    """A report the new plan created: its label and due date."""

    label: str
    due_on: str


class Schedule(TypedDict):
    """A project's reporting plan as `monitoring_plan.plan` made it."""

    every_months: int
    starts_on: str
    ends_on: str
    reports: list[PlannedReport]  # the reports planned now; submitted ones are kept apart


class Replanned(Audited):
    """A project's reports replanned."""

    schedule: Schedule


class Measured(TypedDict):
    """A measured value of an indicator, as stored: a normalised decimal string."""

    indicator: str
    unit: str
    value: str
    measured_on: str


class SpendingWarning(TypedDict):
    """The facts of a spending warning, for an interface to word in its reader's language."""

    kind: Literal["above_grant", "below_before"]
    spent_cents: int
    compared_cents: int  # the grant, or the spending reported before


class ReportSubmitted(Audited):
    """A progress report submitted, with the values measured in it and any spending warnings
    (in words, and as facts in `spending`)."""

    report: Report
    values: list[Measured]
    warnings: list[str]
    spending: list[SpendingWarning]


class ValueRecorded(Audited):
    """A measured value recorded outside a report."""

    values: list[Measured]


def replan(
    unit: Unit,
    application_id: int,
    *,
    every_months: int | None = None,
    start_on: str | None = None,
    end_on: str | None = None,
) -> Replanned:
    """Replan a project's reports (cadence, start, end); submitted reports are kept."""
    from kracht.workflow.services.applications import parse_date

    start_date, end_date = (
        parse_date(start_on, Field("the start date", "start", bare=True)),
        parse_date(end_on, UNTIL),
    )
    if every_months is not None and every_months not in schedule.EVERY:
        raise InvalidInput(
            "the reporting interval takes 1, 3, 6 or 12 months",
            field="every",
            label="the reporting interval",
            bare=True,
        )

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        _in_monitoring(app, "replan its reports")
        current = store.schedule(db, app.pk)
        rules = rules_for(db, app.programme_id)
        begin = start_date or (current.starts_on if current else unit.clock.today())
        end = end_date or (current.ends_on if current else project_end(db, app, begin))
        if end < begin:
            raise invalid(UNTIL, f"{UNTIL} {end} lies before the start {begin}")
        every = every_months or (current.every_months if current else rules.every_months)
        after = current.due_months_after if current else rules.due_months_after
        chase = unit.settings.reminders
        return {"schedule": plan(db, app, every, after, begin, end, actor.email, chase)}

    return cast(
        Replanned, engine.write_with_audit(unit, application_id, PLANNERS, "report.replan", change)
    )


def submit(
    unit: Unit,
    application_id: int,
    label: str,
    *,
    light: str,
    narrative: str,
    spent: str,
    measures: str | None = None,
    values: dict[str, str] | None = None,
    received_on: str | None = None,
) -> ReportSubmitted:
    """Submit a progress report: traffic light, narrative, spending so far, measured values.

    Red needs the measures taken. Values are measured on the period's last day (or the day the
    report came in, if that is earlier) and checked against each indicator's unit; one bad
    value refuses it all. A programme leader entering a report that came in earlier (by mail)
    gives the day it was received: lateness counts from that day.
    """
    from kracht.workflow.services.applications import parse_date

    received = parse_date(received_on, RECEIVED)
    light = (light or "").strip().lower()
    if light not in LIGHTS:
        raise InvalidInput(f"traffic light {light!r} is not one of " + ", ".join(LIGHTS))
    narrative = _text(narrative, Field("a narrative", "narrative"))
    measures = inputs.optional_text(measures, Field("measures"), inputs.LONG)
    if light in NEEDS_MEASURES and not measures:
        raise InvalidInput(
            f"a {light} report needs the measures taken",
            field="measures_taken",
            label="the measures taken",
        )
    spent_cents = parse_euros(spent, Field("spending so far", "spent"))

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        from kracht.notifications import reminders

        _in_monitoring(app, "submit progress reports")
        report = _open_report(db, app, label, unit.clock.today())
        today = unit.clock.today()
        came_in = _received(actor, report, received, today)
        measured_on = min(report.period_end, came_in)
        recorded = _measure(db, app, values or {}, measured_on, actor, report.id)
        checks = _spending_checks(db, app, spent_cents)
        report.status, report.traffic_light = "submitted", light
        report.narrative, report.measures, report.spent_cents = narrative, measures, spent_cents
        report.submitted_at, report.submitted_by = unit.clock.now(), actor.email
        report.received_on = came_in
        repository.flush(db)
        reminders.close(db, application_id=app.pk, subject_ref=f"report:{report.id}")
        return {
            "report": describe(report, today),
            "values": recorded,
            "warnings": [_worded(check) for check in checks],
            "spending": checks,
        }

    submitted = engine.write_with_audit(unit, application_id, REPORTERS, "report.submit", change)
    return cast(ReportSubmitted, submitted)


def record_value(
    unit: Unit,
    application_id: int,
    indicator: str,
    value: str,
    *,
    measured_on: str | None = None,
    note: str = "",
) -> ValueRecorded:
    """Record one measured value of an indicator, outside a report (audited)."""
    from kracht.workflow.services.applications import parse_date

    day = parse_date(measured_on, MEASURED_ON) or unit.clock.today()
    note = inputs.text(note, Field("note"), inputs.REASON, required=False)
    if day > unit.clock.today():
        raise invalid(
            MEASURED_ON,
            f"{MEASURED_ON} {day} lies in the future; values are recorded once measured",
        )

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        _in_monitoring(app, "record measured values")
        return {"values": _measure(db, app, {indicator: value}, day, actor, None, note)}

    recorded = engine.write_with_audit(unit, application_id, REPORTERS, "indicator.value", change)
    return cast(ValueRecorded, recorded)


def close_out(
    unit: Unit,
    application_id: int,
    *,
    final_report: str,
    spent: str,
    values: dict[str, str] | None = None,
    reason: str | None = None,
) -> Moved:
    """The final report with the final values, and the move to closed: one transaction.

    The close is refused (and nothing is kept) while a report that fell due is missing or an
    indicator has no value; reports not yet due are cancelled, the final report covers them.
    """
    summary = _text(final_report, Field("a final report", "final_report"))
    spent_cents = parse_euros(spent, Field("spending at close-out", "spent"))

    def prepare(unit: Unit, app: Application) -> None:
        from kracht.storage import audit

        db, actor, today = unit.db, unit.actor, unit.clock.today()
        warnings = _spending_warnings(db, app, spent_cents)
        final = add_final_report(unit, app, summary, spent_cents)
        recorded = _measure(db, app, values or {}, today, actor, final.id)
        payload = {"report": describe(final, today), "values": recorded, "warnings": warnings}
        audit.append(
            db,
            actor=actor.email,
            roles=actor.roles_text,
            action="report.submit",
            application_id=app.id,
            from_state=app.state,
            to_state=app.state,
            payload=payload,
        )

    return engine.fire(
        unit,
        application_id,
        "close",
        reason=reason,
        values={"final_report": summary},
        prepare=prepare,
    )


# -- the parts of those actions -----------------------------------------------------------------


def _text(value: str | None, what: str) -> str:
    if not (value or "").strip():
        raise invalid(what, f"give {what}")
    return inputs.text(value, what, inputs.LONG)


def _in_monitoring(app: Application, action: str) -> None:
    if app.state != "monitoring":
        raise NotAllowed(
            f"application {app.id} is {app.state}; only a project in monitoring can {action}"
        )


def _received(
    actor: Actor, report: ProgressReport, received: dt.date | None, today: dt.date
) -> dt.date:
    """The day the report came in: today, or earlier as a programme leader records it."""
    if received is None or received == today:
        return today
    if not actor.holds(PLANNERS):
        raise NotAllowed(
            f"{actor.email} may not record a report as received earlier: only a "
            "programme leader enters reports that came in before today"
        )
    if received > today:
        raise invalid(RECEIVED, f"{RECEIVED} {received} lies in the future")
    if received < report.period_start:
        raise invalid(
            RECEIVED,
            f"{RECEIVED} {received} lies before report {report.label} begins "
            f"({report.period_start})",
        )
    return received


def _open_report(db: Session, app: Application, label: str, today: dt.date) -> ProgressReport:
    report = store.report(db, app.pk, label.strip())
    if report is None or report.kind == FINAL:
        due = [r.label for r in store.reports(db, app.pk) if r.status == "due"]
        hint = "open reports: " + (", ".join(due) if due else "none")
        raise NotFound(f"progress report of application {app.id}", label, hint)
    if report.status != "due":
        when = (
            clock.local_day(report.submitted_at).isoformat() if report.submitted_at else "earlier"
        )
        done = f"was submitted on {when}" if report.status == "submitted" else "was cancelled"
        raise InvalidInput(f"report {report.label} of application {app.id} {done}")
    if report.period_start > today:
        raise InvalidInput(
            f"report {report.label} covers {report.period_start} to {report.period_end}, "
            "which has not begun yet"
        )
    return report


def _measure(
    db: Session,
    app: Application,
    given: dict[str, str],
    measured_on: dt.date,
    actor: Actor,
    report_id: int | None,
    note: str = "",
) -> list[Measured]:
    """Check every value against its indicator's unit, then store them all (or none)."""
    indicators = repository.indicators(db, app.pk)
    rules = rules_for(db, app.programme_id)
    parsed, seen = [], set()
    for key, raw in given.items():
        indicator = _indicator(indicators, key, app.pk)
        if indicator.id in seen:
            raise InvalidInput(f"indicator {indicator.name!r} is given twice")
        seen.add(indicator.id)
        parsed.append((indicator, parse_value(indicator.name, indicator.unit, raw, rules)))
    for indicator, value in parsed:
        repository.stage(
            db,
            IndicatorValue(
                indicator_id=indicator.pk,
                application_id=app.pk,
                measured_on=measured_on,
                value=value,
                report_id=report_id,
                note=note,
                recorded_by=actor.email,
            ),
        )
    repository.flush(db)
    return [
        {"indicator": i.name, "unit": i.unit, "value": v, "measured_on": measured_on.isoformat()}
        for i, v in parsed
    ]


def _indicator(indicators: list[Any], key: str, application_id: int) -> Any:
    wanted = " ".join(key.split()).lower()
    found = [i for i in indicators if i.name.lower() == wanted or str(i.id) == wanted]
    if len(found) > 1:  # two indicators of one name, from before names had to be unique
        numbers = ", ".join(str(i.id) for i in found)
        raise InvalidInput(
            f"indicator {key!r} names {len(found)} indicators: give its number ({numbers})"
        )
    if found:
        return found[0]
    names = "; ".join(f"{i.id}: {i.name}" for i in indicators) or "none"
    raise NotFound(f"indicator of application {application_id}", key, f"its indicators: {names}")


def _spending_warnings(db: Session, app: Application, spent_cents: int) -> list[str]:
    return [_worded(check) for check in _spending_checks(db, app, spent_cents)]


def _spending_checks(db: Session, app: Application, spent_cents: int) -> list[SpendingWarning]:
    """Spending above the grant, or below what was reported before."""
    granted = sum(a.amount_cents for a, _ in funds.allocations(db, app.pk))
    previous = latest_spent(db, app.pk)
    checks: list[SpendingWarning] = []
    if granted and spent_cents > granted:
        checks.append(
            {"kind": "above_grant", "spent_cents": spent_cents, "compared_cents": granted}
        )
    if previous is not None and spent_cents < previous:
        checks.append(
            {"kind": "below_before", "spent_cents": spent_cents, "compared_cents": previous}
        )
    return checks


def _worded(check: SpendingWarning) -> str:
    spent, compared = format_euros(check["spent_cents"]), format_euros(check["compared_cents"])
    if check["kind"] == "above_grant":
        return f"spending so far {spent} exceeds the grant of {compared}"
    return f"spending so far {spent} is below the {compared} reported before"
