"""Set-based reads for the CSV and JSON exports: one query per export, however large."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from typing_extensions import TypedDict

from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    AuditEvent,
    GrantAllocation,
    Organisation,
    Programme,
    ProgrammeLine,
    ReportSchedule,
)

DECISIONS = ("approve", "approve_with_conditions", "reject", "defer")


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]


class ApplicationRow(TypedDict):
    """An application with its programme and line (by code), applicant and the total granted."""

    id: int
    title: str
    programme: str
    line: str | None
    applicant: str
    state: str
    round: str | None
    submitted_on: dt.date | None
    requested_cents: int
    granted_cents: int
    created_at: dt.datetime
    updated_at: dt.datetime


def applications(db: Session, organisation_id: int | None = None) -> list[ApplicationRow]:
    """Every application with its programme, line, applicant and the total granted."""
    a, o, p, line = (
        _table(Application),
        _table(Organisation),
        _table(Programme),
        _table(ProgrammeLine),
    )
    granted = _granted()
    query = (
        sa.select(
            a.c.id,
            a.c.title,
            p.c.code.label("programme"),
            line.c.code.label("line"),
            o.c.name.label("applicant"),
            a.c.state,
            a.c.round,
            a.c.submitted_on,
            a.c.requested_cents,
            sa.func.coalesce(granted.c.cents, 0).label("granted_cents"),
            a.c.created_at,
            a.c.updated_at,
        )
        .select_from(
            a.join(o, o.c.id == a.c.applicant_org_id)
            .join(p, p.c.id == a.c.programme_id)
            .outerjoin(line, line.c.id == a.c.line_id)
            .outerjoin(granted, granted.c.application_id == a.c.id)
        )
        .order_by(a.c.id)
    )
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    return [dict(row._mapping) for row in db.execute(query)]


class DecisionRow(TypedDict):
    """A steering decision's audit event (the trigger fired), with its application."""

    seq: int
    application_id: int
    title: str
    applicant: str
    trigger: str
    at: dt.datetime
    actor: str
    reason: str | None
    payload: dict[str, Any]  # the event's payload as recorded (free-form)


def decisions(db: Session, organisation_id: int | None = None) -> list[DecisionRow]:
    """Every steering decision as the audit trail recorded it, oldest first."""
    e, a, o = _table(AuditEvent), _table(Application), _table(Organisation)
    query = (
        sa.select(
            e.c.seq,
            e.c.application_id,
            a.c.title,
            o.c.name.label("applicant"),
            e.c.trigger,
            e.c.at,
            e.c.actor,
            e.c.reason,
            e.c.payload,
        )
        .select_from(
            e.join(a, a.c.id == e.c.application_id).join(o, o.c.id == a.c.applicant_org_id)
        )
        .where(e.c.action == "fire", e.c.outcome == "ok", e.c.trigger.in_(DECISIONS))
        .order_by(e.c.seq)
    )
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    return [dict(row._mapping) for row in db.execute(query)]


class AwardRow(TypedDict):
    """An awarded application as open data publishes it: no person, no address, no motivation."""

    id: int
    title: str
    description: str
    programme: str  # its code
    programme_name: str
    organisation_id: int
    organisation: str
    kvk: str | None
    granted_cents: int
    starts_on: dt.date | None  # the report schedule's period, where one is planned
    ends_on: dt.date | None
    updated_at: dt.datetime


def awards(db: Session, states: tuple[str, ...], programme: str | None = None) -> list[AwardRow]:
    """The applications in `states` (of programme code `programme`), each with its applicant,
    the total granted and its report schedule's period, by id."""
    a, o, p, r = (
        _table(Application),
        _table(Organisation),
        _table(Programme),
        _table(ReportSchedule),
    )
    granted = _granted()
    query = (
        sa.select(
            a.c.id,
            a.c.title,
            a.c.description,
            p.c.code.label("programme"),
            p.c.name.label("programme_name"),
            o.c.id.label("organisation_id"),
            o.c.name.label("organisation"),
            o.c.kvk,
            sa.func.coalesce(granted.c.cents, 0).label("granted_cents"),
            r.c.starts_on,
            r.c.ends_on,
            a.c.updated_at,
        )
        .select_from(
            a.join(o, o.c.id == a.c.applicant_org_id)
            .join(p, p.c.id == a.c.programme_id)
            .outerjoin(granted, granted.c.application_id == a.c.id)
            .outerjoin(r, r.c.application_id == a.c.id)
        )
        .where(a.c.state.in_(states))
        .order_by(a.c.id)
    )
    if programme is not None:
        query = query.where(p.c.code == programme)
    rows = [dict(row._mapping) for row in db.execute(query)]
    for row in rows:
        row["granted_cents"] = int(row["granted_cents"])  # PostgreSQL sums bigints as numeric
    return rows  # type: ignore[return-value]


class AwardEvent(TypedDict):
    """A decision that awarded a grant, as the audit trail recorded it."""

    application_id: int
    at: dt.datetime
    values: dict[str, Any]  # the data given with it (its `decided_on` day among them)


def award_events(db: Session, triggers: tuple[str, ...]) -> list[AwardEvent]:
    """Every decision fired with one of `triggers` that succeeded, oldest first."""
    e = _table(AuditEvent)
    query = (
        sa.select(e.c.application_id, e.c.at, e.c.payload)
        .where(e.c.action == "fire", e.c.outcome == "ok", e.c.trigger.in_(triggers))
        .order_by(e.c.seq)
    )
    return [
        {"application_id": i, "at": at, "values": dict((payload or {}).get("values") or {})}
        for i, at, payload in db.execute(query)
    ]


class PartnerExportRow(TypedDict):
    """A partner of an application with its commitment and, for money, the source."""

    application_id: int
    title: str
    programme: str
    state: str
    organisation: str
    type: str
    co_financing: bool
    commitment: str
    amount_cents: int | None
    hours: int | None
    source: str | None


def partners(db: Session, organisation_id: int | None = None) -> list[PartnerExportRow]:
    """Every partner of every application (of one applicant organisation), by application."""
    a, ap, o, p = (_table(Application), _table(ApplicationPartner), _table(Organisation),
                   _table(Programme))  # fmt: skip
    query = (
        sa.select(
            a.c.id.label("application_id"),
            a.c.title,
            p.c.code.label("programme"),
            a.c.state,
            o.c.name.label("organisation"),
            o.c.o_type.label("type"),
            ap.c.co_financing,
            ap.c.commitment,
            ap.c.amount_cents,
            ap.c.hours,
            ap.c.source,
        )
        .select_from(
            ap.join(a, a.c.id == ap.c.application_id)
            .join(o, o.c.id == ap.c.organisation_id)
            .join(p, p.c.id == a.c.programme_id)
        )
        .order_by(a.c.id, ap.c.id)
    )
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    return [PartnerExportRow(**row._mapping) for row in db.execute(query)]  # type: ignore[typeddict-item]


def _granted() -> sa.Subquery:
    """Each application's total granted (`application_id`, `cents`), summed over its years."""
    g = _table(GrantAllocation)
    return (
        sa.select(g.c.application_id, sa.func.sum(g.c.amount_cents).label("cents"))
        .group_by(g.c.application_id)
        .subquery()
    )
