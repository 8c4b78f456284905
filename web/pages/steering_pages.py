"""Steering: the applications awaiting a decision; the decision form, previewed as a dry run
(what it would charge per year, what would be left, the warnings) before the person confirms
it; and the decision letter in Dutch or English. The same service as `kracht decide`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.actors import require
from kracht.basics.errors import GuardRefused, InvalidInput, KrachtError, NotAllowed, WrongState
from kracht.basics.euros import parse_euros
from kracht.web import guard, views
from kracht.workflow.services import applications, decisions
from kracht.workflow.services.accounts import Signer
from kracht.workflow.unit import Unit

router = APIRouter(include_in_schema=False)
DECIDERS = ("steering_member", "programme_leader")
MENU = [(40, "/steering", "steering_menu", DECIDERS)]
CONDITION_ROWS = 3  # empty condition rows the form offers (one more once they are filled)
MAX_CONDITIONS = 50
TEXTS = ("reason", "departure_rationale", "deferred_until", "deferred_to_round", "decided_on")

WORDS = {
    "nl": {
        "steering_menu": "Besluiten",
        "steering_title": "Aanvragen die op een besluit wachten",
        "steering_none": "Er wacht geen aanvraag op een besluit.",
        "steering_decide": "Besluit over deze aanvraag",
        "steering_outcome": "Besluit",
        "steering_approve": "Toekennen",
        "steering_approve_with_conditions": "Toekennen onder voorwaarden",
        "steering_reject": "Afwijzen",
        "steering_defer": "Uitstellen",
        "steering_reason": "Motivering (komt in de besluitbrief)",
        "steering_decided_on": "Datum van de vergadering (leeg: vandaag)",
        "steering_amount": "Toegekend bedrag in euro",
        "steering_year": "Begrotingsjaar (leeg: het jaar van het besluit)",
        "steering_spread": "Verdelen tot en met jaar",
        "steering_development": "Ten laste van het ontwikkelbudget",
        "steering_conditions": "Voorwaarden",
        "steering_condition": "Voorwaarde",
        "steering_due": "Uiterlijk (JJJJ-MM-DD)",
        "steering_owner": "Eigenaar (e-mailadres)",
        "steering_text": "Tekst",
        "steering_departure": "Waarom het besluit afwijkt van het advies",
        "steering_until": "Uitstellen tot (JJJJ-MM-DD)",
        "steering_to_round": "Of uitstellen naar ronde",
        "steering_preview": "Bekijk wat dit besluit doet",
        "steering_preview_title": "Voorbeeld: er is nog niets vastgelegd",
        "steering_would_go": "De aanvraag zou gaan van",
        "steering_to": "naar",
        "steering_charged": "Wat het per jaar ten laste brengt",
        "steering_charged_none": "Dit besluit brengt geen geld ten laste.",
        "steering_budget": "Begroting",
        "steering_year_col": "Jaar",
        "steering_charge": "Ten laste",
        "steering_available": "Beschikbaar nu",
        "steering_left": "Daarna over",
        "steering_of": "van",
        "steering_warnings": "Let op",
        "steering_confirm": "Besluit definitief nemen",
        "steering_confirm_hint": (
            "Dit legt precies het besluit hierboven vast, met de besluitbrief."
        ),
        "steering_advice": "Advies van de commissie",
        "steering_letter": "Besluitbrief",
        "steering_letter_in": "Lees de brief in het",
        "steering_dutch": "Nederlands",
        "steering_english": "Engels",
        "steering_record": "Naar de aanvraag",
        "steering_optional": "optioneel",
        "steering_letter_preview": "De besluitbrief die zou worden verstuurd",
    },
    "en": {
        "steering_menu": "Decisions",
        "steering_title": "Applications awaiting a decision",
        "steering_none": "No application awaits a decision.",
        "steering_decide": "Decide on this application",
        "steering_outcome": "Decision",
        "steering_approve": "Approve",
        "steering_approve_with_conditions": "Approve with conditions",
        "steering_reject": "Reject",
        "steering_defer": "Defer",
        "steering_reason": "Reasons (quoted in the decision letter)",
        "steering_decided_on": "Date of the meeting (empty: today)",
        "steering_amount": "Amount granted in euros",
        "steering_year": "Budget year (empty: the year of the decision)",
        "steering_spread": "Spread up to and including year",
        "steering_development": "Charge the development budget",
        "steering_conditions": "Conditions",
        "steering_condition": "Condition",
        "steering_due": "Due (YYYY-MM-DD)",
        "steering_owner": "Owner (e-mail address)",
        "steering_text": "Text",
        "steering_departure": "Why the decision departs from the advice",
        "steering_until": "Defer until (YYYY-MM-DD)",
        "steering_to_round": "Or defer to round",
        "steering_preview": "Preview what this decision does",
        "steering_preview_title": "Preview: nothing has been recorded yet",
        "steering_would_go": "The application would go from",
        "steering_to": "to",
        "steering_charged": "What it charges per year",
        "steering_charged_none": "This decision charges no money.",
        "steering_budget": "Budget",
        "steering_year_col": "Year",
        "steering_charge": "Charged",
        "steering_available": "Available now",
        "steering_left": "Left after",
        "steering_of": "of",
        "steering_warnings": "Mind",
        "steering_confirm": "Take this decision",
        "steering_confirm_hint": "This records exactly the decision above, with its letter.",
        "steering_advice": "The committee's advice",
        "steering_letter": "Decision letter",
        "steering_letter_in": "Read the letter in",
        "steering_dutch": "Dutch",
        "steering_english": "English",
        "steering_record": "To the application",
        "steering_optional": "optional",
        "steering_letter_preview": "The decision letter that would be sent",
    },
}


@router.get("/steering")
def waiting(request: Request, who: guard.SignedIn) -> Response:
    """The applications awaiting the steering decision (as far as the person sees them)."""
    found = guard.site(request).pages.run(who["actor"], applications.list_all, "steering_decision")
    return views.page(request, "steering_list.html.j2", who, applications=found)


@router.get("/steering/{application_id}")
def decision_form(request: Request, application_id: int, who: guard.SignedIn) -> Response:
    return _form(request, who, application_id)


@router.post("/steering/{application_id}/preview")
def preview(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Run the decision and roll it back: every check of the real one, nothing written."""
    try:
        asked = _asked(form, who["language"])
        result = guard.site(request).pages.try_out(
            who["actor"], _decided_with_letter, application_id, asked["outcome"],
            who["language"], asked["kwargs"],
        )  # fmt: skip
    except (InvalidInput, GuardRefused, NotAllowed) as refused:
        return _form(request, who, application_id, form, refused)
    return _form(request, who, application_id, form, result=result, asked=asked)


@router.post("/steering/{application_id}/decide")
def decide(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Take the decision previewed, refused if the application changed since the preview."""
    version = str(form.get("version", ""))
    try:
        asked = _asked(form, who["language"])
        guard.site(request).pages.run(
            who["actor"], decisions.decide, application_id, asked["outcome"],
            **asked["kwargs"], expected_version=int(version) if version.isdigit() else None,
        )  # fmt: skip
    except (InvalidInput, GuardRefused, NotAllowed) as refused:
        return _form(request, who, application_id, form, refused)
    return RedirectResponse(f"/steering/{application_id}/letter", 303)


@router.get("/steering/{application_id}/letter")
def letter(
    request: Request, application_id: int, who: guard.SignedIn, lang: str | None = None
) -> Response:
    """The decision letter as it was written, in the person's language or the one asked."""
    language = lang if lang in ("nl", "en") else who["language"]
    pages = guard.site(request).pages
    text = pages.run(who["actor"], decisions.letter, application_id, language)
    record = pages.run(who["actor"], applications.show, application_id)
    return views.page(request, "steering_letter.html.j2", who, app=record, letter=text,
                      letter_language=language)  # fmt: skip


def _decided_with_letter(
    unit: Unit, application_id: int, outcome: str, language: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The decision and the letter it writes, in one unit (a dry run rolls both back)."""
    decided = decisions.decide(unit, application_id, outcome, **kwargs)
    return {**decided, "letter": decisions.letter(unit, application_id, language)}


def _form(
    request: Request,
    who: Signer,
    application_id: int,
    form: dict[str, Any] | None = None,
    refused: KrachtError | None = None,
    **context: Any,
) -> Response:
    """The decision form, with what was typed; a refusal shown with its status."""
    actor = who["actor"]
    record = guard.site(request).pages.run(actor, applications.show, application_id)
    steps = [s for s in record.get("next", []) if s["trigger"] in decisions.OUTCOMES]
    if not steps:
        raise WrongState(application_id, record["state"], "decide",
                         [s["trigger"] for s in record.get("next", [])])  # fmt: skip
    require(
        actor, {r for s in steps for r in s["roles"]}, f"decide on application {application_id}"
    )
    outcomes = [s["trigger"] for s in steps if actor.holds(s["roles"])]
    typed = {k: str(v) for k, v in (form or {}).items()}
    filled = len(_conditions(typed, strict=False))
    rows = range(1, min(MAX_CONDITIONS, max(CONDITION_ROWS, filled + 1)) + 1)
    status = refused.http_status if refused else 200
    return views.page(request, "steering_decide.html.j2", who, status, app=record,
                      outcomes=outcomes, typed=typed, rows=rows, refused=refused,
                      **context)  # fmt: skip


def _asked(form: dict[str, Any], language: str) -> dict[str, Any]:
    """The decision's arguments from the form: amounts read in the person's language and
    passed on exactly (`64389.50`), empty fields left out, so that the service judges them."""
    typed = {k: str(v).strip() for k, v in form.items()}
    kwargs: dict[str, Any] = {name: typed.get(name) or None for name in TEXTS}
    if typed.get("amount"):
        cents = parse_euros(typed["amount"], "amount", language)
        kwargs["amount"] = f"{cents // 100}.{cents % 100:02d}"
    for name in ("year", "spread_until"):
        kwargs[name] = _year(typed.get(name, ""), name)
    kwargs["development"] = typed.get("development") == "yes"
    kwargs["conditions"] = _conditions(typed, strict=True)
    return {"outcome": typed.get("outcome", ""), "kwargs": kwargs}


def _year(raw: str, field: str) -> int | None:
    if not raw:
        return None
    if not (raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= 2100):
        raise InvalidInput(f"{field.replace('_', ' ')}: {raw[:20]!r} is not a year from 2000 "
                           "to 2100", field=field)  # fmt: skip
    return int(raw)


def _conditions(typed: dict[str, str], *, strict: bool) -> list[tuple[str, str, str]]:
    """The condition rows filled in, in order; with `strict`, a row half filled is refused."""
    found = []
    for number in range(1, MAX_CONDITIONS + 1):
        row = tuple(typed.get(f"condition_{part}_{number}", "").strip()
                    for part in ("due", "owner", "text"))  # fmt: skip
        if not any(row):
            continue
        if strict and not all(row):
            raise InvalidInput(f"condition {number}: give its due date, owner and text",
                               field=f"condition_{number}")  # fmt: skip
        found.append((row[0], row[1], row[2]))
    return found
