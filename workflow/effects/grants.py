"""Money and letters, inside the decision's own transaction: a grant is charged to its budget(s)
after locking each, so two decisions at once can never spend the same euro twice; its conditions
are created; the decision letter is rendered in Dutch and English and kept as sent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import GuardFailed, Missing
from kracht.basics.euros import format_euros
from kracht.states.base import Context
from kracht.states.steering_decision import follows_advice
from kracht.storage import funds as store
from kracht.storage import repository
from kracht.storage.tables import (
    Application,
    Budget,
    GrantAllocation,
    GrantCondition,
    Programme,
)
from kracht.workflow.effects import says
from kracht.workflow.move import Move

if TYPE_CHECKING:
    from sqlmodel import Session

WARN_BELOW = Decimal("0.10")  # warn when a decision leaves less than 10% of a budget


@says("charge the grant to its budget per year, create any conditions, write the letter")
def grant(move: Move) -> dict[str, Any]:
    """Charge the grant to its budget(s), create its conditions, render the letter."""
    db, app, ctx, trigger = move.unit.db, move.app, move.ctx, move.trigger
    programme = move.programme
    amount = int(ctx.data["granted"])
    years = _budget_years(move)
    kind = str(ctx.data.get("budget_kind") or "projects")
    warnings, charged = [], []
    if amount < len(years):  # a share of 0 cents would be an empty charge on a year
        raise GuardFailed(
            trigger,
            app.pk,
            [f"a grant of at least one cent a year to spread it over {len(years)} years"],
        )
    for each_year, cents in zip(years, split(amount, len(years)), strict=True):
        budget = store.budget_charged(db, programme.pk, app.line_id, each_year, kind)
        if budget is None:
            raise GuardFailed(
                trigger,
                app.pk,
                [Missing(f"a {kind} budget for {programme.code} in {each_year}", "budget")],
            )
        committed, reserved = store.used(db, budget.pk)
        available = budget.amount_cents - committed - reserved
        where = _where(db, budget, programme)
        if cents > available:
            raise GuardFailed(
                trigger,
                app.pk,
                [
                    f"no more than the {format_euros(available)} still available on {where} "
                    f"in {each_year} (this grant needs {format_euros(cents)})"
                ],
            )
        repository.stage(
            db,
            GrantAllocation(
                application_id=app.id, budget_id=budget.id, year=each_year, amount_cents=cents
            ),
        )
        left = available - cents
        if budget.amount_cents and Decimal(left) < WARN_BELOW * budget.amount_cents:
            warnings.append(
                f"this leaves {format_euros(left)} on {where} in {each_year}, less than "
                f"{WARN_BELOW * 100:.0f}% of its {format_euros(budget.amount_cents)}"
            )
        charged.append(
            {
                "year": each_year,
                "budget": where,
                "amount_cents": cents,
                "budget_cents": budget.amount_cents,
                "available_cents": available,
                "left_cents": left,
            }
        )
    conditions = _conditions(db, app, ctx, trigger) if trigger == "approve_with_conditions" else []
    repository.flush(db)
    return {
        "charged": charged,
        "warnings": warnings,
        "conditions": conditions,
        "follows_advice": follows_advice(ctx, trigger),
        **letters(move, years, conditions),
    }


@says("write the decision letter")
def decided(move: Move) -> dict[str, Any]:
    """Reject or defer: no money moves; the letter is rendered. A deferral follows the advice only
    where there is none yet: no advice recommends deferring."""
    return {
        "follows_advice": follows_advice(move.ctx, move.trigger),
        **letters(move, [], []),
    }


DAY_FIELDS = {"defer": "deferred_on"}  # the field of a decision's day; else `decided_on`


def decision_day(move: Move) -> dt.date:
    """The day the steering committee took the decision: the one given with it (`decided_on`,
    `deferred_on` for a deferral), else today. Not before the programme starts."""
    ctx, programme = move.ctx, move.programme
    field = DAY_FIELDS.get(move.trigger, "decided_on")
    if not ctx.gives(field):
        return move.unit.clock.today()
    day = dt.date.fromisoformat(str(ctx.data[field]))
    submitted = move.app.submitted_on
    if submitted is not None and day < submitted:
        raise GuardFailed(move.trigger, move.app.pk, [Missing(
            f"a decision date no earlier than the application's submission, "
            f"{submitted.isoformat()} ({field}; {day.isoformat()} was given)", field)])  # fmt: skip
    starts = programme.starts_on
    if starts is not None and day < starts:
        raise GuardFailed(
            move.trigger,
            move.app.pk,
            [
                Missing(
                    f"a decision date no earlier than the start of {programme.code}, "
                    f"{starts.isoformat()} ({field}; {day.isoformat()} was given)",
                    field,
                )
            ],
        )
    return day


def _budget_years(move: Move) -> list[int]:
    """The years a grant is charged to: from `budget_year` (default: the year of the decision)
    up to `spread_until`, each inside the programme's period."""
    app, programme, ctx, trigger = move.app, move.programme, move.ctx, move.trigger

    def refuse(need: str, field: str) -> GuardFailed:
        return GuardFailed(trigger, app.pk, [Missing(need, field)])

    decided = decision_day(move)
    given = ctx.data.get("budget_year")
    year = int(given) if given else decided.year
    until = int(ctx.data.get("spread_until") or year)
    span = period_text(programme)
    if not in_period(programme, year):
        if given:
            raise refuse(
                f"a budget year within the period of {programme.code}, {span} "
                f"(budget_year; {year} is outside it)",
                "budget_year",
            )
        when = "this year" if decided == move.unit.clock.today() else "the decision's year"
        raise refuse(
            f"a budget year within the period of {programme.code}, {span} "
            f"(budget_year; without one {when}, {year}, is charged, and it is "
            "outside the period)",
            "budget_year",
        )
    if until < year:
        raise refuse(
            f"a spread_until no earlier than the budget year {year} "
            f"(spread_until; {until} was given)",
            "spread_until",
        )
    if not in_period(programme, until):
        raise refuse(
            f"a spread_until within the period of {programme.code}, {span} "
            f"(spread_until; {until} is outside it)",
            "spread_until",
        )
    return list(range(year, until + 1))


def in_period(programme: Programme, year: int) -> bool:
    """Whether `year` falls in the programme's period (an open end admits every year)."""
    starts, ends = programme.starts_on, programme.ends_on
    return (starts is None or starts.year <= year) and (ends is None or year <= ends.year)


def period_text(programme: Programme) -> str:
    """The programme's period in years: `2018-2022`, `from 2023`, `up to 2022`, `open`."""
    starts, ends = programme.starts_on, programme.ends_on
    if starts and ends:
        return f"{starts.year}-{ends.year}"
    if starts:
        return f"from {starts.year}"
    return f"up to {ends.year}" if ends else "open"


def split(cents: int, parts: int) -> list[int]:
    """Split an amount into `parts` whole-cent shares that add up exactly; earlier years first."""
    base, rest = divmod(cents, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def _where(db: Session, budget: Budget, programme: Programme) -> str:
    line = repository.line(db, budget.line_id) if budget.line_id else None
    return f"{programme.code} line {line.code}" if line else f"{programme.code} (all lines)"


def _conditions(db: Session, app: Application, ctx: Context, trigger: str) -> list[dict[str, Any]]:
    created = []
    for number, item in enumerate(ctx.data["conditions"], start=1):
        owner = repository.person_by_email(db, item["owner"])
        if owner is None:
            raise GuardFailed(
                trigger, app.pk, [f"a known owner for condition {number} ({item['owner']})"]
            )
        repository.stage(
            db,
            GrantCondition(
                application_id=app.id,
                number=number,
                text=item["text"],
                due_on=dt.date.fromisoformat(item["due"]),
                owner_id=owner.id,
            ),
        )
        created.append({"number": number, **item})
    return created


def letters(move: Move, years: list[int], conditions: list[dict[str, Any]]) -> dict[str, Any]:
    """Render the decision letter in Dutch and English and keep both as sent."""
    from kracht.notifications.render import LANGUAGES, render
    from kracht.storage.tables import DecisionLetter

    db, app, ctx, trigger = move.unit.db, move.app, move.ctx, move.trigger
    programme = move.programme

    org = repository.organisation(db, app.applicant_org_id)
    facts = {
        "applicant": org.name if org else "",
        "title": app.title,
        "programme": programme.name,
        "date": decision_day(move).isoformat(),
        "outcome": trigger,
        "granted_cents": ctx.data.get("granted") or 0,
        "years": years,
        "conditions": conditions,
        "reason": ctx.reason or "",
        "advice": ctx.data.get("advice"),
        "follows_advice": follows_advice(ctx, trigger),
        "deferred_until": ctx.data.get("deferred_until") if ctx.gives("deferred_until") else None,
        "deferred_to_round": (
            ctx.data.get("deferred_to_round") if ctx.gives("deferred_to_round") else None
        ),
        "signer": move.unit.actor.name,
    }
    for language in LANGUAGES:
        text = render(
            "decision_letter.txt.j2",
            language,
            facts,
            programme.code,
            templates=move.unit.settings.templates.folder,
        )
        repository.stage(
            db, DecisionLetter(application_id=app.id, trigger=trigger, language=language, text=text)
        )
    return {"letter": {"languages": list(LANGUAGES)}}
