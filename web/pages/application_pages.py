"""Applications: the list a person may see, one application's record with links to the pages
where its work is done (committee, decision, monitoring, timeline) as far as they concern the
person, and its next steps as buttons that fire the same triggers as the command line (a refusal
shows what is missing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.actors import Actor
from kracht.basics.errors import GuardRefused
from kracht.web import guard, views
from kracht.web.pages import audit_pages, committee_pages
from kracht.workflow import engine
from kracht.workflow.services import applications, attachments, decisions
from kracht.workflow.services.accounts import Signer

router = APIRouter(include_in_schema=False)
MENU = [(20, "/applications", "applications", ())]
MONITORED = ("monitoring", "closed")  # states with a report schedule
PAST_THE_COMMITTEE = ("steering_decision", "approved_with_conditions", "rejected", *MONITORED)
TIMELINE_ROLES = audit_pages.MENU[0][3]  # who has the audit desk

WORDS = {
    "nl": {
        "application_pages": "Verder met deze aanvraag",
        "application_to_committee": "Beoordelingscommissie",
        "application_to_decision": "Besluit nemen",
        "application_to_monitoring": "Monitoring",
        "application_to_timeline": "Tijdlijn (audittrail)",
    },
    "en": {
        "application_pages": "Work on this application",
        "application_to_committee": "Assessment committee",
        "application_to_decision": "Take the decision",
        "application_to_monitoring": "Monitoring",
        "application_to_timeline": "Timeline (audit trail)",
    },
}


@router.get("/applications")
def application_list(request: Request, who: guard.SignedIn, state: str | None = None) -> Response:
    found = guard.site(request).pages.run(who["actor"], applications.list_all, state or None)
    return views.page(request, "applications.html.j2", who, applications=found, state=state)


@router.get("/applications/{application_id}")
def application_page(request: Request, application_id: int, who: guard.SignedIn) -> Response:
    return shown(request, who, application_id)


def shown(
    request: Request, who: Signer, application_id: int, status: int = 200, **context: Any
) -> Response:
    pages = guard.site(request).pages
    record = pages.run(who["actor"], applications.facts, application_id)
    steps = [{**step, "mine": who["actor"].holds(step["roles"])} for step in record.get("next", [])]
    attached = pages.run(who["actor"], attachments.attached, application_id)
    return views.page(request, "application.html.j2", who, status, app=record, steps=steps,
                      links=_links(who["actor"], record, steps), attached=attached,
                      kinds=attachments.KINDS, **context)  # fmt: skip


def _links(
    actor: Actor, record: dict[str, Any], steps: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """The pages about this application that concern `actor` now: (its path, its word). The
    state says which there are (a withdrawn one's state before it): only the road reaches a
    decision through the committee, and monitoring plans the reports."""
    number = record["id"]
    state = record["previous_state"] if record["state"] == "withdrawn" else record["state"]
    committee = state in committee_pages.STATES or state in PAST_THE_COMMITTEE
    deciding = state == "steering_decision" and any(
        s["mine"] for s in steps if s["trigger"] in decisions.OUTCOMES
    )
    monitored = state in MONITORED
    shown = (
        (f"/committee/{number}", "committee", committee and actor.holds(committee_pages.ROLES)),
        (f"/steering/{number}", "decision", deciding),
        (f"/monitoring/{number}", "monitoring", monitored),
        (f"/audit/applications/{number}", "timeline", actor.holds(TIMELINE_ROLES)),
    )
    return [(path, f"application_to_{word}") for path, word, wanted in shown if wanted]


@router.post("/applications/{application_id}/fire/{trigger}")
def fire(
    request: Request,
    application_id: int,
    trigger: str,
    who: guard.SignedIn,
    form: guard.CheckedForm,
) -> Response:
    """Fire `trigger`, checking the version the page showed (a change in between is refused)."""
    reason = str(form.get("reason", "")).strip() or None
    version = form.get("version")
    expected = int(version) if isinstance(version, str) and version.isdigit() else None
    try:
        guard.site(request).pages.run(
            who["actor"], engine.fire, application_id, trigger, reason=reason,
            expected_version=expected,
        )  # fmt: skip
    except GuardRefused as refused:
        return shown(request, who, application_id, refused.http_status, refused=refused,
                      tried=trigger)  # fmt: skip
    return RedirectResponse(f"/applications/{application_id}", 303)
