"""Budgets per programme, line and year: set them, see what is committed, reserved, paid out and
available, and the multiplier of partner money.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from typing_extensions import TypedDict

from kracht.basics.actors import Actor, require
from kracht.basics.errors import InvalidInput, NotAllowed, NotFound
from kracht.basics.euros import format_euros, parse_euros
from kracht.basics.roles import Role
from kracht.storage import audit, repository
from kracht.storage import funds as store
from kracht.storage.tables import (
    Budget,
    Programme,
)
from kracht.workflow import co_financing, engine
from kracht.workflow.effects.grants import in_period, period_text
from kracht.workflow.unit import Unit, reads

if TYPE_CHECKING:
    from sqlmodel import Session


KINDS = ("projects", "development")


POOL = "(all lines)"  # how the pool, the budget of every line without its own, is shown


MULTIPLIER_TARGET = co_financing.TARGET


MULTIPLIER_MEASURE = (
    "partner money per euro granted: the money partners (private and public) commit to the "
    "programme's projects whose grant is committed, divided by those grants; a conditional "
    "grant and its partners' money count once its conditions are met"
)


MULTIPLIER_TARGET_BASIS = (
    "at least 8.5 (the 2023-2027 documents), measured on regional public money through private "
    "investment plus other public funding: the multiplier on regional public money is "
    + co_financing.MEASURE
)


class BudgetAsked(TypedDict):
    """A budget as asked for: whose (line None: the programme's pool), the amount and its basis."""

    programme: str
    line: str | None
    year: int
    kind: str
    amount_cents: int
    basis: str


class BudgetSet(BudgetAsked):
    """A budget set: as asked, with the amount it had before (None: it is new)."""

    previous_cents: int | None


def set_budget(
    unit: Unit,
    *,
    programme: str,
    year: int,
    kind: str = "projects",
    line: str | None = None,
    amount: str | None = None,
    inhabitants: int | None = None,
    per_inhabitant: str | None = None,
    municipalities: Path | bool = False,
) -> BudgetSet:
    """Set a yearly budget directly or as inhabitants x amount per inhabitant; the inhabitants
    may be the municipalities' total (`municipalities`: True for the shipped file, or a file's
    path; workflow.municipalities)."""
    from kracht.basics.euros import within_limit

    counted = None
    if municipalities is not False:
        if inhabitants is not None:
            raise InvalidInput(
                "give inhabitants or take the municipalities' total, not both",
                field="inhabitants",
            )
        from kracht.workflow import municipalities as towns

        counted = towns.load(None if municipalities is True else municipalities)
        inhabitants = counted.total
    if kind not in KINDS:
        raise InvalidInput(f"budget kind {kind!r} is not one of " + ", ".join(KINDS))
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a budget year")
    if (amount is None) == (inhabitants is None or per_inhabitant is None):
        raise InvalidInput(
            "give either an amount or both inhabitants and an amount per inhabitant",
            step="budget_amount",
        )
    if inhabitants is None or per_inhabitant is None:
        cents, basis = parse_euros(amount, "amount"), "set directly"
    else:
        if inhabitants <= 0:
            raise InvalidInput("inhabitants must be above zero")
        rate = parse_euros(per_inhabitant, "amount per inhabitant")
        whose = f" of the municipalities ({counted.file})" if counted else ""
        basis = f"{inhabitants:,} inhabitants{whose} x {format_euros(rate)}"
        cents = within_limit(inhabitants * rate, "the budget", basis)
    asked: BudgetAsked = {"programme": programme, "line": line, "year": year, "kind": kind,
             "amount_cents": cents, "basis": basis}  # fmt: skip

    def change(db: Session, actor: Actor) -> BudgetSet:
        require(actor, [Role.PROGRAMME_LEADER], "set budgets")
        return _write_budget(db, actor, asked)

    return engine.audited_write(unit, "budget.set", change)


def _write_budget(db: Session, actor: Actor, asked: BudgetAsked) -> BudgetSet:
    """Set the budget `asked` for, audited as `budget.set`. Below what is already committed or
    reserved on it, or over the development cap, it is refused (NotAllowed, audited as a refused
    `budget.set` with what was asked): the amount is well-formed, the programme's money does
    not allow it."""
    programme, year, kind, line = asked["programme"], asked["year"], asked["kind"], asked["line"]
    cents, basis = asked["amount_cents"], asked["basis"]
    record = repository.programme_by_code(db, programme)
    if record is None:
        raise NotFound("programme", programme)
    if not in_period(record, year):
        raise InvalidInput(
            f"{year} is outside the period of {programme}, {period_text(record)}; "
            "a budget is set for a year of its programme"
        )
    store.lock_programme(db, record.pk)  # one budget change at a time: the cap spans lines
    line_id = _line_id(db, record, line)
    row = store.budget(db, record.pk, line_id, year, kind, lock=True)
    committed, reserved = store.used(db, row.pk) if row else (0, 0)
    if cents < committed + reserved:
        raise NotAllowed(
            f"{format_euros(committed + reserved)} is already committed or "
            f"reserved on this budget; it cannot be set to {format_euros(cents)}",
            asked,
        )
    _check_development_cap(db, record, asked, row)
    old = row.amount_cents if row else None
    if row is None:
        row = Budget(
            programme_id=record.id,
            line_id=line_id,
            year=year,
            kind=kind,
            amount_cents=cents,
            basis=basis,
            set_by=actor.email,
        )
    else:
        row.amount_cents, row.basis, row.set_by = cents, basis, actor.email
    repository.stage(db, row)
    repository.flush(db)
    result: BudgetSet = {**asked, "previous_cents": old}
    audit.append(db, actor=actor.email, roles=actor.roles_text, action="budget.set", payload=result)
    return result


def _line_id(db: Session, programme: Programme, line: str | None) -> int | None:
    if line is None:
        return None
    record = repository.line_by_code(db, programme.pk, line)
    if record is None:
        raise NotFound("line", line, f"programme {programme.code} has no such line")
    return record.id


def development_cap(db: Session, programme: Programme) -> Decimal:
    from kracht.storage import assessments as committee_store
    from kracht.workflow import config as configuration

    config = committee_store.newest_config(db, programme.pk)
    where = f"the configuration of {programme.code}"
    return configuration.development_cap(config.document if config else {}, where)


def _check_development_cap(
    db: Session, programme: Programme, asked: BudgetAsked, row: Budget | None
) -> None:
    """The development budgets of a year, of every line and the pool together, may be at most the
    cap (12.5%) of that year's project budgets together; NotAllowed beyond it."""
    year, kind, cents = asked["year"], asked["kind"], asked["amount_cents"]
    percent = development_cap(db, programme)
    projects = store.total(db, programme.pk, year, "projects")
    if kind == "projects":
        projects += cents - (row.amount_cents if row else 0)
    parts = [
        cents if kind == "development" and b.id == (row.id if row else None) else b.amount_cents
        for b in store.budgets(db, programme.pk, year, "development")
    ]
    if kind == "development" and row is None:
        parts.append(cents)
    development = sum(parts)
    cap = int((Decimal(projects) * percent / 100).to_integral_value(ROUND_FLOOR))
    if development > cap:
        together = (
            " (the development budgets of every line and the pool together)"
            if len([p for p in parts if p]) > 1
            else ""
        )
        raise NotAllowed(
            f"the development budget may be at most {percent}% of the {year} project budget of "
            f"{format_euros(projects)}, which is {format_euros(cap)}; "
            f"{format_euros(development)} is too much{together}",
            asked,
        )


class PoolDraw(TypedDict):
    """What one line draws from a pool: committed, reserved and paid out."""

    line: str  # "(no line)" for applications without one
    draws_from: Literal["pool"]
    committed_cents: int
    reserved_cents: int
    paid_out_cents: int


class BudgetRow(TypedDict):
    """A budget with what is committed, reserved, paid out and available; a pool's lines' draws."""

    programme: str
    line: str
    year: int
    kind: str
    budget_cents: int
    basis: str
    committed_cents: int
    reserved_cents: int
    scope: Literal["pool", "line"]
    paid_out_cents: int
    available_cents: int
    lines: list[PoolDraw]  # a pool's draws; empty on a line's own budget


class Multiplier(TypedDict):
    """A programme's multipliers so far: partners' money per euro of its committed grants, and
    leveraged money per euro of regional public money, with the partner money per source."""

    programme: str
    granted_cents: int
    partner_money_cents: int
    private_cents: int
    public_cents: int
    multiplier: Decimal | None  # None while nothing is granted
    reserved_cents: int
    reserved_partner_money_cents: int
    by_source: co_financing.BySource  # the partner money of committed grants, per source
    regional_public_cents: int  # committed grants plus municipal partner money
    leveraged_cents: int  # private, provincial, national, EU and other partner money
    unknown_cents: int  # partner money of no recorded source: in neither figure
    regional_multiplier: Decimal | None  # on regional public money (co_financing.MEASURE)
    reserved_by_source: co_financing.BySource  # the conditional grants' partner money
    reserved_regional_multiplier: Decimal | None  # theirs, on regional public money


class BudgetOverview(TypedDict):
    """Every budget asked for, and each programme's multiplier with how it is measured."""

    budgets: list[BudgetRow]
    multipliers: list[Multiplier]
    multiplier_measure: str
    multiplier_target: Decimal
    multiplier_target_basis: str


@reads
def budget_overview(
    unit: Unit,
    programme: str | None = None,
    year: int | None = None,
    line: str | None = None,
) -> BudgetOverview:
    """Budget, committed, reserved, paid out and available per programme, line and year, with
    what each line draws from a pool; each programme's multiplier so far.

    Refuses a programme or line that does not exist; a year without budgets is simply empty."""
    db = unit.db
    _ = unit.actor  # any known person may read this
    programmes = _programmes(db, programme, line)
    rows = budget_rows(db, programme, year)
    if line is not None:
        rows = _for_line(rows, line, {p.code for p in programmes})
    return {
        "budgets": rows,
        "multipliers": [multiplier(db, p) for p in programmes],
        "multiplier_measure": MULTIPLIER_MEASURE,
        "multiplier_target": MULTIPLIER_TARGET,
        "multiplier_target_basis": MULTIPLIER_TARGET_BASIS,
    }


def _programmes(db: Session, code: str | None, line: str | None) -> list[Programme]:
    """The programmes a view covers: the one named, or every one (with the line, if named)."""

    if code is not None:
        record = repository.programme_by_code(db, code)
        if record is None:
            raise NotFound("programme", code, listing=True)
        found = [record]
    else:
        found = repository.programmes_by_code(db)
    if line is None:
        return found
    having = [p for p in found if repository.line_by_code(db, p.pk, line) is not None]
    if not having:
        where = f"programme {code} has no such line" if code else "no programme has such a line"
        raise NotFound("line", line, where, listing=True)
    return having


def budget_rows(db: Session, programme: str | None, year: int | None) -> list[BudgetRow]:
    """Every budget (of one programme and year, or all) with what is committed, reserved, paid
    out (the payments paid from it: workflow/services/payments.py) and available on it.
    `scope` says whose budget it is: `line`, a
    line's own, or `pool`, shared by every line without one of its own (line `(all lines)`).
    A pool's `lines` are what each line draws from it, committed and reserved; what is left
    is available to them together, so it is given only on the pool itself."""
    from kracht.storage import payment_rows as payment_store

    paid = payment_store.paid_by_budget(db, programme, year)
    draws: dict[tuple[str, int, str], list[PoolDraw]] = {}
    for d in store.pool_draws(db, programme, year):
        key = (d["programme"], d["year"], d["kind"])
        draws.setdefault(key, []).append(
            {
                "line": d["line"] or "(no line)",
                "draws_from": "pool",
                "committed_cents": d["committed_cents"],
                "reserved_cents": d["reserved_cents"],
                "paid_out_cents": pool_paid(paid, key, d["line"]),
            }
        )
    rows = cast(list[dict[str, Any]], store.overview(db, programme, year))  # made BudgetRows here
    for row in rows:
        pool = row["line"] is None
        key = (row["programme"], row["line"], row["year"], row["kind"])
        row["paid_out_cents"] = sum(paid.get(key, {}).values())
        row["line"] = POOL if pool else row["line"]
        row["scope"] = "pool" if pool else "line"
        row["available_cents"] = (
            row["budget_cents"] - row["committed_cents"] - row["reserved_cents"]
        )
        row["lines"] = draws.get((row["programme"], row["year"], row["kind"]), []) if pool else []
    return cast(list[BudgetRow], rows)


def pool_paid(
    paid: dict[tuple[str, str | None, int, str], dict[str | None, int]],
    key: tuple[str, int, str],
    line: str | None,
) -> int:
    """What the applications of `line` were paid from the pool of (programme, year, kind)."""
    programme, year, kind = key
    return paid.get((programme, None, year, kind), {}).get(line, 0)


def _for_line(rows: list[BudgetRow], line: str, programmes: set[str]) -> list[BudgetRow]:
    """The budgets a line is charged to: its own where it has one, and its programme's pool
    (with only that line's draws under it) where it has none or has drawn on the pool before
    its own budget was set."""
    own = {(r["programme"], r["year"], r["kind"]) for r in rows if r["line"] == line}
    kept: list[BudgetRow] = []
    for row in rows:
        if row["programme"] not in programmes:
            continue
        if row["scope"] == "line" and row["line"] == line:
            kept.append(row)
        elif row["scope"] == "pool":
            draws = [d for d in row["lines"] if d["line"] == line]
            if draws or (row["programme"], row["year"], row["kind"]) not in own:
                kept.append({**row, "lines": draws})
    return kept


def multiplier(db: Session, programme: Programme) -> Multiplier:
    """The programme's multiplier so far (MULTIPLIER_MEASURE): partners' money per euro of the
    committed grants, exact to the cent and rounded half up to two decimals; beside it the
    multiplier on regional public money (co_financing.MEASURE) from the partners' sources. The
    conditional grants, reserved, and their partners' money are given beside them, not in them."""
    committed = store.granted(db, store.COMMITTED_STATES, programme.id)
    partners = store.partner_money(db, store.COMMITTED_STATES, programme.id)
    reserved = store.granted(db, store.RESERVED_STATES, programme.id)
    reserved_partners = store.partner_money(db, store.RESERVED_STATES, programme.id)
    sources = store.partner_money_by_source(db, store.COMMITTED_STATES, programme.id)
    regional = co_financing.regional(committed, sources)
    later = co_financing.regional(
        reserved, store.partner_money_by_source(db, store.RESERVED_STATES, programme.id)
    )
    money = partners["private"] + partners["public"]
    return {
        "programme": programme.code,
        "granted_cents": committed,
        "partner_money_cents": money,
        "private_cents": partners["private"],
        "public_cents": partners["public"],
        "multiplier": ratio(money, committed),
        "reserved_cents": reserved,
        "reserved_partner_money_cents": reserved_partners["private"] + reserved_partners["public"],
        "by_source": regional["by_source"],
        "regional_public_cents": regional["regional_public_cents"],
        "leveraged_cents": regional["leveraged_cents"],
        "unknown_cents": regional["unknown_cents"],
        "regional_multiplier": regional["multiplier"],
        "reserved_by_source": later["by_source"],
        "reserved_regional_multiplier": later["multiplier"],
    }


def ratio(cents: int, per_cents: int) -> Decimal | None:
    """`cents` per euro of `per_cents`, exact, rounded half up to two decimals; None on zero."""
    return co_financing.ratio(cents, per_cents)
