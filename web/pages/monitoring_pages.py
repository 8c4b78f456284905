"""Monitoring: a project's report schedule with its traffic lights over time, the progress-report
form and measured values (the same services as `kracht monitor submit` and `value`), and the
reports across projects, late ones first. The services decide who may see and do what."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.errors import KrachtError
from kracht.states.monitoring import LIGHTS, PLANNERS, REPORTERS
from kracht.web import flash, guard, views
from kracht.workflow.schedule import EVERY
from kracht.workflow.services import monitor_views, progress_reports
from kracht.workflow.services.accounts import Signer
from kracht.workflow.unit import Unit, reads

router = APIRouter(include_in_schema=False)
INSIDERS = ("programme_leader", "innovation_table_chair", "committee_member", "committee_chair",
            "steering_member", "auditor")  # fmt: skip
MENU = [(40, "/monitoring", "monitoring_menu", INSIDERS)]
OPEN = ("due", "late")
SHOWN_HANDLED = (400, 404, 409, 422)  # refusals of a form shown beside the form itself
DONE = ("replanned", "closed")  # notices after the plan's forms (web/pages/monitoring_plan_pages)
WARNINGS = 5  # spending warnings carried to the next page (the service gives at most two)
SPENDING = ("above_grant", "below_before")  # the kinds of spending warning, each worded here

WORDS = {
    "nl": {
        "monitoring_menu": "Monitoring",
        "monitoring_title": "Monitoring van projecten",
        "monitoring_late": "Te late rapportages",
        "monitoring_none_late": "Er is geen rapportage te laat.",
        "monitoring_all": "Alle rapportages",
        "monitoring_filter": "Tonen",
        "monitoring_status": "Status",
        "monitoring_any": "alle",
        "monitoring_project": "Project",
        "monitoring_report": "Rapportage",
        "monitoring_period": "Periode",
        "monitoring_due": "Uiterlijk",
        "monitoring_days_late": "Dagen te laat",
        "monitoring_light": "Stoplicht",
        "monitoring_spent": "Besteed tot nu toe",
        "monitoring_by": "Ingediend door",
        "monitoring_received": "Ontvangen op",
        "monitoring_schedule": "Rapportageschema",
        "monitoring_no_schedule": "Nog geen rapportageschema: dat komt er bij de toekenning.",
        "monitoring_every": "Elke (maanden)",
        "monitoring_due_after": "In te dienen na afloop (maanden)",
        "monitoring_from": "Vanaf",
        "monitoring_until": "Tot en met",
        "monitoring_over_time": "Stoplicht door de tijd",
        "monitoring_no_lights": "Nog geen ingediende rapportage.",
        "monitoring_reports": "Rapportages",
        "monitoring_indicators": "Indicatoren en gemeten waarden",
        "monitoring_unit": "Eenheid",
        "monitoring_baseline": "Nulmeting",
        "monitoring_target": "Doel",
        "monitoring_latest": "Laatst gemeten",
        "monitoring_progress": "Voortgang",
        "monitoring_values": "Waarden",
        "monitoring_submit_title": "Voortgangsrapportage indienen",
        "monitoring_which": "Rapportage",
        "monitoring_narrative": "Wat is er in deze periode gebeurd?",
        "monitoring_measures": "Genomen maatregelen",
        "monitoring_measures_hint": "Verplicht bij rood.",
        "monitoring_spent_hint": "In euro's, opgeteld sinds de start, bijvoorbeeld 12.500,50.",
        "monitoring_value_of": "Gemeten",
        "monitoring_received_hint": "Alleen als de rapportage eerder binnenkwam (per post).",
        "monitoring_send": "Rapportage indienen",
        "monitoring_submitted": "Rapportage ingediend",
        "monitoring_value_title": "Een gemeten waarde vastleggen",
        "monitoring_indicator": "Indicator",
        "monitoring_value": "Waarde",
        "monitoring_on": "Gemeten op",
        "monitoring_note": "Bron of opmerking",
        "monitoring_record": "Waarde vastleggen",
        "monitoring_recorded": "Waarde vastgelegd",
        "monitoring_open_application": "Naar de aanvraag",
        "monitoring_light_green": "groen",
        "monitoring_light_orange": "oranje",
        "monitoring_light_red": "rood",
        "monitoring_report_due": "open",
        "monitoring_report_late": "te laat",
        "monitoring_report_submitted": "ingediend",
        "monitoring_report_cancelled": "vervallen",
        "monitoring_warnings": "Let op bij de bestedingen",
        "monitoring_warning_above_grant": (
            "De besteding tot nu toe, {spent}, is meer dan de toekenning van {compared}."
        ),
        "monitoring_warning_below_before": (
            "De besteding tot nu toe, {spent}, is lager dan de {compared} die eerder is gemeld."
        ),
    },
    "en": {
        "monitoring_menu": "Monitoring",
        "monitoring_title": "Monitoring of projects",
        "monitoring_late": "Late reports",
        "monitoring_none_late": "No report is late.",
        "monitoring_all": "All reports",
        "monitoring_filter": "Show",
        "monitoring_status": "Status",
        "monitoring_any": "all",
        "monitoring_project": "Project",
        "monitoring_report": "Report",
        "monitoring_period": "Period",
        "monitoring_due": "Due",
        "monitoring_days_late": "Days late",
        "monitoring_light": "Traffic light",
        "monitoring_spent": "Spent so far",
        "monitoring_by": "Submitted by",
        "monitoring_received": "Received on",
        "monitoring_schedule": "Report schedule",
        "monitoring_no_schedule": "No report schedule yet: it is planned with the grant.",
        "monitoring_every": "Every (months)",
        "monitoring_due_after": "Due after the period (months)",
        "monitoring_from": "From",
        "monitoring_until": "Until",
        "monitoring_over_time": "Traffic light over time",
        "monitoring_no_lights": "No report submitted yet.",
        "monitoring_reports": "Reports",
        "monitoring_indicators": "Indicators and measured values",
        "monitoring_unit": "Unit",
        "monitoring_baseline": "Baseline",
        "monitoring_target": "Target",
        "monitoring_latest": "Latest measured",
        "monitoring_progress": "Progress",
        "monitoring_values": "Values",
        "monitoring_submit_title": "Submit a progress report",
        "monitoring_which": "Report",
        "monitoring_narrative": "What happened in this period?",
        "monitoring_measures": "Measures taken",
        "monitoring_measures_hint": "Required with red.",
        "monitoring_spent_hint": "In euros, cumulative since the start, for example 12,500.50.",
        "monitoring_value_of": "Measured",
        "monitoring_received_hint": "Only if the report came in earlier (by post).",
        "monitoring_send": "Submit the report",
        "monitoring_submitted": "Report submitted",
        "monitoring_value_title": "Record a measured value",
        "monitoring_indicator": "Indicator",
        "monitoring_value": "Value",
        "monitoring_on": "Measured on",
        "monitoring_note": "Source or remark",
        "monitoring_record": "Record the value",
        "monitoring_recorded": "Value recorded",
        "monitoring_open_application": "To the application",
        "monitoring_light_green": "green",
        "monitoring_light_orange": "orange",
        "monitoring_light_red": "red",
        "monitoring_report_due": "due",
        "monitoring_report_late": "late",
        "monitoring_report_submitted": "submitted",
        "monitoring_report_cancelled": "cancelled",
        "monitoring_warnings": "Mind the spending",
        "monitoring_warning_above_grant": (
            "Spending so far, {spent}, exceeds the grant of {compared}."
        ),
        "monitoring_warning_below_before": (
            "Spending so far, {spent}, is below the {compared} reported before."
        ),
    },
}


@reads
def _overview(unit: Unit, status: str | None, programme: str | None) -> dict[str, Any]:
    """The late reports and the reports across projects (filtered), in one read."""
    return {
        "late": monitor_views.late(unit, programme=programme),
        "reports": monitor_views.reports(unit, programme=programme, status=status),
    }


@reads
def _project(unit: Unit, application_id: int) -> dict[str, Any]:
    """A project's monitoring, with the reports open for submission today."""
    view = monitor_views.project(unit, application_id)
    today = unit.clock.today().isoformat()
    open_now = [r for r in view["reports"] if r["status"] in OPEN and r["period_start"] <= today]
    return {"view": view, "open": open_now, "today": today}


@router.get("/monitoring")
def overview(
    request: Request, who: guard.SignedIn, status: str | None = None, programme: str | None = None
) -> Response:
    found = guard.site(request).pages.run(who["actor"], _overview, status or None,
                                          programme or None)  # fmt: skip
    return views.page(request, "monitoring_overview.html.j2", who, **found, chosen=status,
                      statuses=monitor_views.STATUSES)  # fmt: skip


@router.get("/monitoring/{application_id}")
def project_page(
    request: Request,
    application_id: int,
    who: guard.SignedIn,
    submitted: str | None = None,
    recorded: str | None = None,
    done: str | None = None,
) -> Response:
    here = f"/monitoring/{application_id}"
    kept = flash.take(request, who, here) if submitted else None
    warnings = _warnings((kept or {}).get("spending"))
    response = shown(request, who, application_id, submitted=submitted, recorded=recorded,
                      warnings=warnings, done=done if done in DONE else None)  # fmt: skip
    if kept is not None:
        flash.clear(request, response)
    return response


def shown(
    request: Request, who: Signer, application_id: int, status: int = 200, **context: Any
) -> Response:
    """The project's page, with the forms `who` may use (and any refusal in `context`)."""
    found = guard.site(request).pages.run(who["actor"], _project, application_id)
    actor = who["actor"]
    view = found["view"]
    may_report = actor.holds(REPORTERS) and view["state"] == "monitoring"  # the service decides
    may_plan = actor.holds(PLANNERS) and view["state"] == "monitoring"
    return views.page(
        request, "monitoring_project.html.j2", who, status, **found, lights=tuple(LIGHTS),
        may_report=may_report, backdates=actor.holds(PLANNERS), may_plan=may_plan,
        intervals=EVERY, **context,
    )  # fmt: skip


@router.post("/monitoring/{application_id}/report")
def submit_report(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Submit a progress report: light, narrative, spending so far, a value per indicator."""
    entered = {k: str(v) for k, v in form.items()}
    label = entered.get("label", "")
    values = {
        key.removeprefix("value-"): value.strip()
        for key, value in entered.items()
        if key.startswith("value-") and value.strip()
    }
    try:
        result = guard.site(request).pages.run(
            who["actor"], progress_reports.submit, application_id, label,
            light=entered.get("light", ""), narrative=entered.get("narrative", ""),
            spent=entered.get("spent", ""), measures=entered.get("measures") or None,
            values=values, received_on=entered.get("received") or None,
        )  # fmt: skip
    except KrachtError as refused:
        if refused.http_status not in SHOWN_HANDLED:
            raise
        return shown(request, who, application_id, refused.http_status, refused=refused,
                      entered=entered, form="report")  # fmt: skip
    here = f"/monitoring/{application_id}"
    response = RedirectResponse(f"{here}?submitted={quote(label, safe='')}", 303)
    if result["spending"]:  # shown once on the page the person lands on
        flash.keep(request, response, who, here, spending=result["spending"][:WARNINGS])
    return response


def _warnings(kept: object) -> list[dict[str, Any]]:
    """The spending warnings a notice carried, as far as they are well formed."""
    found = kept if isinstance(kept, list) else []
    return [
        w
        for w in found[:WARNINGS]
        if isinstance(w, dict)
        and w.get("kind") in SPENDING
        and all(type(w.get(k)) is int for k in ("spent_cents", "compared_cents"))
    ]


@router.post("/monitoring/{application_id}/value")
def record_value(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Record one measured value of an indicator, outside a report."""
    entered = {k: str(v) for k, v in form.items()}
    try:
        guard.site(request).pages.run(
            who["actor"], progress_reports.record_value, application_id,
            entered.get("indicator", ""), entered.get("value", ""),
            measured_on=entered.get("on") or None, note=entered.get("note", ""),
        )  # fmt: skip
    except KrachtError as refused:
        if refused.http_status not in SHOWN_HANDLED:
            raise
        return shown(request, who, application_id, refused.http_status, refused=refused,
                      entered=entered, form="value")  # fmt: skip
    return RedirectResponse(f"/monitoring/{application_id}?recorded=1", 303)
