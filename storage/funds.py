"""Reads and writes of budgets, grant allocations and conditions. Sums are done in SQL."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select
from typing_extensions import TypedDict

from kracht.storage import hot
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    Budget,
    DecisionLetter,
    GrantAllocation,
    GrantCondition,
    Organisation,
    Person,
    Programme,
    ProgrammeLine,
)

COMMITTED_STATES = ("monitoring", "closed")
RESERVED_STATES = ("approved_with_conditions",)


def budget(
    db: Session, programme_id: int, line_id: int | None, year: int, kind: str, lock: bool = False
) -> Budget | None:
    """The budget row for exactly this line (None: the programme's pool), year and kind."""
    line = col(Budget.line_id).is_(None) if line_id is None else col(Budget.line_id) == line_id
    query = select(Budget).where(
        Budget.programme_id == programme_id, line, Budget.year == year, Budget.kind == kind
    )
    if lock:
        query = query.with_for_update()
    return db.exec(query).first()


def budget_charged(
    db: Session, programme_id: int, line_id: int | None, year: int, kind: str
) -> Budget | None:
    """The budget a grant on this line is charged to: the line's own, else the pool. Locked."""
    own = budget(db, programme_id, line_id, year, kind, lock=True) if line_id else None
    return own or budget(db, programme_id, None, year, kind, lock=True)


def used(db: Session, budget_id: int) -> tuple[int, int]:
    """(committed, reserved) cents charged to a budget, by the state of each application."""
    a, g = Application.__table__, GrantAllocation.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(
            sa.func.coalesce(
                sa.func.sum(sa.case((a.c.state.in_(COMMITTED_STATES), g.c.amount_cents), else_=0)),
                0,
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((a.c.state.in_(RESERVED_STATES), g.c.amount_cents), else_=0)), 0
            ),
        )
        .select_from(g.join(a, a.c.id == g.c.application_id))
        .where(g.c.budget_id == budget_id)
    )
    committed, reserved = db.execute(query).one()
    return int(committed), int(reserved)


def total(db: Session, programme_id: int, year: int, kind: str) -> int:
    """The budgets of one kind of a programme in a year, of every line and the pool together."""
    query = select(sa.func.coalesce(sa.func.sum(Budget.amount_cents), 0)).where(
        Budget.programme_id == programme_id, Budget.year == year, Budget.kind == kind
    )
    return int(db.exec(query).one())


def budgets(db: Session, programme_id: int, year: int, kind: str) -> list[Budget]:
    """Every budget of one kind of a programme in a year: the pool and each line's own."""
    query = select(Budget).where(
        Budget.programme_id == programme_id, Budget.year == year, Budget.kind == kind
    )
    return list(db.exec(query.order_by(col(Budget.id))).all())


def lock_programme(db: Session, programme_id: int) -> None:
    """Serialise changes that span a programme's budgets (a no-op lock on SQLite, whose writers
    are serialised already)."""
    db.exec(select(Programme.id).where(Programme.id == programme_id).with_for_update()).first()


class BudgetTotals(TypedDict):
    """A budget with what is committed and reserved on it (line None: the programme's pool)."""

    programme: str
    line: str | None
    year: int
    kind: str
    budget_cents: int
    basis: str
    committed_cents: int
    reserved_cents: int


def overview(db: Session, programme: str | None, year: int | None) -> list[BudgetTotals]:
    """Every budget with what is committed and reserved on it, in one query."""
    b, p, line = Budget.__table__, Programme.__table__, ProgrammeLine.__table__  # type: ignore[attr-defined]
    a, g = Application.__table__, GrantAllocation.__table__  # type: ignore[attr-defined]
    spent = (
        sa.select(
            g.c.budget_id,
            sa.func.sum(
                sa.case((a.c.state.in_(COMMITTED_STATES), g.c.amount_cents), else_=0)
            ).label("committed"),
            sa.func.sum(sa.case((a.c.state.in_(RESERVED_STATES), g.c.amount_cents), else_=0)).label(
                "reserved"
            ),
        )
        .select_from(g.join(a, a.c.id == g.c.application_id))
        .group_by(g.c.budget_id)
        .subquery()
    )
    query = (
        sa.select(
            p.c.code.label("programme"),
            line.c.code.label("line"),
            b.c.year,
            b.c.kind,
            b.c.amount_cents.label("budget_cents"),
            b.c.basis,
            sa.func.coalesce(spent.c.committed, 0).label("committed_cents"),
            sa.func.coalesce(spent.c.reserved, 0).label("reserved_cents"),
        )
        .select_from(
            b.join(p, p.c.id == b.c.programme_id)
            .outerjoin(line, line.c.id == b.c.line_id)
            .outerjoin(spent, spent.c.budget_id == b.c.id)
        )
        .order_by(p.c.code, b.c.year, b.c.kind, b.c.line_id.is_not(None), line.c.code)
    )  # the pool first in each year and kind, on SQLite and PostgreSQL alike
    if programme:
        query = query.where(p.c.code == programme)
    if year:
        query = query.where(b.c.year == year)
    return cast(list[BudgetTotals], [dict(row._mapping) for row in db.execute(query)])


class PoolDrawn(TypedDict):
    """What the applications of one line (None: of no line) draw from a pool in a year."""

    programme: str
    year: int
    kind: str
    line: str | None
    committed_cents: int
    reserved_cents: int


def pool_draws(db: Session, programme: str | None, year: int | None) -> list[PoolDrawn]:
    """What each line draws from its programme's pools (the budgets with no line): committed and
    reserved per programme, year, kind and the line of the application charged, in one query.
    A grant on an application without a line shows under line None."""
    b, p, line = Budget.__table__, Programme.__table__, ProgrammeLine.__table__  # type: ignore[attr-defined]
    a, g = Application.__table__, GrantAllocation.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(
            p.c.code.label("programme"),
            b.c.year,
            b.c.kind,
            line.c.code.label("line"),
            sa.func.sum(
                sa.case((a.c.state.in_(COMMITTED_STATES), g.c.amount_cents), else_=0)
            ).label("committed_cents"),
            sa.func.sum(sa.case((a.c.state.in_(RESERVED_STATES), g.c.amount_cents), else_=0)).label(
                "reserved_cents"
            ),
        )
        .select_from(
            g.join(b, b.c.id == g.c.budget_id)
            .join(a, a.c.id == g.c.application_id)
            .join(p, p.c.id == b.c.programme_id)
            .outerjoin(line, line.c.id == a.c.line_id)
        )
        .where(b.c.line_id.is_(None), a.c.state.in_(COMMITTED_STATES + RESERVED_STATES))
        .group_by(p.c.code, b.c.year, b.c.kind, line.c.code)
        .order_by(p.c.code, b.c.year, b.c.kind, line.c.code.is_(None), line.c.code)
    )
    if programme:
        query = query.where(p.c.code == programme)
    if year:
        query = query.where(b.c.year == year)
    rows = [
        {**row._mapping, "committed_cents": int(row.committed_cents),
         "reserved_cents": int(row.reserved_cents)}
        for row in db.execute(query)
    ]  # fmt: skip
    return cast(list[PoolDrawn], rows)


def allocations(db: Session, application_id: int) -> list[tuple[GrantAllocation, Budget]]:
    return list(
        db.exec(
            select(GrantAllocation, Budget)
            .join(Budget, col(GrantAllocation.budget_id) == Budget.id)
            .where(GrantAllocation.application_id == application_id)
            .order_by(col(GrantAllocation.year))
        ).all()
    )


def conditions(
    db: Session, application_id: int | None = None
) -> list[tuple[GrantCondition, Person, Application]]:
    query = (
        select(GrantCondition, Person, Application)
        .join(Person, col(GrantCondition.owner_id) == Person.id)
        .join(Application, col(GrantCondition.application_id) == Application.id)
        .order_by(col(GrantCondition.application_id), col(GrantCondition.number))
    )
    if application_id is not None:
        query = query.where(GrantCondition.application_id == application_id)
    return list(db.exec(query).all())


def granted_rows(db: Session, application_id: int) -> list[tuple[int, int, int, str]]:
    """The grant's parts by year, read for showing them: (year, amount in cents, budget id,
    budget kind)."""
    return hot.rows(db, _GRANTED, {"app": application_id})  # type: ignore[return-value]


def condition_rows(db: Session, application_id: int) -> list[ConditionRow]:
    """The application's conditions by number, read for showing them."""
    return [ConditionRow(*row) for row in hot.rows(db, _CONDITIONS, {"app": application_id})]


class ConditionRow(NamedTuple):
    """A condition of a grant with its owner's address."""

    number: int
    text: str
    due_on: dt.date
    owner: str
    met_at: dt.datetime | None
    evidence: str | None


_ALLOCATION = GrantAllocation.__table__.c  # type: ignore[attr-defined]
_BUDGET = Budget.__table__.c  # type: ignore[attr-defined]
_GRANTED = hot.Hot(
    sa.select(_ALLOCATION.year, _ALLOCATION.amount_cents, _BUDGET.id, _BUDGET.kind)
    .join_from(GrantAllocation.__table__, Budget.__table__, _BUDGET.id == _ALLOCATION.budget_id)  # type: ignore[attr-defined]
    .where(_ALLOCATION.application_id == sa.bindparam("app"))
    .order_by(_ALLOCATION.year)
)
_CONDITION = GrantCondition.__table__.c  # type: ignore[attr-defined]
_OWNER = Person.__table__.c  # type: ignore[attr-defined]
_CONDITIONS = hot.Hot(
    sa.select(
        _CONDITION.number,
        _CONDITION.text,
        _CONDITION.due_on,
        _OWNER.email,
        _CONDITION.met_at,
        _CONDITION.evidence,
    )  # fmt: skip
    .join_from(GrantCondition.__table__, Person.__table__, _OWNER.id == _CONDITION.owner_id)  # type: ignore[attr-defined]
    .where(_CONDITION.application_id == sa.bindparam("app"))
    .order_by(_CONDITION.number)
)


def open_conditions(db: Session, application_id: int) -> int:
    query = (
        select(sa.func.count())
        .select_from(GrantCondition)
        .where(
            GrantCondition.application_id == application_id, col(GrantCondition.met_at).is_(None)
        )
    )
    return int(db.exec(query).one())


def condition(db: Session, application_id: int, number: int) -> GrantCondition | None:
    return db.exec(
        select(GrantCondition).where(
            GrantCondition.application_id == application_id, GrantCondition.number == number
        )
    ).first()


def partner_money(
    db: Session, states: tuple[str, ...], programme_id: int | None = None
) -> dict[str, int]:
    """Money committed by partners of applications in `states` (of one programme, or of every
    one), private and public (government partners)."""
    a, ap, o = Application.__table__, ApplicationPartner.__table__, Organisation.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(o.c.o_type, sa.func.coalesce(sa.func.sum(ap.c.amount_cents), 0))
        .select_from(
            ap.join(a, a.c.id == ap.c.application_id).join(o, o.c.id == ap.c.organisation_id)
        )
        .where(a.c.state.in_(states), ap.c.commitment == "money")
        .group_by(o.c.o_type)
    )
    if programme_id is not None:
        query = query.where(a.c.programme_id == programme_id)
    totals = {"private": 0, "public": 0}
    for o_type, cents in db.execute(query):
        totals["public" if o_type == "government" else "private"] += int(cents)
    return totals


def partner_money_by_source(
    db: Session, states: tuple[str, ...], programme_id: int | None = None
) -> dict[str | None, int]:
    """Money committed by partners of applications in `states` (of one programme, or of every
    one), per recorded source (None: unknown)."""
    a, ap = Application.__table__, ApplicationPartner.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(ap.c.source, sa.func.coalesce(sa.func.sum(ap.c.amount_cents), 0))
        .select_from(ap.join(a, a.c.id == ap.c.application_id))
        .where(a.c.state.in_(states), ap.c.commitment == "money")
        .group_by(ap.c.source)
    )
    if programme_id is not None:
        query = query.where(a.c.programme_id == programme_id)
    return {source: int(cents) for source, cents in db.execute(query)}


def granted(db: Session, states: tuple[str, ...], programme_id: int | None = None) -> int:
    """The grants charged to applications in `states` (of one programme, or of every one)."""
    a, g = Application.__table__, GrantAllocation.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(g.c.amount_cents), 0))
        .select_from(g.join(a, a.c.id == g.c.application_id))
        .where(a.c.state.in_(states))
    )
    if programme_id is not None:
        query = query.where(a.c.programme_id == programme_id)
    return int(db.execute(query).scalar_one())


def latest_letter(db: Session, application_id: int, language: str) -> DecisionLetter | None:
    return db.exec(
        select(DecisionLetter)
        .where(DecisionLetter.application_id == application_id, DecisionLetter.language == language)
        .order_by(col(DecisionLetter.id).desc())
    ).first()
