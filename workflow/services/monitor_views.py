"""What monitoring shows: a project's schedule, reports and indicator values; late reports.

An applicant sees their own organisation's projects only; everyone else sees every project.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import InvalidInput
from kracht.storage import clock, repository
from kracht.storage import reporting as store
from kracht.storage.tables import Application
from kracht.workflow.effects.monitoring_plan import describe
from kracht.workflow.measurement import progress, target_met
from kracht.workflow.services import filters
from kracht.workflow.services.policy import visible_application
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session

STATUSES = ("due", "late", "submitted", "cancelled")


def part(db: Session, app: Application, today: dt.date) -> dict[str, Any]:
    """The monitoring part of `kracht app show --json`: schedule, reports, indicator values."""
    plan_row = store.schedule(db, app.id or 0)
    reports = [describe(r, today) for r in store.reports(db, app.id or 0)]
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
        "indicators": indicators(db, app.id or 0),
    }


def indicators(
    db: Session, application_id: int, until: dt.date | None = None
) -> list[dict[str, Any]]:
    """Each indicator with its values over time, the latest (up to `until`) against target."""
    measured: dict[int, list[dict[str, Any]]] = {}
    for value, indicator in store.values(db, application_id):
        if until is None or value.measured_on <= until:
            measured.setdefault(indicator.id or 0, []).append(
                {
                    "measured_on": value.measured_on.isoformat(),
                    "value": value.value,
                    "report_id": value.report_id,
                    "note": value.note,
                }
            )
    result = []
    for i in repository.indicators(db, application_id):
        values = measured.get(i.id or 0, [])
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


def project(unit: Unit, application_id: int) -> dict[str, Any]:
    """One project's monitoring: its schedule, every report and every indicator's values."""

    db = unit.db
    app = visible_application(db, unit.actor, application_id)
    return {
        "application_id": app.id,
        "title": app.title,
        "state": app.state,
        **part(db, app, unit.clock.today()),
    }


def reports(
    unit: Unit,
    *,
    application_id: int | None = None,
    programme: str | None = None,
    status: str | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
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


def late(
    unit: Unit, as_of: dt.date | None = None, programme: str | None = None
) -> list[dict[str, Any]]:
    """Reports past their due date and not submitted, the longest overdue first."""
    rows = reports(unit, programme=programme, status="late", as_of=as_of)
    return sorted(rows, key=lambda r: (-r["days_late"], r["application_id"]))


def _row(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
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
