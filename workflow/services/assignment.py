"""The assessment committee's members: assignment, declarations of interest and recusal.

A conflict of interest is recorded whenever it is found: at assignment, at a declaration, when a
partner joins (`recuse_linked`), and when a linked member tries to score (`settle_interest`,
committed on its own before the attempt is refused). A recused member's sheet neither counts
toward the quorum nor appears in the score matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NotRequired, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor
from kracht.basics.errors import ConcurrentChange, Field, InvalidInput, NotAllowed, NotFound
from kracht.basics.roles import Role
from kracht.notifications import deadlines
from kracht.storage import assessments as store
from kracht.storage import audit, repository
from kracht.storage.tables import (
    Application,
    CommitteeAssignment,
    Programme,
)
from kracht.workflow import engine
from kracht.workflow.definition import TERMINAL
from kracht.workflow.effects.checks import interest
from kracht.workflow.move import Audited
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session


ASSIGNERS = (Role.PROGRAMME_LEADER, Role.COMMITTEE_CHAIR)


MEMBERS = (Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR)


class Joined(TypedDict):
    """A member assigned, as audited: recused at once (with the reason) when linked."""

    member: str
    recused: NotRequired[str]


class Assigned(Audited, Joined):
    """A member assigned, with the audit event of the assignment."""


class AssignedWith(Joined):
    """A member assigned with others, before the last: no audit event number (the last has it)."""

    application_id: int
    version: int


def assign(unit: Unit, application_id: int, member: str) -> Assigned:
    """Assign one committee member; see `assign_all`."""
    return cast(Assigned, assign_all(unit, application_id, [member])[0])


def assign_all(
    unit: Unit, application_id: int, members: Sequence[str]
) -> list[AssignedWith | Assigned]:
    """Assign committee members, all or none, in one transaction with an audit event each;
    returns each member's payload (the last with its audit event's number).

    Every member is checked before anyone is assigned; one linked to the applicant or a partner
    is recused at once (audited too).
    """
    wanted = list(dict.fromkeys(m.strip() for m in members if m and m.strip()))
    if not wanted:
        raise InvalidInput(
            "name at least one member to assign", field="member", label="member to assign"
        )
    done: list[Joined] = []

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        if app.state not in ("assessment_committee", "kracht_scoring"):
            raise NotAllowed(
                f"members are assigned while the application is with the committee; "
                f"application {app.id} is {app.state}"
            )
        people = [_assignable(db, app, email, len(wanted)) for email in wanted]
        for index, person in enumerate(people):
            record = store.add(
                db,
                CommitteeAssignment(
                    application_id=app.id, person_id=person.id, assigned_by=actor.email
                ),
            )
            payload: Joined = {"member": person.email}
            reason = interest(db, app, person.organisation_id)
            if reason:
                _recuse(db, actor, app, record, person.email, reason, "automatic")
                payload["recused"] = reason
            else:
                settings = unit.settings
                deadlines.member_joined(
                    db, app, person, settings.reminders, settings.templates.folder,
                    settings.web.base_url,
                )  # fmt: skip
            done.append(payload)
            if index < len(people) - 1:  # write_with_audit appends the last member's event
                audit.append(
                    db,
                    actor=actor.email,
                    roles=actor.roles_text,
                    action="committee.assign",
                    application_id=app.id,
                    payload=payload,
                )
        return dict(done[-1])

    result = cast(
        Assigned,
        engine.write_with_audit(unit, application_id, ASSIGNERS, "committee.assign", change),
    )
    common = {"application_id": result["application_id"], "version": result["version"]}
    earlier = [cast(AssignedWith, {**common, **payload}) for payload in done[:-1]]
    return [*earlier, result]


def _assignable(db: Session, app: Application, email: str, count: int) -> Any:
    """The person behind `email`, if they can join this application's committee."""
    nobody = "; nobody was assigned" if count > 1 else ""
    person = repository.person_by_email(db, email)
    if person is None or person.id is None:
        raise NotFound("person", email, then=nobody.removeprefix("; "))
    if not set(repository.roles_of(db, person.id)) & {str(r) for r in MEMBERS}:
        raise InvalidInput(f"{person.email} is not a committee member{nobody}")
    if store.assignment(db, app.pk, person.id):
        raise InvalidInput(f"{person.email} is already assigned to application {app.id}{nobody}")
    return person


class Declared(Audited):
    """A member's declaration of interest (conflict or none), and their recusal, if any."""

    member: str
    declaration: Literal["conflict", "none"]
    recused: NotRequired[str]


def declare(unit: Unit, application_id: int, conflict: str | None) -> Declared:
    """A member declares a conflict of interest (and is recused) or declares none."""
    if conflict is not None:
        conflict = inputs.text(conflict, Field("conflict of interest", "conflict"), inputs.REASON)

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        record = assignment_of(db, app, actor)
        if record.declaration == "conflict":
            raise NotAllowed("a declared conflict of interest stands; ask the programme leader")
        record.declaration = "conflict" if conflict else "none"
        record.declared_at = unit.clock.now()
        payload: dict[str, Any] = {"member": actor.email, "declaration": record.declaration}
        reason = f"declared a conflict of interest: {conflict}" if conflict else None
        reason = reason or interest(db, app, actor.organisation_id)
        if reason and not record.recused:
            _recuse(
                db, actor, app, record, actor.email, reason, "declared" if conflict else "automatic"
            )
            payload["recused"] = reason
        return payload

    return cast(
        Declared,
        engine.write_with_audit(unit, application_id, MEMBERS, "committee.declare", change),
    )


def _recuse(
    db: Session, actor: Actor, app: Application, record: Any, member: str, reason: str, how: str
) -> None:
    record.recused, record.recusal_reason = True, reason
    repository.flush(db)
    deadlines.member_recused(db, app, member)
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="committee.recuse",
        application_id=app.id,
        reason=reason,
        payload={"member": member, "how": how},
    )


def recuse_linked(db: Session, actor: Actor, app: Application, organisation_id: int) -> list[str]:
    """Recuse the assigned members who work at `organisation_id`, which has just become a party
    to the application; each recusal audited as at assignment. Returns their e-mail addresses."""
    reason = interest(db, app, organisation_id)
    recused = []
    for record, person in store.assignments(db, app.pk):
        if reason and person.organisation_id == organisation_id and not record.recused:
            _recuse(db, actor, app, record, person.email, reason, "automatic")
            recused.append(person.email)
    return recused


def settle_interest(unit: Unit, application_id: int) -> None:
    """Record the recusal of an assigned member linked to the applicant or a partner; it stands
    even though the action that found it is then refused (`Unit.stand`)."""

    def settle(db: Session, actor: Actor) -> None:
        found = _unrecorded_interest(db, actor, application_id)
        if found is None:
            return
        app, record, reason = found
        repository.application(db, application_id, lock=True)  # as every writer of it does
        if not repository.save_application(db, app, app.version):
            raise ConcurrentChange(app.pk)
        _recuse(db, actor, app, record, actor.email, reason, "automatic")

    if _unrecorded_interest(unit.db, unit.actor, application_id) is not None:
        settle(unit.db, unit.actor)
        unit.stand(settle)


def _unrecorded_interest(
    db: Session, actor: Actor, application_id: int
) -> tuple[Application, Any, str] | None:
    """The acting member's assignment and the reason they are linked to the application, when
    that link is not recorded yet."""
    app = repository.application(db, application_id)
    if actor.person_id is None or app is None or app.state in TERMINAL:
        return None  # the action itself names the problem
    record = store.assignment(db, application_id, actor.person_id)
    if record is None or record.recused:
        return None
    reason = interest(db, app, actor.organisation_id)
    return (app, record, reason) if reason else None


def assignment_of(db: Session, app: Application, actor: Actor) -> Any:
    record = store.assignment(db, app.pk, actor.person_id or 0)
    if record is None:
        raise NotAllowed(f"{actor.email} is not assigned to application {app.id}")
    return record


def programme_of(db: Session, app: Application) -> Programme:
    programme = repository.programme(db, app.programme_id)
    assert programme is not None
    return programme
