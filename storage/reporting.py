"""Reads and writes of report schedules, progress reports and measured indicator values.

Listings across projects (late reports, the programme reports, exports) are single set-based
queries, however many projects there are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from typing_extensions import TypedDict

from kracht.storage import hot
from kracht.storage.repository import core
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    GrantAllocation,
    Indicator,
    IndicatorValue,
    Organisation,
    Programme,
    ProgrammeLine,
    ProgressReport,
    ReportSchedule,
)


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]


def schedule(db: Session, application_id: int) -> ReportSchedule | None:
    return db.get(ReportSchedule, application_id)


def reports(db: Session, application_id: int) -> list[ProgressReport]:
    """The application's reports by period, the final one last."""
    return list(
        db.exec(
            select(ProgressReport)
            .where(ProgressReport.application_id == application_id)
            .order_by(
                sa.case((col(ProgressReport.kind) == "final", 1), else_=0),  # the final one last
                col(ProgressReport.period_end),
                col(ProgressReport.id),
            )
        ).all()
    )


def report_rows(db: Session, application_id: int) -> list[Any]:
    """As `reports`, read for showing them: named tuples with `ProgressReport`'s columns."""
    return _REPORTS.read(db, {"app": application_id})


def any_due(db: Session, application_id: int) -> bool:
    """Whether the application has a report not yet submitted (one cheap Core read)."""
    return core(db).execute(_ANY_DUE, {"app": application_id}).first() is not None


_REPORT = ProgressReport.__table__.c  # type: ignore[attr-defined]
_REPORTS = hot.Listing(
    ProgressReport,
    _REPORT.application_id == sa.bindparam("app"),
    order_by=(sa.case((_REPORT.kind == "final", 1), else_=0), _REPORT.period_end, _REPORT.id),
)
_ANY_DUE = (
    sa.select(sa.literal(1))
    .where(_REPORT.application_id == sa.bindparam("app"), _REPORT.status == "due")
    .limit(1)
)


def report(db: Session, application_id: int, label: str) -> ProgressReport | None:
    return db.exec(
        select(ProgressReport).where(
            ProgressReport.application_id == application_id, ProgressReport.label == label
        )
    ).first()


def delete_reports(db: Session, ids: list[int]) -> None:
    """Remove planned reports that were never submitted (a replan replaces them)."""
    if ids:
        db.execute(sa.delete(ProgressReport).where(col(ProgressReport.id).in_(ids)))


def overdue(db: Session, application_id: int, today: dt.date) -> list[tuple[str, dt.date]]:
    """This application's reports past their due date and not submitted: label and due date."""
    return hot.rows(db, _OVERDUE, {"app": application_id, "today": today})  # type: ignore[return-value]


_OVERDUE = hot.Hot(
    sa.select(_REPORT.label, _REPORT.due_on)
    .where(
        _REPORT.application_id == sa.bindparam("app"),
        _REPORT.status == "due",
        _REPORT.due_on < sa.bindparam("today", type_=sa.Date),
    )
    .order_by(_REPORT.due_on)
)


class ReportListing(TypedDict):
    """A progress report (every column) with its project's title, state, applicant, programme
    and line."""

    id: int
    application_id: int
    kind: str
    label: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    status: str
    traffic_light: str | None
    narrative: str | None
    measures: str | None
    spent_cents: int | None
    submitted_at: dt.datetime | None
    submitted_by: str | None
    received_on: dt.date | None
    cancelled_reason: str | None
    title: str
    state: str
    applicant: str
    programme: str
    line: str | None


def listing(
    db: Session,
    *,
    application_id: int | None = None,
    organisation_id: int | None = None,
    programme: str | None = None,
    late_on: dt.date | None = None,
) -> list[ReportListing]:
    """Reports with their project, in one query; `late_on`: only those late on that day."""
    r, a, o = _table(ProgressReport), _table(Application), _table(Organisation)
    p, line = _table(Programme), _table(ProgrammeLine)
    query = (
        sa.select(
            r,
            a.c.title,
            a.c.state,
            o.c.name.label("applicant"),
            p.c.code.label("programme"),
            line.c.code.label("line"),
        )
        .select_from(
            r.join(a, a.c.id == r.c.application_id)
            .join(o, o.c.id == a.c.applicant_org_id)
            .join(p, p.c.id == a.c.programme_id)
            .outerjoin(line, line.c.id == a.c.line_id)
        )
        .order_by(r.c.due_on, r.c.application_id, r.c.id)
    )
    if application_id is not None:
        query = query.where(r.c.application_id == application_id)
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    if programme:
        query = query.where(p.c.code == programme)
    if late_on is not None:
        query = query.where(r.c.status == "due", r.c.due_on < late_on)
    return [dict(row._mapping) for row in db.execute(query)]


def values(db: Session, application_id: int) -> list[Any]:
    """Every measured value of an application's indicators, oldest first: named tuples with
    `IndicatorValue`'s columns (its `indicator_id` names the indicator)."""
    return _VALUES.read(db, {"app": application_id})


def schedule_row(db: Session, application_id: int) -> Any | None:
    """As `schedule`, read for showing it: a named tuple with `ReportSchedule`'s columns."""
    found = _SCHEDULE.read(db, {"app": application_id})
    return found[0] if found else None


def unmeasured(db: Session, application_id: int) -> list[str]:
    """Names of the application's indicators without a single measured value."""
    return [name for (name,) in hot.rows(db, _UNMEASURED, {"app": application_id})]


_INDICATOR = Indicator.__table__.c  # type: ignore[attr-defined]
_VALUE = IndicatorValue.__table__.c  # type: ignore[attr-defined]
_VALUES = hot.Listing(
    IndicatorValue,
    _VALUE.application_id == sa.bindparam("app"),
    order_by=(_VALUE.measured_on, _VALUE.id),
)
_SCHEDULE = hot.Listing(
    ReportSchedule,
    ReportSchedule.__table__.c.application_id == sa.bindparam("app"),  # type: ignore[attr-defined]
)
_UNMEASURED = hot.Hot(
    sa.select(_INDICATOR.name)
    .where(
        _INDICATOR.application_id == sa.bindparam("app"),
        _INDICATOR.id.not_in(
            sa.select(_VALUE.indicator_id).where(_VALUE.application_id == sa.bindparam("app"))
        ),
    )
    .order_by(_INDICATOR.id)
)


class IndicatorRow(TypedDict):
    """An indicator with its project and one measured value: the value's columns are None
    where the indicator has none."""

    indicator_id: int
    application_id: int
    title: str
    state: str
    programme: str
    applicant: str
    name: str
    unit: str
    baseline: str
    target: str
    target_date: dt.date | None
    source: str
    measured_on: dt.date | None
    value: str | None
    report_id: int | None
    note: str | None
    recorded_by: str | None


def indicator_rows(db: Session, organisation_id: int | None = None) -> list[IndicatorRow]:
    """Every indicator with its project and each measured value (or none), in one query."""
    i, v, a = _table(Indicator), _table(IndicatorValue), _table(Application)
    p, o = _table(Programme), _table(Organisation)
    query = (
        sa.select(
            i.c.id.label("indicator_id"),
            i.c.application_id,
            a.c.title,
            a.c.state,
            p.c.code.label("programme"),
            o.c.name.label("applicant"),
            i.c.name,
            i.c.unit,
            i.c.baseline,
            i.c.target,
            i.c.target_date,
            i.c.source,
            v.c.measured_on,
            v.c.value,
            v.c.report_id,
            v.c.note,
            v.c.recorded_by,
        )
        .select_from(
            i.join(a, a.c.id == i.c.application_id)
            .join(p, p.c.id == a.c.programme_id)
            .join(o, o.c.id == a.c.applicant_org_id)
            .outerjoin(v, v.c.indicator_id == i.c.id)
        )
        .order_by(i.c.application_id, i.c.id, v.c.measured_on, v.c.id)
    )
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    return [dict(row._mapping) for row in db.execute(query)]


def granted_by_application(db: Session) -> dict[int, dict[int, int]]:
    """Every grant's cents per budget year, per application: {application: {year: cents}}."""
    g = _table(GrantAllocation)
    query = sa.select(g.c.application_id, g.c.year, sa.func.sum(g.c.amount_cents)).group_by(
        g.c.application_id, g.c.year
    )
    result: dict[int, dict[int, int]] = {}
    for application_id, year, cents in db.execute(query):
        result.setdefault(application_id, {})[year] = int(cents)
    return result


def partner_money_by_source(db: Session) -> dict[int, dict[str | None, int]]:
    """Partners' money commitments per application, per recorded source (None: unknown)."""
    ap = _table(ApplicationPartner)
    query = (
        sa.select(ap.c.application_id, ap.c.source, sa.func.sum(ap.c.amount_cents))
        .where(ap.c.commitment == "money", ap.c.amount_cents.is_not(None))
        .group_by(ap.c.application_id, ap.c.source)
    )
    result: dict[int, dict[str | None, int]] = {}
    for application_id, source, cents in db.execute(query):
        result.setdefault(application_id, {})[source] = int(cents)
    return result


def partner_money_by_application(db: Session) -> dict[int, dict[str, int]]:
    """Partners' money commitments per application, private and public (government)."""
    ap, o = _table(ApplicationPartner), _table(Organisation)
    public = sa.case((o.c.o_type == "government", "public"), else_="private")
    query = (
        sa.select(ap.c.application_id, public, sa.func.coalesce(sa.func.sum(ap.c.amount_cents), 0))
        .select_from(ap.join(o, o.c.id == ap.c.organisation_id))
        .where(ap.c.commitment == "money")
        .group_by(ap.c.application_id, public)
    )
    result: dict[int, dict[str, int]] = {}
    for application_id, kind, cents in db.execute(query):
        result.setdefault(application_id, {"private": 0, "public": 0})[kind] = int(cents)
    return result
