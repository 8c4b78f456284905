"""Attached documents: the full proposal, the budget, a final report, a decision's minutes, kept
with an application, one of its steering decisions or one of its progress reports.

Each attachment is one audited transaction (`attachment.add`): the audit event records its
file name, media type, size and SHA-256, never the bytes. A file is taken only when its name
and its content agree on a type kracht knows (basics/file_types.py), it is not empty and not
above `[attachments] max_mb`. Its bytes are kept content-addressed (storage/blobs.py): beside an
SQLite database, in a PostgreSQL database, or in the configured folder; every read checks them
against the SHA-256 recorded, and a mismatch is refused as damaged, never handed out.

Who may attach (decided here): to an application or a progress report, a programme leader, and
the applicant for their own organisation's application while it is open; to a steering
decision (its latest), a programme leader or a steering member. Whoever may see the application
may list and download its attachments; a download is a read and is not audited, as no read in
kracht is. Nothing is ever removed: an attachment is part of the record, which stays whole once
final (rejected, withdrawn, closed); a wrong file is followed by the right one, both kept.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from typing_extensions import TypedDict

from kracht.basics import file_types
from kracht.basics.actors import Actor, require, require_own
from kracht.basics.errors import Damaged, InvalidInput, KrachtError, NotAllowed, NotFound
from kracht.basics.roles import Role
from kracht.storage import attachment_rows as store
from kracht.storage import audit, blobs, repository
from kracht.storage import reporting as report_store
from kracht.storage.tables import Application, Attachment
from kracht.workflow.definition import TERMINAL
from kracht.workflow.services.decisions import OUTCOMES
from kracht.workflow.unit import Unit, reads, writes

if TYPE_CHECKING:
    from sqlmodel import Session

KINDS = ("proposal", "budget", "final_report", "other")
ADDERS = (Role.PROGRAMME_LEADER, Role.APPLICANT)  # to an application or a report
DECIDERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER)  # to a steering decision


class AttachmentRow(TypedDict):
    """An attachment as listed: what it belongs to, its kind, name, type, size and hash."""

    id: int
    application_id: int
    number: int
    belongs_to: str  # application | decision | report
    report: str | None  # the progress report's label
    decision_seq: int | None  # the steering decision's audit event
    kind: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    added_at: str
    added_by: str


class AttachmentAdded(TypedDict):
    """An attachment added, and the audit event that records it."""

    application_id: int
    event: int
    attachment: AttachmentRow


class Download(TypedDict):
    """An attachment's record and its bytes, checked against its SHA-256."""

    attachment: AttachmentRow
    data: bytes


def limit(unit: Unit) -> int:
    """The largest file taken, in bytes (an edge reads no more than one byte beyond it)."""
    return unit.settings.attachments.max_bytes


@writes("attachment.add", of_application=True)
def add(
    unit: Unit,
    application_id: int,
    file_name: str,
    data: bytes,
    *,
    kind: str = "other",
    report: str | None = None,
    decision: bool = False,
) -> AttachmentAdded:
    """Attach the file `file_name` holding `data` to the application, or to its progress report
    `report` (a label), or with `decision` to its latest steering decision. Who may is checked
    before the file is looked at."""
    if report is not None and decision:
        raise InvalidInput("attach to a report or to the decision, not both", field="decision")
    db, actor = unit.db, unit.actor
    app = repository.application(db, application_id, lock=True)
    if app is None:
        raise NotFound("application", application_id)
    belongs_to = "decision" if decision else "report" if report is not None else "application"
    _may_add(actor, app, belongs_to)
    report_id, label, decision_seq = _target(db, app, report, decision)
    if kind not in KINDS:
        raise InvalidInput(
            f"attachment kind {str(kind)[:20]!r} is not one of " + ", ".join(KINDS), field="kind"
        )
    name = file_types.clean_name(file_name)
    settings = unit.settings.attachments
    if len(data) > settings.max_bytes:
        raise InvalidInput(
            f"file {name[:60]!r} is {_size(len(data))}; the limit is {settings.max_mb} MB",
            field=file_types.FILE,
            label="file",
        )
    found = file_types.file_type(name, data, settings.chosen_types)
    sha256, key = _keep(db, settings.folder, data)
    attachment = store.add(
        db,
        Attachment(
            application_id=app.pk,
            number=store.next_number(db, app.pk),
            belongs_to=belongs_to,
            report_id=report_id,
            decision_seq=decision_seq,
            kind=kind,
            file_name=name,
            media_type=found.media_type,
            size=len(data),
            sha256=sha256,
            storage_key=key,
            added_at=unit.clock.now(),
            added_by=actor.email,
        ),
    )
    row = _row(attachment, label)
    event = audit.append(db, actor=actor.email, roles=actor.roles_text, action="attachment.add",
                         application_id=app.id, payload=dict(row))  # fmt: skip
    return {"application_id": app.pk, "event": event.seq, "attachment": row}


@reads
def list_attachments(unit: Unit, application_id: int) -> list[AttachmentRow]:
    """The application's attachments by number, for whoever may see the application."""
    from kracht.workflow.services.policy import visible_application

    visible_application(unit.db, unit.actor, application_id)
    return [_row(a, label) for a, label in store.of_application(unit.db, application_id)]


class Attached(TypedDict):
    """An application's attachments, and whether the reader may add one to the application."""

    attachments: list[AttachmentRow]
    may_add: bool


@reads
def attached(unit: Unit, application_id: int) -> Attached:
    """The application's attachments by number and whether the actor may attach one to it (the
    application page's read)."""
    from kracht.workflow.services.policy import visible_application

    app = visible_application(unit.db, unit.actor, application_id)
    rows = [_row(a, label) for a, label in store.of_application(unit.db, application_id)]
    try:
        _may_add(unit.actor, app, "application")
    except NotAllowed:
        return {"attachments": rows, "may_add": False}
    return {"attachments": rows, "may_add": True}


@reads
def read(unit: Unit, attachment_id: int) -> Download:
    """The attachment's bytes, for whoever may see its application; refused as damaged when
    they are gone or their SHA-256 is not the one recorded."""
    import hashlib

    from kracht.workflow.services.policy import visible_application

    db = unit.db
    found = store.attachment(db, attachment_id)
    if found is None:
        raise NotFound("attachment", attachment_id)
    visible_application(db, unit.actor, found.application_id)
    folder = blobs.folder_for(db, unit.settings.attachments.folder)
    try:
        data = blobs.fetch(db, folder, found.storage_key)
    except OSError as error:
        raise KrachtError(
            f"cannot read attachment {attachment_id}: {error.strerror or error}"
        ) from None
    seen = hashlib.sha256(data).hexdigest() if data is not None else None
    if seen != found.sha256:
        what = "its stored bytes are missing" if seen is None else "its stored bytes have SHA-256 "
        raise Damaged(
            f"attachment {attachment_id} ({found.file_name}) is damaged: "
            + (what if seen is None else what + f"{seen}, not the {found.sha256} recorded")
            + "; restore the file from a backup",
            what="attachment",
            key=attachment_id,
            expected=found.sha256,
            found=seen,
        )
    assert data is not None
    return {"attachment": _row(found, store.report_label(db, found.report_id)), "data": data}


# -- the parts ----------------------------------------------------------------------------------


def _may_add(actor: Actor, app: Application, belongs_to: str) -> None:
    action = f"attach a document to application {app.id}"
    if belongs_to == "decision":
        require(actor, DECIDERS, action + "'s decision")
        return
    require_own(actor, ADDERS, app.applicant_org_id, action)
    if app.state in TERMINAL and not actor.holds((Role.PROGRAMME_LEADER,)):
        raise NotAllowed(
            f"application {app.id} is {app.state}; its record is final, and only a "
            "programme leader attaches documents to it"
        )


def _target(
    db: Session, app: Application, report: str | None, decision: bool
) -> tuple[int | None, str | None, int | None]:
    """The progress report (id and label) or the latest decision's event it is attached to."""
    if report is not None:
        found = report_store.report(db, app.pk, report.strip()[:40])
        if found is None:
            raise NotFound("report", report.strip()[:40], f"of application {app.id}",
                           application=app.id)  # fmt: skip
        return found.pk, found.label, None
    if decision:
        made = audit.history(db, app.id, fired=OUTCOMES)
        if not made:
            raise NotAllowed(f"application {app.id} has no steering decision yet")
        return None, None, int(made[-1]["seq"])
    return None, None, None


def _keep(db: Session, folder: str, data: bytes) -> tuple[str, str]:
    where = blobs.folder_for(db, folder)
    try:
        return blobs.keep(db, where, data)
    except blobs.Clash as clash:
        raise Damaged(
            f"the attachments folder holds a changed file at {clash.path}; kracht leaves it as "
            "it is: restore it from a backup, then attach again",
            what="stored file",
            key=str(clash.path),
            expected=clash.path.name,
            found=None,
        ) from None
    except OSError as error:
        raise KrachtError(
            f"cannot keep the file in the attachments folder {where}: {error.strerror or error}"
        ) from None


def _aware(moment: dt.datetime) -> dt.datetime:
    """A moment as UTC (SQLite gives it back without its zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB ({size:,} bytes)"


def _row(attachment: Attachment, report: str | None) -> AttachmentRow:
    return {
        "id": attachment.pk,
        "application_id": attachment.application_id,
        "number": attachment.number,
        "belongs_to": attachment.belongs_to,
        "report": report,
        "decision_seq": attachment.decision_seq,
        "kind": attachment.kind,
        "file_name": attachment.file_name,
        "media_type": attachment.media_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "added_at": _aware(attachment.added_at).isoformat(),
        "added_by": attachment.added_by,
    }
