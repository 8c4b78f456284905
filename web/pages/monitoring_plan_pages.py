"""Monitoring, the programme leader's part: replan a project's reports (cadence, start, end) and
close a project out with its final report and final values, in one transaction (the same
services as `kracht monitor replan` and `close`). The forms sit on the project's monitoring page
(web/pages/monitoring_pages.py); the services decide who may use them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.errors import InvalidInput, KrachtError
from kracht.web import guard
from kracht.web.pages import monitoring_pages
from kracht.workflow.services import progress_reports
from kracht.workflow.services.accounts import Signer

router = APIRouter(include_in_schema=False)

WORDS = {
    "nl": {
        "plan_replan_title": "Rapportages opnieuw plannen",
        "plan_replan_intro": (
            "Ingediende rapportages blijven staan; de open rapportages worden opnieuw gepland. "
            "Laat een veld leeg om het te houden zoals het is."
        ),
        "plan_every": "Elke (maanden)",
        "plan_keep": "zoals nu",
        "plan_start": "Vanaf",
        "plan_until": "Tot en met",
        "plan_replan": "Opnieuw plannen",
        "plan_replanned": "De rapportages zijn opnieuw gepland.",
        "plan_close_title": "Project afsluiten",
        "plan_close_intro": (
            "Met het eindverslag en een eindwaarde voor elke indicator gaat het project naar "
            "afgesloten. Dat kan pas als elke rapportage die al moest, is ingediend."
        ),
        "plan_final_report": "Eindverslag",
        "plan_spent": "Besteed in totaal",
        "plan_final_value": "Eindwaarde",
        "plan_reason": "Toelichting (optioneel)",
        "plan_close": "Project afsluiten",
        "plan_closed": "Het project is afgesloten.",
    },
    "en": {
        "plan_replan_title": "Replan the reports",
        "plan_replan_intro": (
            "Submitted reports stay; the open reports are planned anew. Leave a field empty to "
            "keep it as it is."
        ),
        "plan_every": "Every (months)",
        "plan_keep": "as now",
        "plan_start": "From",
        "plan_until": "Until",
        "plan_replan": "Replan",
        "plan_replanned": "The reports are replanned.",
        "plan_close_title": "Close the project",
        "plan_close_intro": (
            "With the final report and a final value for every indicator the project is closed. "
            "That needs every report that fell due to be submitted."
        ),
        "plan_final_report": "Final report",
        "plan_spent": "Spent in total",
        "plan_final_value": "Final value",
        "plan_reason": "Remark (optional)",
        "plan_close": "Close the project",
        "plan_closed": "The project is closed.",
    },
}


@router.post("/monitoring/{application_id}/replan")
def replan(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Replan the project's open reports: a new cadence, start or end (empty: as it is)."""
    entered = {k: str(v).strip() for k, v in form.items()}
    try:
        guard.site(request).pages.run(
            who["actor"], progress_reports.replan, application_id,
            every_months=_months(entered.get("every", "")),
            start_on=entered.get("start") or None, end_on=entered.get("until") or None,
        )  # fmt: skip
    except KrachtError as refused:
        return _refused(request, who, application_id, refused, entered, "replan")
    return RedirectResponse(f"/monitoring/{application_id}?done=replanned", 303)


@router.post("/monitoring/{application_id}/close")
def close(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Close the project out: final report, spending in total, a final value per indicator."""
    entered = {k: str(v) for k, v in form.items()}
    values = {
        key.removeprefix("final-"): value.strip()
        for key, value in entered.items()
        if key.startswith("final-") and value.strip()
    }
    try:
        guard.site(request).pages.run(
            who["actor"], progress_reports.close_out, application_id,
            final_report=entered.get("final_report", ""), spent=entered.get("final_spent", ""),
            values=values, reason=entered.get("reason", "").strip() or None,
        )  # fmt: skip
    except KrachtError as refused:
        return _refused(request, who, application_id, refused, entered, "close")
    return RedirectResponse(f"/monitoring/{application_id}?done=closed", 303)


def _months(raw: str) -> int | None:
    """The reporting interval chosen (empty: keep it); the service names the ones it takes."""
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(
            f"the reporting interval {raw[:20]!r} is not a number of months: 1, 3, 6 or 12",
            field="every", label="the reporting interval",
        )  # fmt: skip
    return int(raw)


def _refused(
    request: Request,
    who: Signer,
    application_id: int,
    refused: KrachtError,
    entered: dict[str, str],
    form: str,
) -> Response:
    """The project's page again with the refusal beside the form and what was typed; refusals
    that are not the form's (not allowed, say) go to the error page."""
    if refused.http_status not in monitoring_pages.SHOWN_HANDLED:
        raise refused
    return monitoring_pages.shown(
        request, who, application_id, refused.http_status, refused=refused, entered=entered,
        form=form,
    )  # fmt: skip
