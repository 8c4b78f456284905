"""Attached documents on the application page: the list, a download for each (as a file, never
shown inline), and a form to attach one for whoever may (workflow/services/attachments.py).

A download carries the media type recorded, `Content-Disposition: attachment` with the name made
safe for the header (an ASCII fallback, and the name itself in RFC 5987 form), and the security
headers every response has (`X-Content-Type-Options: nosniff` among them)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.errors import InvalidInput, NotFound
from kracht.web import guard
from kracht.web.pages import application_pages
from kracht.workflow.services import attachments

router = APIRouter(include_in_schema=False)

WORDS = {
    "nl": {
        "attachments": "Documenten",
        "attachments_none": "Nog geen documenten.",
        "attachment_file": "Bestand",
        "attachment_kind": "Soort",
        "attachment_to": "Bij",
        "attachment_size": "Grootte",
        "attachment_added": "Toegevoegd door",
        "attachment_add": "Document toevoegen",
        "attachment_types": "PDF, Excel, Word, OpenDocument, CSV, tekst, PNG of JPEG",
        "attachment_kind_proposal": "volledig voorstel",
        "attachment_kind_budget": "begroting",
        "attachment_kind_final_report": "eindrapportage",
        "attachment_kind_other": "overig",
        "attachment_to_application": "aanvraag",
        "attachment_to_decision": "besluit",
        "attachment_to_report": "voortgangsrapportage",
    },
    "en": {
        "attachments": "Documents",
        "attachments_none": "No documents yet.",
        "attachment_file": "File",
        "attachment_kind": "Kind",
        "attachment_to": "With",
        "attachment_size": "Size",
        "attachment_added": "Added by",
        "attachment_add": "Attach a document",
        "attachment_types": "PDF, Excel, Word, OpenDocument, CSV, text, PNG or JPEG",
        "attachment_kind_proposal": "full proposal",
        "attachment_kind_budget": "budget",
        "attachment_kind_final_report": "final report",
        "attachment_kind_other": "other",
        "attachment_to_application": "application",
        "attachment_to_decision": "decision",
        "attachment_to_report": "progress report",
    },
}


@router.get("/applications/{application_id}/attachments/{attachment_id}")
def download(
    request: Request, application_id: int, attachment_id: int, who: guard.SignedIn
) -> Response:
    """The attachment's bytes, checked against its SHA-256, as a file to save."""
    found = guard.site(request).pages.run(who["actor"], attachments.read, attachment_id)
    row = found["attachment"]
    if row["application_id"] != application_id:
        raise NotFound("attachment", attachment_id, f"of application {application_id}")
    return Response(
        found["data"],
        media_type=row["media_type"],
        headers={"content-disposition": disposition(row["file_name"])},
    )


@router.post("/applications/{application_id}/attachments")
def upload(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Attach the form's file to the application; a refusal shows on the application page."""
    pages = guard.site(request).pages
    file = form.get("file")
    name, data = "", b""
    if file is not None and hasattr(file, "file"):  # an UploadFile
        name = str(getattr(file, "filename", "") or "")
        data = file.file.read(pages.settings.attachments.max_bytes + 1)
    kind = str(form.get("kind", "other"))
    try:
        result = pages.run(who["actor"], attachments.add, application_id, name, data, kind=kind)
    except InvalidInput as refused:
        return application_pages.shown(request, who, application_id, 400, attach_refused=refused)
    number = result["attachment"]["number"]
    return RedirectResponse(f"/applications/{application_id}?attached={number}#attachments", 303)


def disposition(name: str) -> str:
    """`attachment` with the file name: an ASCII fallback (other characters, quotes and
    backslashes become _) and the name itself, percent-encoded (RFC 6266, RFC 5987)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
