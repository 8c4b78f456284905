"""Who is acting: the person behind `--as EMAIL` / `KRACHT_USER`, and what their roles allow."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kracht.basics.errors import NotIdentified, NotPermitted
from kracht.basics.roles import Role

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class Actor:
    email: str
    name: str
    roles: frozenset[str]
    person_id: int | None = None
    organisation_id: int | None = None
    # Roles of the people whose past steps this person enters on their behalf (the
    # running-programme import brings in what the steering committee decided before kracht):
    # held for that only, and named as such in the trail.
    recording: frozenset[str] = frozenset()

    @property
    def roles_text(self) -> str:
        held = ",".join(sorted(self.roles))
        return held + (
            f"; recording for {','.join(sorted(self.recording))}" if self.recording else ""
        )

    def holds(self, roles: Iterable[str]) -> bool:
        return bool((self.roles | self.recording) & {str(r) for r in roles})

    def sees_everything(self) -> bool:
        """Everyone but a pure applicant sees every application."""
        return bool(self.roles - {Role.APPLICANT})


def resolve(db: Session, email: str | None) -> Actor:
    from kracht.storage import repository

    if not email:
        raise NotIdentified()
    person = repository.person_with_roles(db, email.strip())
    if person is None:
        raise NotIdentified(email)
    person_id, address, name, organisation_id, roles = person
    return Actor(address, name, frozenset(roles), person_id, organisation_id)


def require(actor: Actor, roles: Iterable[str], action: str) -> None:
    allowed = sorted(str(r) for r in roles)
    if not actor.holds(allowed):
        raise NotPermitted(
            actor.email, action, roles_held=sorted(actor.roles), roles_needed=allowed
        )


def require_own(actor: Actor, roles: Iterable[str], applicant_org_id: int, action: str) -> None:
    """Like `require`, but an applicant may act only on their own organisation's applications."""
    require(actor, roles, action)
    others = {str(r) for r in roles} - {Role.APPLICANT}
    if not actor.holds(others) and actor.organisation_id != applicant_org_id:
        raise NotPermitted(
            actor.email,
            action,
            roles_held=sorted(actor.roles),
            because="it is another organisation's application",
        )
