"""Who may see what: the visibility rules every read goes through.

Everyone but a pure applicant sees every application; an applicant sees their own
organisation's. An application someone may not see is refused, never shown as absent, so a
filter or a listing tells no more than showing the application would.

Blind scoring: a member sees other members' scores only after submitting their own sheet, and
only after declaring no conflict of interest; programme leaders and auditors see all; steering
members see a round's scores once the committee has given its joint advice in it. Every read of
scores (view, ranking, export, history) asks `sees_scores`; the joint advice is withheld from
applicants until the decision (`withheld_advice`), and audit events that would show what is
hidden are left out of the timeline (`hidden_events`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kracht.basics.actors import Actor
from kracht.basics.errors import NotFound, NotPermitted
from kracht.basics.roles import Role
from kracht.storage import assessments as store
from kracht.storage import repository
from kracht.storage.tables import Application, CommitteeAssignment, ScoreSheet

if TYPE_CHECKING:
    from sqlmodel import Session


def may_see(actor: Actor, app: Application) -> bool:
    """Whether `actor` may see the application at all."""
    return actor.sees_everything() or actor.organisation_id == app.applicant_org_id


def visible_application(
    db: Session, actor: Actor, application_id: int, *, listing: bool = False
) -> Application:
    """The application, refused when there is none or `actor` may not see it; `listing` when
    the id was given to narrow a list (a filter)."""
    return _seen(actor, repository.application(db, application_id), application_id, listing)


def visible_loaded(db: Session, actor: Actor, application_id: int) -> repository.Loaded:
    """As `visible_application`, with the programme, line code and applicant's name read in the
    same statement (`repository.application_loaded`)."""
    loaded = repository.application_loaded(db, application_id)
    _seen(actor, loaded.app if loaded else None, application_id)
    assert loaded is not None
    return loaded


def _seen(
    actor: Actor, app: Application | None, application_id: int, listing: bool = False
) -> Application:
    if app is None:
        raise NotFound("application", application_id, listing=listing)
    if not may_see(actor, app):
        raise NotPermitted(
            actor.email,
            f"see application {application_id}",
            roles_held=sorted(actor.roles),
            because="it is another organisation's application",
        )
    return app


OVERSEERS = (Role.PROGRAMME_LEADER, Role.AUDITOR)


# who may ask for a round's ranking: each then sees only the applications whose scores they may
# see (`sees_scores`: a member once their own sheet is in, a steering member once advised)
SEES_RANKING = (
    Role.PROGRAMME_LEADER, Role.AUDITOR, Role.STEERING_MEMBER, Role.COMMITTEE_CHAIR,
    Role.COMMITTEE_MEMBER,
)  # fmt: skip


BLIND = (
    "scoring is blind: a member sees the scores after submitting their own sheet, a steering "
    "member once the committee has given its joint advice"
)


def sees_scores(db: Session, actor: Actor, app: Application, current: Any) -> bool:
    """Whether the actor may see the other members' scores of scoring round `current`.

    Programme leaders and auditors always; a steering member once the committee has given its
    joint advice in that round; a member (whatever other role they hold) once they declared no
    conflict, are not recused and submitted their own sheet in that round.
    """
    person = actor.person_id or 0
    return sees_round(
        actor,
        current.number,
        advised=lambda: store.advised_rounds(db, app.pk),
        record=lambda: store.assignment(db, app.pk, person),
        own=lambda: store.sheet(db, current.pk, person),
    )


def sees_round(
    actor: Actor,
    number: int,
    *,
    advised: Callable[[], set[int]],
    record: Callable[[], CommitteeAssignment | None],
    own: Callable[[], ScoreSheet | None],
) -> bool:
    """`sees_scores`, with what it reads given: the numbers of the application's advised
    rounds, the actor's assignment to it, and their sheet in round `number`; each is asked for
    only when the rule needs it, so a caller that has them read already reads nothing more."""
    if actor.holds(OVERSEERS):
        return True
    if actor.holds([Role.STEERING_MEMBER]) and number in advised():
        return True
    assigned = record()
    if assigned is None or assigned.recused or assigned.declaration != "none":
        return False
    sheet = own()
    return sheet is not None and sheet.submitted_at is not None


BLINDED = "blind scoring: submit your own sheet first"


def blind_score_events(
    db: Session, actor: Actor, app: Application, events: list[dict[str, Any]]
) -> set[int]:
    """The other members' score events, in the rounds whose scores the actor may not see.

    `events` is the application's history in chain order; a score event belongs to the scoring
    round opened last before it.
    """
    rounds = {r.number: r for r in store.rounds(db, app.pk)}
    visible = {n: sees_scores(db, actor, app, r) for n, r in rounds.items()}
    number, overseer = 0, actor.holds(OVERSEERS)
    blind: set[int] = set()
    for event in events:
        effects = (event["payload"] or {}).get("effects") or {}
        if event["trigger"] == "open_scoring" and "scoring_round" in effects:
            number = int(effects["scoring_round"])
        mine = event["actor"] == actor.email
        if event["action"].startswith("score.") and not mine and not visible.get(number, overseer):
            blind.add(event["seq"])
    return blind


INSIDERS = tuple(role for role in Role if role != Role.APPLICANT)


DECIDING = ("approve", "approve_with_conditions", "reject", "defer")


ADVICE_FIELDS = ("advice", "advice_rationale")


WITHHELD = (
    "the joint advice goes to the steering committee; the applicant reads it with the decision"
)


def withheld_advice(actor: Actor, events: list[dict[str, Any]]) -> set[int]:
    """The events carrying a joint advice that the actor may not read yet.

    The committee advises the steering committee, not the applicant: an applicant reads an
    advice once a decision has been taken on it, as part of that decision's motivation. Everyone
    with a role in the process reads it at once. `events` is the history in chain order.
    """
    if actor.holds(INSIDERS):
        return set()
    withheld: set[int] = set()
    for event in events:
        values = (event["payload"] or {}).get("values") or {}
        if any(field in values for field in ADVICE_FIELDS):
            withheld.add(event["seq"])
        if event["action"] == "fire" and event["outcome"] == "ok" and event["trigger"] in DECIDING:
            withheld.clear()
    return withheld


def hidden_events(
    db: Session, actor: Actor, app: Application, events: list[dict[str, Any]]
) -> dict[int, str]:
    """The events of the application's history (chain order) whose payload the actor may not
    read, each with the reason shown in its place: blind scores, and a withheld advice."""
    hidden = dict.fromkeys(blind_score_events(db, actor, app, events), BLINDED)
    hidden.update(dict.fromkeys(withheld_advice(actor, events), WITHHELD))
    return hidden
