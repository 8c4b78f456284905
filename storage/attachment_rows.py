"""Reads and writes of attachments' records (their bytes: storage/blobs.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage.tables import Attachment, ProgressReport


def add(db: Session, attachment: Attachment) -> Attachment:
    db.add(attachment)
    db.flush()
    return attachment


def attachment(db: Session, attachment_id: int) -> Attachment | None:
    if not 0 < attachment_id < 2**63:
        return None
    return db.get(Attachment, attachment_id)


def next_number(db: Session, application_id: int) -> int:
    query = select(sa.func.coalesce(sa.func.max(Attachment.number), 0)).where(
        Attachment.application_id == application_id
    )
    return int(db.exec(query).one()) + 1


def of_application(db: Session, application_id: int) -> list[tuple[Attachment, str | None]]:
    """The application's attachments by number, each with its progress report's label (None
    for one not attached to a report)."""
    query = (
        select(Attachment, ProgressReport.label)
        .outerjoin(ProgressReport, col(Attachment.report_id) == ProgressReport.id)
        .where(Attachment.application_id == application_id)
        .order_by(col(Attachment.number))
    )
    return [(a, label) for a, label in db.exec(query).all()]


def report_label(db: Session, report_id: int | None) -> str | None:
    if report_id is None:
        return None
    report = db.get(ProgressReport, report_id)
    return report.label if report is not None else None
