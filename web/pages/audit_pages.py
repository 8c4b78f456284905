"""The auditor's desk: whether the audit trail verifies (intact, or its first broken event), the
whole trail as a download (CSV or JSON Lines, as `kracht audit export`), and any application's
timeline (`kracht app history`). These pages only read: none has a control that writes."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kracht.web import guard, views
from kracht.workflow.services import applications, auditing, trail
from kracht.workflow.unit import Unit, reads

router = APIRouter(include_in_schema=False)
MENU = [(60, "/audit", "audit_menu", ("auditor", "programme_leader"))]
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}

WORDS = {
    "nl": {
        "audit_menu": "Audit",
        "audit_title": "Audittrail",
        "audit_status": "Controle van de keten",
        "audit_intact": "De audittrail is intact: alle {n} gebeurtenissen kloppen.",
        "audit_broken": "De audittrail is verbroken bij gebeurtenis #{seq}:",
        "audit_before": "De {n} gebeurtenissen daarvoor kloppen.",
        "audit_exports": "Exporteren",
        "audit_export_csv": "Hele audittrail als CSV",
        "audit_export_jsonl": "Hele audittrail als JSON Lines (om hashes na te rekenen)",
        "audit_timelines": "Tijdlijn per aanvraag",
        "audit_timeline": "Tijdlijn",
        "audit_timeline_of": "Tijdlijn van",
        "audit_seq": "#",
        "audit_at": "Moment",
        "audit_actor": "Door",
        "audit_action": "Handeling",
        "audit_transition": "Van → naar",
        "audit_outcome": "Uitkomst",
        "audit_reason": "Toelichting",
        "audit_payload": "Vastgelegd",
        "audit_hash": "Hash",
        "audit_no_events": "Nog geen gebeurtenissen.",
        "audit_tree": "Merkle-boom over {n} gebeurtenissen, wortel",
        "audit_ok": "uitgevoerd",
        "audit_refused": "geweigerd",
        "audit_stayed": "bleef in",
        "audit_entered": "ingevoerd",
        "audit_real_decided": "besloten op",
        "audit_real_presented": "aan tafel gepresenteerd op",
        "audit_real_opened": "scoren geopend op",
        "audit_real_met": "voldaan op",
        "audit_refusals": "Geweigerde pogingen staan gemarkeerd: ze veranderden niets.",
        "audit_tables_ok": "De tabellen zeggen wat de audittrail zegt: elke aanvraag, opnieuw opgebouwd uit haar gebeurtenissen, klopt met haar rijen.",
        "audit_tables_differ": "De tabellen wijken af van de audittrail; rijen die afwijken: {n}",
        "audit_more": "en nog {n} rijen (kracht audit verify --json toont ze allemaal)",
        "audit_checkpoints": "Controlepunten",
        "audit_checkpoint": "Ondertekend controlepunt downloaden",
        "audit_checkpoint_help": "Bewaar het waar de beheerder van de database niet bij kan; later bewijst het dat niemand de audittrail afsneed, aanvulde of herschreef.",
        "audit_no_key": "Nog geen sleutel voor controlepunten: de beheerder maakt die met kracht audit keygen en zet [audit] key in de instellingen.",
    },
    "en": {
        "audit_menu": "Audit",
        "audit_title": "Audit trail",
        "audit_status": "Verification of the chain",
        "audit_intact": "The audit trail is intact: all {n} events verify.",
        "audit_broken": "The audit trail is broken at event #{seq}:",
        "audit_before": "The {n} events before it verify.",
        "audit_exports": "Exports",
        "audit_export_csv": "The whole audit trail as CSV",
        "audit_export_jsonl": "The whole audit trail as JSON Lines (to recompute the hashes)",
        "audit_timelines": "Timeline per application",
        "audit_timeline": "Timeline",
        "audit_timeline_of": "Timeline of",
        "audit_seq": "#",
        "audit_at": "When",
        "audit_actor": "By",
        "audit_action": "Action",
        "audit_transition": "From → to",
        "audit_outcome": "Outcome",
        "audit_reason": "Reason",
        "audit_payload": "Recorded",
        "audit_hash": "Hash",
        "audit_no_events": "No events yet.",
        "audit_tree": "Merkle tree over {n} events, root",
        "audit_ok": "done",
        "audit_refused": "refused",
        "audit_stayed": "stayed in",
        "audit_entered": "entered",
        "audit_real_decided": "decided on",
        "audit_real_presented": "presented at the table on",
        "audit_real_opened": "scoring opened on",
        "audit_real_met": "met on",
        "audit_refusals": "Refused attempts are marked: they changed nothing.",
        "audit_tables_ok": "The tables say what the audit trail says: every application, rebuilt from its events, matches its rows.",
        "audit_tables_differ": "The tables differ from the audit trail; rows that differ: {n}",
        "audit_more": "and {n} more rows (kracht audit verify --json lists them all)",
        "audit_checkpoints": "Checkpoints",
        "audit_checkpoint": "Download a signed checkpoint",
        "audit_checkpoint_help": "Keep it where the database's administrator cannot reach it; later it proves that nobody cut, refilled or rewrote the audit trail.",
        "audit_no_key": "No key signs checkpoints yet: the administrator makes one with kracht audit keygen and sets [audit] key in the settings.",
    },
}


SHOWN = 20  # table rows that differ from the trail, named on the page; the rest counted


@reads
def _desk(unit: Unit) -> dict[str, Any]:
    """The chain's verdict and the tables held against the trail (auditors and programme
    leaders only), whether checkpoints can be signed, and the applications."""
    checked = auditing.verify_against(unit, [])
    return {
        "verdict": asdict(checked.verdict),
        "differ": [d.line() for d in checked.disagreements[:SHOWN]],
        "differ_count": len(checked.disagreements),
        "signing": bool(unit.settings.audit.key),
        "applications": applications.list_all(unit),
    }


@reads
def _timeline(unit: Unit, application_id: int) -> dict[str, Any]:
    record = applications.show(unit, application_id)
    return {
        "app": {k: record[k] for k in ("id", "title", "state", "applicant")},
        "events": [
            {**e, "payload_text": _shown(e["payload"]), "real": trail.real_day(e)}
            for e in applications.history(unit, application_id)
        ],
    }


def _shown(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)


@router.get("/audit")
def desk(request: Request, who: guard.SignedIn) -> Response:
    found = guard.site(request).pages.run(who["actor"], _desk)
    return views.page(request, "audit_desk.html.j2", who, **found, formats=auditing.FORMATS)


@router.get("/audit/applications/{application_id}")
def timeline(request: Request, application_id: int, who: guard.SignedIn) -> Response:
    found = guard.site(request).pages.run(who["actor"], _timeline, application_id)
    return views.page(request, "audit_timeline.html.j2", who, **found)


@router.get("/audit/checkpoint")
def checkpoint(request: Request, who: guard.SignedIn) -> Response:
    """A signed checkpoint of the tree as it stands, as a download (C2SP signed note); the
    reader's role is checked before the server's key is read."""
    pages = guard.site(request).pages
    text = pages.run(who["actor"], auditing.checkpoint)
    size = text.split("\n")[1]
    name = f"kracht-checkpoint-{pages.clock.today().isoformat()}-{size}.txt"
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/audit/export/{fmt}")
def export(request: Request, fmt: str, who: guard.SignedIn) -> Response:
    """The whole trail as a download; the file's name is kracht's own, never the request's."""
    pages = guard.site(request).pages
    lines = pages.run(who["actor"], auditing.export, fmt)  # refuses an unknown format first
    name = f"kracht-audit-trail-{pages.clock.today().isoformat()}.{fmt}"
    return Response(
        "".join(line + "\n" for line in lines),
        media_type=MEDIA[fmt],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
