"""The figures of the two yearly documents on money (domain.md 7.2 and 6.2):

- the annual accounts (jaarrekening, May): per programme the year's budgets per line with what
  is committed, reserved, paid out and available, and the development budget against its cap
  (at most development_cap_percent, 12.5%, of the year's project budget);
- the annual plan (jaarplan, December): for the coming year the pipeline by stage, the budgets
  of the year, the multi-year grants already charged to it, and what is available.

Both read the budgets as `kracht budget show` does (workflow/services/budgets.py budget_rows);
a year without budgets is refused, as there is nothing to account for or plan with.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import InvalidInput
from kracht.storage import reporting as store
from kracht.storage import repository
from kracht.workflow.services import budgets

if TYPE_CHECKING:
    from sqlmodel import Session

MONEY = ("budget_cents", "committed_cents", "reserved_cents", "paid_out_cents",
         "available_cents")  # fmt: skip
ENDED = ("closed", "rejected", "withdrawn")  # no longer in the pipeline the plan shows


def year_budgets(db: Session, programme: str | None, year: int) -> list[budgets.BudgetRow]:
    """The year's budgets; refused when there are none."""
    rows = budgets.budget_rows(db, programme, year)
    if not rows:
        where = f" of programme {programme}" if programme else ""
        raise InvalidInput(
            f"there are no budgets{where} for {year}; choose a year with budgets", field="year"
        )
    return rows


def _sum(rows: list[Any]) -> dict[str, int]:
    return {key: sum(r[key] for r in rows) for key in MONEY}


def _share(cents: int, of_cents: int) -> Decimal | None:
    if not of_cents:
        return None
    return (Decimal(100 * cents) / of_cents).quantize(Decimal("0.1"), ROUND_HALF_UP)


def accounts(db: Session, year: int, programme: str | None) -> dict[str, Any]:
    """Per programme with budgets in `year`: its budgets per line and its development budget
    against the cap."""
    rows = year_budgets(db, programme, year)
    result = []
    for record in repository.programmes_by_code(db):
        own = [r for r in rows if r["programme"] == record.code]
        if not own:
            continue
        projects = [r for r in own if r["kind"] == "projects"]
        development = _sum([r for r in own if r["kind"] == "development"])
        percent = budgets.development_cap(db, record)
        project_budget = sum(r["budget_cents"] for r in projects)
        cap = int((Decimal(project_budget) * percent / 100).to_integral_value(ROUND_HALF_UP))
        result.append(
            {
                "code": record.code,
                "label": record.name,
                "rows": own,
                "totals": _sum(own),
                "development": {
                    "cap_percent": percent,
                    "project_budget_cents": project_budget,
                    "cap_cents": cap,
                    "budget_cents": development["budget_cents"],
                    "committed_cents": development["committed_cents"],
                    "paid_out_cents": development["paid_out_cents"],
                    "budget_percent": _share(development["budget_cents"], project_budget),
                    "committed_percent": _share(development["committed_cents"], project_budget),
                    "paid_out_percent": _share(development["paid_out_cents"], project_budget),
                    "within_cap": development["budget_cents"] <= cap
                    and development["committed_cents"] <= cap,
                },
            }
        )
    totals = _sum(rows)
    totals["development_cents"] = sum(p["development"]["budget_cents"] for p in result)
    totals["development_paid_out_cents"] = sum(p["development"]["paid_out_cents"] for p in result)
    return {"programmes": result, "totals": totals}


def plan(db: Session, year: int, programme: str | None, pipeline: list[Any]) -> dict[str, Any]:
    """The coming year's budgets, the multi-year grants charged to it and what is available."""
    rows = year_budgets(db, programme, year)
    granted = store.granted_by_application(db)
    grants = []
    for a in repository.list_applications(db, programme=programme):
        years = granted.get(a["id"], {})
        if len(years) < 2 or year not in years:
            continue
        grants.append(
            {
                "id": a["id"],
                "title": a["title"],
                "programme": a["programme"],
                "state": a["state"],
                "first_year": min(years),
                "last_year": max(years),
                "granted_cents": sum(years.values()),
                "year_cents": years[year],
            }
        )
    available: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        entry = available.setdefault(
            (r["programme"], r["kind"]),
            {"programme": r["programme"], "kind": r["kind"], "budget_cents": 0, "taken_cents": 0,
             "available_cents": 0},
        )  # fmt: skip
        entry["budget_cents"] += r["budget_cents"]
        entry["taken_cents"] += r["committed_cents"] + r["reserved_cents"]
        entry["available_cents"] += r["available_cents"]
    totals = _sum(rows)
    totals["applications"] = sum(p["count"] for p in pipeline)
    totals["multi_year_cents"] = sum(g["year_cents"] for g in grants)
    return {
        "budgets": rows,
        "grants": grants,
        "available": list(available.values()),
        "totals": totals,
    }
