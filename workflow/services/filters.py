"""Filters a listing is narrowed by: a name that matches nothing is refused, not an empty list.

An application an applicant may not see is refused as `kracht app show` refuses it, so a filter
tells no more than showing the application would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kracht.basics.errors import NotFound
from kracht.storage import repository

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.basics.actors import Actor


def programme(db: Session, code: str | None) -> None:
    """Refuse a programme filter that names no programme."""
    if code is not None and repository.programme_by_code(db, code) is None:
        raise NotFound("programme", code, listing=True)


def application(db: Session, actor: Actor, application_id: int | None) -> None:
    """Refuse an application filter that names no application this actor may see."""
    if application_id is None:
        return
    from kracht.workflow.services.policy import visible_application

    visible_application(db, actor, application_id, listing=True)


def person(db: Session, email: str | None) -> None:
    """Refuse a person filter that names nobody."""
    if email is not None and repository.person_by_email(db, email.strip().lower()) is None:
        raise NotFound("person", email, listing=True)
