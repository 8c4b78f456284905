"""Money: budgets per programme, line and year with what is committed, reserved, paid out and
available, and each programme's multiplier; the programme leader sets a budget. The conditions
of conditional grants, open, met or overdue, and marking one met with its evidence. The same
services as `kracht budget` and `kracht conditions`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.errors import GuardRefused, InvalidInput, KrachtError, NotAllowed
from kracht.basics.euros import parse_euros
from kracht.web import guard, views
from kracht.workflow.services import approval_conditions, budgets, directory
from kracht.workflow.services.accounts import Signer

router = APIRouter(include_in_schema=False)
READERS = ("programme_leader", "steering_member", "auditor")
MENU = [
    (50, "/money/budgets", "money_budgets", READERS),
    (51, "/money/conditions", "money_conditions", READERS),
]
KEEPERS = tuple(str(r) for r in approval_conditions.CONDITION_KEEPERS)
SETTERS = ("programme_leader",)
Refusal = (InvalidInput, GuardRefused, NotAllowed)

WORDS = {
    "nl": {
        "money_budgets": "Begrotingen",
        "money_conditions": "Voorwaarden",
        "money_budgets_title": "Begrotingen per programma, actielijn en jaar",
        "money_filter": "Tonen",
        "money_all": "alle",
        "money_year": "Jaar",
        "money_kind": "Soort",
        "money_projects": "projecten",
        "money_development": "ontwikkeling",
        "money_budget": "Begroting",
        "money_committed": "Toegekend",
        "money_reserved": "Gereserveerd",
        "money_paid_out": "Uitbetaald",
        "money_available": "Beschikbaar",
        "money_pool": "(alle actielijnen)",
        "money_from_pool": "uit de gezamenlijke pot",
        "money_no_budgets": "Er zijn geen begrotingen.",
        "money_multiplier": "Multiplier",
        "money_multiplier_of": "partnergeld per toegekende euro",
        "money_partner_money": "Partnergeld",
        "money_public": "waarvan publiek",
        "money_regional": "Multiplier op regionale publieke middelen",
        "money_regional_public": "Regionaal publiek",
        "money_leveraged": "Aangetrokken",
        "money_regional_of": (
            "privaat, provinciaal, Rijk, EU en overig partnergeld per euro van de toekenningen "
            "plus gemeentelijk partnergeld; geld van onbekende bron telt niet mee"
        ),
        "money_granted": "Toegekend (vastgelegd)",
        "money_reserved_note": (
            "gereserveerd voor voorwaardelijke toekenningen; telt mee zodra aan de voorwaarden "
            "is voldaan"
        ),
        "money_target": "Doel",
        "money_set": "Begroting vastleggen",
        "money_line_pool": "Gezamenlijke pot (actielijnen zonder eigen begroting)",
        "money_amount": "Bedrag in euro",
        "money_or": "Of: aantal inwoners maal een bedrag per inwoner",
        "money_inhabitants": "Aantal inwoners",
        "money_per_inhabitant": "Bedrag per inwoner in euro",
        "money_save": "Vastleggen",
        "money_saved": "De begroting is vastgelegd.",
        "money_conditions_title": "Voorwaarden van voorwaardelijke toekenningen",
        "money_overdue_only": "Alleen verlopen voorwaarden",
        "money_number": "Nr.",
        "money_status": "Stand",
        "money_open": "open",
        "money_met": "voldaan",
        "money_overdue": "verlopen",
        "money_due": "Uiterlijk",
        "money_owner": "Eigenaar",
        "money_text": "Voorwaarde",
        "money_evidence": "Bewijs",
        "money_how_met": "Hoe is aan de voorwaarde voldaan?",
        "money_meet": "Markeer als voldaan",
        "money_met_on": "Voldaan op (leeg: vandaag)",
        "money_met_day": "voldaan op",
        "money_no_conditions": "Er zijn geen voorwaarden.",
        "money_met_saved": "De voorwaarde is als voldaan vastgelegd.",
    },
    "en": {
        "money_budgets": "Budgets",
        "money_conditions": "Conditions",
        "money_budgets_title": "Budgets per programme, line and year",
        "money_filter": "Show",
        "money_all": "all",
        "money_year": "Year",
        "money_kind": "Kind",
        "money_projects": "projects",
        "money_development": "development",
        "money_budget": "Budget",
        "money_committed": "Committed",
        "money_reserved": "Reserved",
        "money_paid_out": "Paid out",
        "money_available": "Available",
        "money_pool": "(all lines)",
        "money_from_pool": "from the shared pool",
        "money_no_budgets": "There are no budgets.",
        "money_multiplier": "Multiplier",
        "money_multiplier_of": "partner money per euro granted",
        "money_partner_money": "Partner money",
        "money_public": "of it public",
        "money_regional": "Multiplier on regional public money",
        "money_regional_public": "Regional public",
        "money_leveraged": "Leveraged",
        "money_regional_of": (
            "private, provincial, national, EU and other partner money per euro of the grants "
            "plus municipal partner money; money of unknown source is not counted"
        ),
        "money_granted": "Granted (committed)",
        "money_reserved_note": (
            "reserved for conditional grants; counted once their conditions are met"
        ),
        "money_target": "Target",
        "money_set": "Set a budget",
        "money_line_pool": "Shared pool (lines without a budget of their own)",
        "money_amount": "Amount in euros",
        "money_or": "Or: inhabitants times an amount per inhabitant",
        "money_inhabitants": "Inhabitants",
        "money_per_inhabitant": "Amount per inhabitant in euros",
        "money_save": "Set",
        "money_saved": "The budget is set.",
        "money_conditions_title": "Conditions of conditional grants",
        "money_overdue_only": "Overdue conditions only",
        "money_number": "No.",
        "money_status": "Status",
        "money_open": "open",
        "money_met": "met",
        "money_overdue": "overdue",
        "money_due": "Due",
        "money_owner": "Owner",
        "money_text": "Condition",
        "money_evidence": "Evidence",
        "money_how_met": "How was the condition met?",
        "money_meet": "Mark as met",
        "money_met_on": "Met on (empty: today)",
        "money_met_day": "met on",
        "money_no_conditions": "There are no conditions.",
        "money_met_saved": "The condition is recorded as met.",
    },
}


@router.get("/money/budgets")
def budget_page(
    request: Request,
    who: guard.SignedIn,
    programme: str | None = None,
    year: str | None = None,
    saved: str | None = None,
) -> Response:
    chosen = _year(year) if year else None
    return _budgets(request, who, programme or None, chosen, saved=bool(saved))


@router.post("/money/budgets")
def set_budget(request: Request, who: guard.SignedIn, form: guard.CheckedForm) -> Response:
    """Set a yearly budget (the programme leader); a refusal shown above the form."""
    typed = {k: str(v).strip() for k, v in form.items()}
    try:
        asked = _budget_asked(typed, who["language"])
        guard.site(request).pages.run(who["actor"], budgets.set_budget, **asked)
    except Refusal as refused:
        return _budgets(request, who, None, None, typed=typed, refused=refused)
    return RedirectResponse(f"/money/budgets?programme={asked['programme']}&saved=1", 303)


@router.get("/money/conditions")
def condition_page(
    request: Request,
    who: guard.SignedIn,
    application: int | None = None,
    overdue: str | None = None,
    saved: str | None = None,
) -> Response:
    return _conditions(request, who, application, bool(overdue), saved=bool(saved))


@router.post("/money/conditions/{application_id}/{number}/meet")
def meet(
    request: Request,
    application_id: int,
    number: int,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    """Record that a condition is met, with its evidence and the day it was met (empty:
    today) (programme leader, steering)."""
    evidence = str(form.get("evidence", ""))
    met_on = str(form.get("met_on", "")).strip()
    try:
        guard.site(request).pages.run(
            who["actor"], approval_conditions.meet_condition, application_id, number, evidence,
            met_on or None,
        )  # fmt: skip
    except Refusal as refused:
        typed = {f"evidence_{application_id}_{number}": evidence,
                 f"met_on_{application_id}_{number}": met_on}  # fmt: skip
        return _conditions(request, who, None, False, refused=refused, typed=typed)
    return RedirectResponse("/money/conditions?saved=1", 303)


def _budgets(
    request: Request,
    who: Signer,
    programme: str | None,
    year: int | None,
    refused: KrachtError | None = None,
    **context: Any,
) -> Response:
    pages = guard.site(request).pages
    view = pages.run(who["actor"], budgets.budget_overview, programme, year, None)
    programmes = pages.run(who["actor"], directory.list_programmes)
    status = refused.http_status if refused else 200
    return views.page(request, "money_budgets.html.j2", who, status, view=view,
                      programmes=programmes, chosen=programme, year=year, refused=refused,
                      may_set=who["actor"].holds(SETTERS), **context)  # fmt: skip


def _budget_asked(typed: dict[str, str], language: str) -> dict[str, Any]:
    """set_budget's arguments from the form: amounts read in the person's language."""
    inhabitants = typed.get("inhabitants", "").replace(".", "").replace(",", "")
    if inhabitants and not inhabitants.isdigit():
        raise InvalidInput(f"inhabitants: {inhabitants[:20]!r} is not a whole number",
                           field="inhabitants")  # fmt: skip
    return {
        "programme": typed.get("programme", ""),
        "year": _year(typed.get("year", "")),
        "kind": typed.get("kind") or "projects",
        "line": typed.get("line") or None,
        "amount": _euros(typed.get("amount", ""), "amount", language),
        "inhabitants": int(inhabitants) if inhabitants else None,
        "per_inhabitant": _euros(typed.get("per_inhabitant", ""), "per_inhabitant", language),
    }


def _year(raw: str) -> int:
    if not (raw.isdigit() and len(raw) == 4):
        raise InvalidInput(f"year: {raw[:20]!r} is not a year", field="year")
    return int(raw)


def _euros(raw: str, field: str, language: str) -> str | None:
    """An amount read in the person's language, passed on exactly (`64389.50`); None if empty."""
    if not raw:
        return None
    cents = parse_euros(raw, field.replace("_", " "), language)
    return f"{cents // 100}.{cents % 100:02d}"


def _conditions(
    request: Request,
    who: Signer,
    application_id: int | None,
    overdue: bool,
    refused: KrachtError | None = None,
    **context: Any,
) -> Response:
    rows = guard.site(request).pages.run(
        who["actor"], approval_conditions.list_conditions, application_id, overdue
    )
    status = refused.http_status if refused else 200
    return views.page(request, "money_conditions.html.j2", who, status, conditions=rows,
                      overdue=overdue, application=application_id, refused=refused,
                      may_meet=who["actor"].holds(KEEPERS), **context)  # fmt: skip
