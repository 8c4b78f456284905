"""Set-based reads for the CSV and JSON exports: one query per export, however large."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from typing_extensions import TypedDict

from kracht.storage.tables import (
    Application,
    AuditEvent,
    GrantAllocation,
    Organisation,
    Programme,
    ProgrammeLine,
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
    g = _table(GrantAllocation)
    granted = (
        sa.select(g.c.application_id, sa.func.sum(g.c.amount_cents).label("cents"))
        .group_by(g.c.application_id)
        .subquery()
    )
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
