"""Who may see what: the visibility rules every read goes through.

Everyone but a pure applicant sees every application; an applicant sees their own
organisation's. An application someone may not see is refused, never shown as absent, so a
filter or a listing tells no more than showing the application would. (The blind-scoring rules,
what committee members and others see of scores and advice, follow the same principle.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kracht.basics.errors import NotAllowed, NotFound
from kracht.storage import repository

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.basics.actors import Actor
    from kracht.storage.tables import Application


def may_see(actor: Actor, app: Application) -> bool:
    """Whether `actor` may see the application at all."""
    return actor.sees_everything() or actor.organisation_id == app.applicant_org_id


def visible_application(
    db: Session, actor: Actor, application_id: int, *, listing: bool = False
) -> Application:
    """The application, refused when there is none or `actor` may not see it; `listing` when
    the id was given to narrow a list (a filter)."""
    app = repository.application(db, application_id)
    if app is None:
        raise NotFound("application", application_id, listing=listing)
    if not may_see(actor, app):
        raise NotAllowed(f"{actor.email} may not see application {application_id}")
    return app
