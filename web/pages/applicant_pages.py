"""The applicant's own page: their organisation's applications and where each stands, the
decision letters, and the progress reports due (submitted on the project's monitoring page).
What an applicant may see and do is the services' to decide, on every request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kracht.basics.actors import require
from kracht.basics.roles import Role
from kracht.web import guard, views
from kracht.web.texts import LANGUAGES
from kracht.workflow.services import applications, decisions, monitor_views
from kracht.workflow.unit import Unit, reads

router = APIRouter(include_in_schema=False)
MENU = [(15, "/organisation", "applicant_menu", ("applicant",))]

WORDS = {
    "nl": {
        "applicant_menu": "Mijn organisatie",
        "applicant_title": "De aanvragen van uw organisatie",
        "applicant_none": "Uw organisatie heeft nog geen aanvragen.",
        "applicant_stands": "Waar het staat",
        "applicant_your_steps": "Wat u nu kunt doen",
        "applicant_decision": "Besluit",
        "applicant_granted": "Toegekend",
        "applicant_letter": "Besluitbrief",
        "applicant_letter_of": "Besluitbrief over",
        "applicant_lang_nl": "Nederlands",
        "applicant_lang_en": "Engels",
        "applicant_due_title": "Rapportages die u moet indienen",
        "applicant_none_due": "Er staat nu geen rapportage open.",
        "applicant_submit": "Indienen",
        "applicant_light": "Laatste stoplicht",
        "applicant_nothing_now": "Nu niets: de volgende stap is aan het programma.",
    },
    "en": {
        "applicant_menu": "My organisation",
        "applicant_title": "Your organisation's applications",
        "applicant_none": "Your organisation has no applications yet.",
        "applicant_stands": "Where it stands",
        "applicant_your_steps": "What you can do now",
        "applicant_decision": "Decision",
        "applicant_granted": "Granted",
        "applicant_letter": "Decision letter",
        "applicant_letter_of": "Decision letter on",
        "applicant_lang_nl": "Dutch",
        "applicant_lang_en": "English",
        "applicant_due_title": "Reports for you to submit",
        "applicant_none_due": "No report is open now.",
        "applicant_submit": "Submit",
        "applicant_light": "Latest traffic light",
        "applicant_nothing_now": "Nothing now: the next step is the programme's.",
    },
}


@reads
def _standing(unit: Unit) -> dict[str, Any]:
    """Each of the organisation's applications with where it stands, and the reports due."""
    actor = unit.actor
    require(actor, (Role.APPLICANT,), "see an applicant organisation's overview")
    today = unit.clock.today().isoformat()
    shown = []
    for row in applications.list_all(unit):
        record = applications.show(unit, row["id"])
        decision = record["decision"]
        shown.append(
            {
                "id": record["id"],
                "title": record["title"],
                "state": record["state"],
                "requested_cents": record["requested_cents"],
                "outcome": decision["outcome"],
                "decided_at": decision["decided_at"],
                "granted_cents": decision["granted_cents"],
                "light": record["monitoring"]["latest_light"],
                "steps": [s for s in record["next"] if actor.holds(s["roles"])],
            }
        )
    due = [
        r
        for r in monitor_views.reports(unit)
        if r["status"] in ("due", "late") and r["period_start"] <= today
    ]
    return {"applications": shown, "due": due}


@reads
def _letter(unit: Unit, application_id: int, language: str) -> dict[str, Any]:
    text = decisions.letter(unit, application_id, language)  # refuses another's letter
    record = applications.show(unit, application_id)
    return {"app": {"id": record["id"], "title": record["title"]}, "text": text}


@router.get("/organisation")
def standing(request: Request, who: guard.SignedIn) -> Response:
    found = guard.site(request).pages.run(who["actor"], _standing)
    return views.page(request, "applicant_overview.html.j2", who, **found)


@router.get("/organisation/letters/{application_id}")
def letter(
    request: Request, application_id: int, who: guard.SignedIn, language: str | None = None
) -> Response:
    shown = language if language in LANGUAGES else who["language"]
    found = guard.site(request).pages.run(who["actor"], _letter, application_id, shown)
    other = next(code for code in LANGUAGES if code != shown)
    return views.page(request, "applicant_letter.html.j2", who, **found, shown=shown, other=other)
