"""What monitoring shows: a project's schedule, reports and indicator values; late reports.

An applicant sees their own organisation's projects only; everyone else sees every project.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from typing_extensions import TypedDict

from kracht.basics.errors import InvalidInput
from kracht.storage import clock, repository
from kracht.storage import reporting as store
from kracht.storage.reporting import ReportListing
from kracht.storage.tables import Application, Indicator
from kracht.workflow.effects.monitoring_plan import describe
from kracht.workflow.measurement import progress, target_met
from kracht.workflow.services import filters
from kracht.workflow.services.policy import visible_application
from kracht.workflow.unit import Unit, reads

if TYPE_CHECKING:
    from sqlmodel import Session

STATUSES = ("due", "late", "submitted", "cancelled")


class Schedule(TypedDict):
    """How a project reports: every so many months, due so many months after a period ends."""

    every_months: int
    due_months_after: int
    starts_on: str
    ends_on: str


class ReportView(TypedDict):
    """A progress report as `effects.monitoring_plan.describe` shows it, late on the day."""

    id: int
    label: str
    kind: str
    period_start: str
    period_end: str
    due_on: str
    status: str
    days_late: int
    traffic_light: str | None
    narrative: str | None
    measures: str | None
    spent_cents: int | None
    submitted_at: str | None
    submitted_by: str | None
    received_on: str | None
    cancelled_reason: str | None


class Measured(TypedDict):
    """One measured value of an indicator (a decimal as text)."""

    measured_on: str
    value: str
    report_id: int | None
    note: str


class IndicatorView(TypedDict):
    """An indicator with its values over time, the latest against its target."""

    id: int
    name: str
    unit: str
    baseline: str
    target: str
    target_date: str | None
    source: str
    values: list[Measured]
    latest: str | None
    progress_percent: float | None
    target_met: bool


class Monitoring(TypedDict):
    """A project's monitoring: schedule (None before one is planned), reports, indicators."""

    schedule: Schedule | None
    reports: list[ReportView]
    late: list[str]  # the labels of the reports late today
    latest_light: str | None
    spent_cents: int | None
    indicators: list[IndicatorView]


def part(
    db: Session, app: Application, today: dt.date, *, listed: list[Indicator] | None = None
) -> Monitoring:
    """The monitoring part of `kracht app show --json`: schedule, reports, indicator values.
    `listed` is the application's `repository.indicators`, when the caller has read them."""
    plan_row = store.schedule_row(db, app.pk)
    reports = [cast(ReportView, describe(r, today)) for r in store.report_rows(db, app.pk)]
    submitted = [r for r in reports if r["status"] == "submitted"]
    return {
        "schedule": {
            "every_months": plan_row.every_months,
            "due_months_after": plan_row.due_months_after,
            "starts_on": plan_row.starts_on.isoformat(),
            "ends_on": plan_row.ends_on.isoformat(),
        }
        if plan_row
        else None,
        "reports": reports,
        "late": [r["label"] for r in reports if r["status"] == "late"],
        "latest_light": next(
            (r["traffic_light"] for r in reversed(submitted) if r["traffic_light"]), None
        ),
        "spent_cents": submitted[-1]["spent_cents"] if submitted else None,
        "indicators": indicators(db, app.pk, listed=listed),
    }


def indicators(
    db: Session,
    application_id: int,
    until: dt.date | None = None,
    *,
    listed: list[Indicator] | None = None,
) -> list[IndicatorView]:
    """Each indicator with its values over time, the latest (up to `until`) against target;
    `listed` is the application's `repository.indicators`, when the caller has read them."""
    measured: dict[int, list[Measured]] = {}
    for value in store.values(db, application_id):
        if until is None or value.measured_on <= until:
            measured.setdefault(value.indicator_id, []).append(
                {
                    "measured_on": value.measured_on.isoformat(),
                    "value": value.value,
                    "report_id": value.report_id,
                    "note": value.note,
                }
            )
    result: list[IndicatorView] = []
    for i in repository.indicators(db, application_id) if listed is None else listed:
        values = measured.get(i.pk, [])
        latest = values[-1]["value"] if values else None
        result.append(
            {
                "id": i.id,
                "name": i.name,
                "unit": i.unit,
                "baseline": i.baseline,
                "target": i.target,
                "target_date": i.target_date.isoformat() if i.target_date else None,
                "source": i.source,
                "values": values,
                "latest": latest,
                "progress_percent": progress(i.baseline, i.target, latest),
                "target_met": target_met(i.baseline, i.target, latest),
            }
        )
    return result


class ProjectMonitoring(Monitoring):
    """One project's monitoring, with the project it is of."""

    application_id: int
    title: str
    state: str


@reads
def project(unit: Unit, application_id: int) -> ProjectMonitoring:
    """One project's monitoring: its schedule, every report and every indicator's values."""

    db = unit.db
    app = visible_application(db, unit.actor, application_id)
    return {
        "application_id": app.id,
        "title": app.title,
        "state": app.state,
        **part(db, app, unit.clock.today()),
    }


class ReportExport(TypedDict):
    """A row of the reports export: a progress report with its project."""

    application_id: int
    title: str
    applicant: str
    programme: str
    line: str | None
    label: str
    kind: str
    period_start: str
    period_end: str
    due_on: str
    status: str
    days_late: int
    traffic_light: str | None
    spent_cents: int | None
    narrative: str | None
    measures: str | None
    submitted_by: str | None


class ReportRow(ReportExport):
    """A report across projects, with its project, its lateness on the day (days_late: 0 when
    cancelled) and the day it came in."""

    received_on: str | None


@reads
def reports(
    unit: Unit,
    *,
    application_id: int | None = None,
    programme: str | None = None,
    status: str | None = None,
    as_of: dt.date | None = None,
) -> list[ReportRow]:
    """Reports across projects, by due date; `status` due, late, submitted or cancelled."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status {status!r} is not one of " + ", ".join(STATUSES))
    today = as_of or unit.clock.today()
    db = unit.db
    actor = unit.actor
    filters.programme(db, programme)
    filters.application(db, actor, application_id)
    own = None if actor.sees_everything() else (actor.organisation_id or -1)
    rows = store.listing(
        db,
        application_id=application_id,
        organisation_id=own,
        programme=programme,
        late_on=today if status == "late" else None,
    )
    result = [_row(row, today) for row in rows]
    return [r for r in result if status is None or r["status"] == status]


@reads
def late(unit: Unit, as_of: dt.date | None = None, programme: str | None = None) -> list[ReportRow]:
    """Reports past their due date and not submitted, the longest overdue first."""
    rows = reports(unit, programme=programme, status="late", as_of=as_of)
    return sorted(rows, key=lambda r: (-r["days_late"], r["application_id"]))


def _row(row: ReportListing, today: dt.date) -> ReportRow:
    due_on, submitted = row["due_on"], row["received_on"] or row["submitted_at"]
    if row["status"] == "due":
        status = "late" if due_on < today else "due"
    else:
        status = row["status"]
    done = (
        clock.local_day(submitted) if isinstance(submitted, dt.datetime) else submitted
    ) or today
    return {
        "application_id": row["application_id"],
        "title": row["title"],
        "applicant": row["applicant"],
        "programme": row["programme"],
        "line": row["line"],
        "label": row["label"],
        "kind": row["kind"],
        "period_start": row["period_start"].isoformat(),
        "period_end": row["period_end"].isoformat(),
        "due_on": due_on.isoformat(),
        "status": status,
        "days_late": max((done - due_on).days, 0) if status != "cancelled" else 0,
        "traffic_light": row["traffic_light"],
        "spent_cents": row["spent_cents"],
        "narrative": row["narrative"],
        "measures": row["measures"],
        "submitted_by": row["submitted_by"],
        "received_on": row["received_on"].isoformat() if row["received_on"] else None,
    }
