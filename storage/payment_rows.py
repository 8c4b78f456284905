"""Reads and writes of payments: a grant paid in parts. Sums are done in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage.tables import (
    Application,
    Budget,
    GrantAllocation,
    Payment,
    Programme,
    ProgrammeLine,
)

OPEN = ("requested", "approved")  # not paid yet, still to be decided or paid
HOLDING = (*OPEN, "paid")  # what holds a part of the grant: no request beyond it
STATUSES = ("requested", "approved", "paid", "cancelled", "refused")


def add(db: Session, payment: Payment) -> Payment:
    db.add(payment)
    db.flush()
    return payment


def payment(db: Session, payment_id: int) -> Payment | None:
    """The payment, read afresh (its application is locked by the caller first)."""
    if not 0 < payment_id < 2**63:
        return None
    return db.get(Payment, payment_id, populate_existing=True)


def next_number(db: Session, application_id: int) -> int:
    query = select(sa.func.coalesce(sa.func.max(Payment.number), 0)).where(
        Payment.application_id == application_id
    )
    return int(db.exec(query).one()) + 1


def held_by_year(db: Session, application_id: int) -> dict[int, int]:
    """Per budget year, the cents of the application's payments requested, approved or paid."""
    query = (
        select(Payment.year, sa.func.sum(Payment.amount_cents))
        .where(Payment.application_id == application_id, col(Payment.status).in_(HOLDING))
        .group_by(Payment.year)
    )
    return {int(year): int(cents) for year, cents in db.exec(query).all()}


def of_application(
    db: Session, application_id: int, statuses: tuple[str, ...] = STATUSES
) -> list[Payment]:
    query = (
        select(Payment)
        .where(Payment.application_id == application_id, col(Payment.status).in_(statuses))
        .order_by(col(Payment.number))
    )
    return list(db.exec(query).all())


def listing(
    db: Session,
    application_id: int | None = None,
    status: str | None = None,
    organisation_id: int | None = None,
) -> list[tuple[Payment, str, str]]:
    """Payments with their application's title and programme code, by application and number;
    of one application, status or applicant organisation where given."""
    query = (
        select(Payment, Application.title, Programme.code)
        .join(Application, col(Payment.application_id) == Application.id)
        .join(Programme, col(Application.programme_id) == Programme.id)
        .order_by(col(Payment.application_id), col(Payment.number))
    )
    if application_id is not None:
        query = query.where(Payment.application_id == application_id)
    if status is not None:
        query = query.where(Payment.status == status)
    if organisation_id is not None:
        query = query.where(Application.applicant_org_id == organisation_id)
    return [(p, str(title), str(code)) for p, title, code in db.exec(query).all()]


def paid_by_application(db: Session) -> dict[int, dict[int, int]]:
    """Per application, per budget year, the cents paid out."""
    query = (
        select(Payment.application_id, Payment.year, sa.func.sum(Payment.amount_cents))
        .where(Payment.status == "paid")
        .group_by(Payment.application_id, Payment.year)
    )
    result: dict[int, dict[int, int]] = {}
    for app_id, year, cents in db.exec(query).all():
        result.setdefault(int(app_id), {})[int(year)] = int(cents)
    return result


def paid_by_budget(
    db: Session, programme: str | None, year: int | None
) -> dict[tuple[str, str | None, int, str], dict[str | None, int]]:
    """Paid out per budget, keyed (programme, the budget's line or None for the pool, year,
    kind), and under each key per line of the applications paid (None: no line): a payment
    is paid from the budget its application's grant for that year was charged to."""
    p, a, g = Payment.__table__, Application.__table__, GrantAllocation.__table__  # type: ignore[attr-defined]
    b, prog = Budget.__table__, Programme.__table__  # type: ignore[attr-defined]
    own, drawn = ProgrammeLine.__table__.alias("own"), ProgrammeLine.__table__.alias("drawn")  # type: ignore[attr-defined]
    query = (
        sa.select(
            prog.c.code,
            own.c.code,
            b.c.year,
            b.c.kind,
            drawn.c.code,
            sa.func.sum(p.c.amount_cents),
        )
        .select_from(
            p.join(a, a.c.id == p.c.application_id)
            .join(g, sa.and_(g.c.application_id == p.c.application_id, g.c.year == p.c.year))
            .join(b, b.c.id == g.c.budget_id)
            .join(prog, prog.c.id == b.c.programme_id)
            .outerjoin(own, own.c.id == b.c.line_id)
            .outerjoin(drawn, drawn.c.id == a.c.line_id)
        )
        .where(p.c.status == "paid")
        .group_by(prog.c.code, own.c.code, b.c.year, b.c.kind, drawn.c.code)
    )
    if programme:
        query = query.where(prog.c.code == programme)
    if year:
        query = query.where(b.c.year == year)
    result: dict[tuple[str, str | None, int, str], dict[str | None, int]] = {}
    for code, line, each_year, kind, of_line, cents in db.execute(query):
        result.setdefault((code, line, int(each_year), kind), {})[of_line] = int(cents)
    return result


def rows(db: Session, organisation_id: int | None) -> list[dict[str, Any]]:
    """Every payment as the payments export shows it (of one applicant organisation, or all)."""
    return [
        {**payment.model_dump(), "title": title, "programme": code}
        for payment, title, code in listing(db, organisation_id=organisation_id)
    ]
