"""Applications: the list a person may see, one application's record, and its next steps as
buttons that fire the same triggers as the command line (a refusal shows what is missing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.errors import GuardRefused
from kracht.web import guard, views
from kracht.workflow import engine
from kracht.workflow.services import applications
from kracht.workflow.services.accounts import Signer

router = APIRouter(include_in_schema=False)
MENU = [(20, "/applications", "applications", ())]


@router.get("/applications")
def application_list(request: Request, who: guard.SignedIn, state: str | None = None) -> Response:
    found = guard.site(request).pages.run(who["actor"], applications.list_all, state or None)
    return views.page(request, "applications.html.j2", who, applications=found, state=state)


@router.get("/applications/{application_id}")
def application_page(request: Request, application_id: int, who: guard.SignedIn) -> Response:
    return _shown(request, who, application_id)


def _shown(
    request: Request, who: Signer, application_id: int, status: int = 200, **context: Any
) -> Response:
    pages = guard.site(request).pages
    record = pages.run(who["actor"], applications.facts, application_id)
    steps = [{**step, "mine": who["actor"].holds(step["roles"])} for step in record.get("next", [])]
    return views.page(request, "application.html.j2", who, status, app=record, steps=steps,
                      **context)  # fmt: skip


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
        return _shown(request, who, application_id, refused.http_status, refused=refused,
                      tried=trigger)  # fmt: skip
    return RedirectResponse(f"/applications/{application_id}", 303)
