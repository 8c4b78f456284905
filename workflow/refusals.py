"""A refused attempt leaves a trace: its audit event, written after the unit rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import GuardFailed, NotAllowed
from kracht.storage import audit, repository

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.basics.actors import Actor


# Facts of a refusal that its audit event holds in its own columns (or as `missing`).
IN_THE_EVENT = frozenset({"actor", "application", "trigger", "missing"})


@dataclass(frozen=True)
class Attempt:
    """What a refused action asked for, as its audit event records it."""

    action: str
    application_id: int | None = None
    trigger: str | None = None
    reason: str | None = None


def append(
    db: Session,
    who: str | Actor | None,
    actor: Actor | None,
    attempt: Attempt,
    refusal: NotAllowed | GuardFailed,
) -> None:
    """Append the refused `attempt` by `actor` (or by whoever `who` named, when no actor could
    be resolved: the e-mail as given, or "(nobody)"), with the refusal's facts."""
    if actor is not None:
        email, roles = actor.email, actor.roles_text
    else:
        email, roles = (who if isinstance(who, str) and who else "(nobody)"), ""
        person = repository.person_by_email(db, email)
        if person is not None and person.id is not None:
            roles = ",".join(repository.roles_of(db, person.id))
    app = repository.application(db, attempt.application_id) if attempt.application_id else None
    payload: dict[str, Any] = {**getattr(refusal, "asked", {}), "error": str(refusal)}
    if isinstance(refusal, GuardFailed):
        payload["missing"] = [str(m) for m in refusal.missing]
    facts = {k: v for k, v in refusal.facts.items() if k not in IN_THE_EVENT}
    if facts:
        payload["facts"] = facts
    audit.append(
        db,
        actor=email,
        roles=roles,
        action=attempt.action,
        trigger=attempt.trigger,
        application_id=app.id if app else None,
        from_state=app.state if app else None,
        outcome="refused",
        reason=attempt.reason,
        payload=payload,
    )
