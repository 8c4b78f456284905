"""The assessment committee at work: assignment, declarations of interest, blind scoring, advice.

Blind scoring: a member sees other members' scores only after submitting their own sheet, and
only after declaring they have no conflict of interest. Programme leaders and auditors see all;
steering members see a round's scores once the committee has given its joint advice in it. Every
read of scores (view, ranking, export, history) asks `sees_scores`.

A conflict of interest is recorded whenever it is found: at assignment, at a declaration, when a
partner joins (`recuse_linked`), and when a linked member tries to score (`_settle_interest`,
committed on its own before the attempt is refused). A recused member's sheet neither counts
toward the quorum nor appears in the score matrix or the aggregate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kracht.basics import inputs
from kracht.basics.actors import Actor, require
from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import ConcurrentChange, Field, InvalidInput, NotAllowed, NotFound
from kracht.basics.roles import Role
from kracht.notifications import deadlines
from kracht.storage import assessments as store
from kracht.storage import audit, repository
from kracht.storage.tables import (
    Application,
    CommitteeAssignment,
    Programme,
    Score,
    ScoreSheet,
)
from kracht.workflow import engine
from kracht.workflow.aggregate import aggregate
from kracht.workflow.config import Scoring
from kracht.workflow.definition import TERMINAL
from kracht.workflow.effects.checks import interest
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session

ASSIGNERS = (Role.PROGRAMME_LEADER, Role.COMMITTEE_CHAIR)
MEMBERS = (Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR)
OVERSEERS = (Role.PROGRAMME_LEADER, Role.AUDITOR)
SEES_RANKING = (Role.PROGRAMME_LEADER, Role.AUDITOR, Role.STEERING_MEMBER)
BLIND = (
    "scoring is blind: a member sees the scores after submitting their own sheet, a steering "
    "member once the committee has given its joint advice"
)


def assign(unit: Unit, application_id: int, member: str) -> dict[str, Any]:
    """Assign one committee member; see `assign_all`."""
    return assign_all(unit, application_id, [member])[0]


def assign_all(unit: Unit, application_id: int, members: Sequence[str]) -> list[dict[str, Any]]:
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
    done: list[dict[str, Any]] = []

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
            payload: dict[str, Any] = {"member": person.email}
            reason = interest(db, app, person.organisation_id)
            if reason:
                _recuse(db, actor, app, record, person.email, reason, "automatic")
                payload["recused"] = reason
            else:
                deadlines.member_joined(db, app, person, unit.settings.reminders)
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
        return done[-1]

    result = engine.write_with_audit(unit, application_id, ASSIGNERS, "committee.assign", change)
    common = {"application_id": result["application_id"], "version": result["version"]}
    return [{**common, **payload} for payload in done[:-1]] + [result]


def _assignable(db: Session, app: Application, email: str, count: int) -> Any:
    """The person behind `email`, if they can join this application's committee."""
    nobody = "; nobody was assigned" if count > 1 else ""
    person = repository.person_by_email(db, email)
    if person is None or person.id is None:
        raise NotFound("person", email, then=nobody.removeprefix("; "))
    if not set(repository.roles_of(db, person.id)) & {str(r) for r in MEMBERS}:
        raise InvalidInput(f"{person.email} is not a committee member{nobody}")
    if store.assignment(db, app.id or 0, person.id):
        raise InvalidInput(f"{person.email} is already assigned to application {app.id}{nobody}")
    return person


def declare(unit: Unit, application_id: int, conflict: str | None) -> dict[str, Any]:
    """A member declares a conflict of interest (and is recused) or declares none."""
    if conflict is not None:
        conflict = inputs.text(conflict, Field("conflict of interest", "conflict"), inputs.REASON)

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        record = _assignment_of(db, app, actor)
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

    return engine.write_with_audit(unit, application_id, MEMBERS, "committee.declare", change)


def score(
    unit: Unit,
    application_id: int,
    values: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    """Set draft scores: {criterion: (score, motivation)}; editable until the sheet is submitted."""
    if not values:
        raise InvalidInput("give at least one criterion to score")

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db = unit.db
        rules, sheet = _open_sheet(unit, app)
        if sheet.submitted_at is not None:
            raise NotAllowed(
                "your score sheet is submitted and final; correct a score instead",
                step="correct_score",
                application=app.id,
            )
        current = store.current_scores(db, sheet.id or 0)
        recorded = {}
        for key, (raw, motivation) in values.items():
            value, text = _valid(rules, key, raw, motivation)
            if key in current:
                current[key].value, current[key].motivation = value, text
                current[key].recorded_at = unit.clock.now()
            else:
                store.add(db, Score(sheet_id=sheet.id, criterion=key, value=value, motivation=text))
            recorded[key] = value
        repository.flush(db)
        return {"draft": recorded}

    _settle_interest(unit, application_id)
    return engine.write_with_audit(unit, application_id, MEMBERS, "score.draft", change)


def submit(unit: Unit, application_id: int) -> dict[str, Any]:
    """Submit the sheet: every criterion must be scored; the scores are final from now on."""
    from kracht.notifications import reminders

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        rules, sheet = _open_sheet(unit, app)
        if sheet.submitted_at is not None:
            raise NotAllowed("your score sheet is already submitted")
        current = store.current_scores(db, sheet.id or 0)
        missing = [c.key for c in rules.criteria if c.key not in current]
        if missing:
            raise InvalidInput(
                "score every criterion before submitting; missing: " + ", ".join(missing)
            )
        sheet.submitted_at = unit.clock.now()
        repository.flush(db)
        reminders.close(
            db, application_id=app.id or 0, kind="scoring_deadline", recipient=actor.email
        )
        return {
            "submitted": {k: s.value for k, s in current.items()},
            "criteria_version": rules.version,
        }

    _settle_interest(unit, application_id)
    return engine.write_with_audit(unit, application_id, MEMBERS, "score.submit", change)


def correct(
    unit: Unit,
    application_id: int,
    criterion: str,
    raw: str,
    motivation: str,
    reason: str,
) -> dict[str, Any]:
    """Correct a submitted score: a new revision, the old one kept, the reason audited."""
    if not (reason or "").strip():
        raise InvalidInput("a correction needs a reason", field="reason", label="a reason")
    reason = inputs.text(reason, Field("reason"), inputs.REASON)

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db = unit.db
        rules, sheet = _open_sheet(unit, app)
        if sheet.submitted_at is None:
            raise NotAllowed(
                "your sheet is still a draft: change the score itself",
                step="set_score",
                application=app.id,
            )
        value, text = _valid(rules, criterion, raw, motivation)
        old = store.current_scores(db, sheet.id or 0)[criterion]
        store.add(
            db,
            Score(
                sheet_id=sheet.id,
                criterion=criterion,
                value=value,
                motivation=text,
                revision=old.revision + 1,
                reason=reason.strip(),
            ),
        )
        return {"criterion": criterion, "old": old.value, "new": value, "reason": reason.strip()}

    _settle_interest(unit, application_id)
    return engine.write_with_audit(unit, application_id, MEMBERS, "score.correct", change)


def view(unit: Unit, application_id: int) -> dict[str, Any]:
    """The committee's picture of one application, as far as the actor may see it."""
    db = unit.db
    actor = unit.actor
    app = repository.application(db, application_id)
    if app is None:
        raise NotFound("application", application_id)
    return describe(db, actor, app)


def describe(db: Session, actor: Actor, app: Application) -> dict[str, Any]:
    if not actor.sees_everything() and actor.organisation_id != app.applicant_org_id:
        raise NotAllowed(f"{actor.email} may not see application {app.id}")
    members = [
        {
            "member": p.email,
            "name": p.name,
            "declaration": a.declaration,
            "recused": a.recused,
            "recusal_reason": a.recusal_reason,
        }
        for a, p in store.assignments(db, app.id or 0)
    ]
    rounds = [_round_view(db, actor, app, r) for r in store.rounds(db, app.id or 0)]
    return {"application_id": app.id, "members": members, "rounds": rounds}


def ranking(unit: Unit, round_label: str) -> list[dict[str, Any]]:
    """The applications of a round whose scores the actor may see, side by side: best weighted
    total first, knock-outs last."""
    db = unit.db
    actor = unit.actor
    require(actor, SEES_RANKING, "see the ranking of a round")
    rows = []
    for app, current in _scored(db, actor, round_label):
        result = aggregate(Scoring.from_dict(current.scoring), _matrix(db, app, current))
        rows.append(
            {
                "id": app.id,
                "title": app.title,
                "state": app.state,
                "sheets": result.sheets,
                "weighted_total": result.weighted_total,
                "knock_outs": list(result.knock_outs),
                "disagreements": list(result.disagreements),
                "criteria_version": current.config_version,
            }
        )
    return sorted(rows, key=lambda r: (bool(r["knock_outs"]), -(r["weighted_total"] or 0)))


EXPORT_COLUMNS = [
    "application_id",
    "title",
    "scoring_round",
    "criteria_version",
    "member",
    "criterion",
    "score",
    "motivation",
    "revision",
    "submitted_at",
    "status",
]


def export_matrix(unit: Unit, round_label: str) -> Iterator[str]:
    """The round's score matrix as CSV: one row per application, member, criterion and revision.

    Only applications whose scores the actor may see, and only the submitted sheets of members
    who are not recused; programme leaders and auditors also get drafts and recused members'
    sheets, marked in the `status` column (submitted, draft, recused).
    """
    db = unit.db
    actor = unit.actor
    require(actor, SEES_RANKING, "export the score matrix")
    everything = actor.holds(OVERSEERS)
    lines = [csv_line(EXPORT_COLUMNS)]
    for app, current in _scored(db, actor, round_label, must_exist=False):
        recused = store.recused_people(db, app.id or 0)
        for sheet, person in store.sheets(db, current.id or 0):
            status = (
                "recused"
                if person.id in recused
                else ("submitted" if sheet.submitted_at else "draft")
            )
            if status != "submitted" and not everything:
                continue
            submitted = audit.canonical_time(sheet.submitted_at) if sheet.submitted_at else ""
            for s in store.scores(db, sheet.id or 0):
                lines.append(
                    csv_line(
                        [
                            app.id,
                            app.title,
                            current.number,
                            current.config_version,
                            person.email,
                            s.criterion,
                            s.value,
                            s.motivation,
                            s.revision,
                            submitted,
                            status,
                        ]
                    )
                )
    return iter(lines)


def _scored(
    db: Session, actor: Actor, round_label: str, must_exist: bool = True
) -> list[tuple[Application, Any]]:
    """The round's applications with a scoring round whose scores the actor may see.

    Refused when the round has scored applications but the actor may see none of them, and when
    no application is in the round at all (a mistyped round); `must_exist` refuses a round with
    applications but no scores yet too.
    """
    scored, visible = 0, []
    applications = store.applications_in_round(db, round_label)
    for app in applications:
        current = store.current_round(db, app.id or 0)
        if current is None:
            continue
        scored += 1
        if sees_scores(db, actor, app, current):
            visible.append((app, current))
    if scored and not visible:
        raise NotAllowed(
            f"{actor.email} may not see the scores of round {round_label} yet: {BLIND}"
        )
    if not scored and (must_exist or not applications):
        raise NotFound("scored applications in round", round_label)
    return visible


def advise(unit: Unit, application_id: int, advice: str, rationale: str) -> dict[str, Any]:
    """The chair's joint advice, recorded with the move to the steering decision.

    Only a chair assigned to the application and not recused may record it (`check_adviser`,
    which the engine applies to every `submit_advice`); a conflict found now is recorded first.
    """
    _settle_interest(unit, application_id)
    return engine.fire(
        unit,
        application_id,
        "submit_advice",
        values={"advice": advice, "advice_rationale": rationale},
    )


# -- helpers ------------------------------------------------------------------------------------


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
    for record, person in store.assignments(db, app.id or 0):
        if reason and person.organisation_id == organisation_id and not record.recused:
            _recuse(db, actor, app, record, person.email, reason, "automatic")
            recused.append(person.email)
    return recused


def _settle_interest(unit: Unit, application_id: int) -> None:
    """Record the recusal of an assigned member linked to the applicant or a partner; it stands
    even though the action that found it is then refused (`Unit.stand`)."""

    def settle(db: Session, actor: Actor) -> None:
        found = _unrecorded_interest(db, actor.email, application_id)
        if found is None:
            return
        app, record, reason = found
        repository.application(db, application_id, lock=True)  # as every writer of it does
        if not repository.save_application(db, app, app.version):
            raise ConcurrentChange(app.id or 0)
        _recuse(db, actor, app, record, actor.email, reason, "automatic")

    if _unrecorded_interest(unit.db, unit.actor.email, application_id) is not None:
        settle(unit.db, unit.actor)
        unit.stand(settle)


def _unrecorded_interest(
    db: Session, actor_email: str | None, application_id: int
) -> tuple[Application, Any, str] | None:
    person = repository.person_by_email(db, (actor_email or "").strip())
    app = repository.application(db, application_id)
    if person is None or person.id is None or app is None or app.state in TERMINAL:
        return None  # the action itself names the problem
    record = store.assignment(db, application_id, person.id)
    if record is None or record.recused:
        return None
    reason = interest(db, app, person.organisation_id)
    return (app, record, reason) if reason else None


def _assignment_of(db: Session, app: Application, actor: Actor) -> Any:
    record = store.assignment(db, app.id or 0, actor.person_id or 0)
    if record is None:
        raise NotAllowed(f"{actor.email} is not assigned to application {app.id}")
    return record


def _open_sheet(unit: Unit, app: Application) -> tuple[Scoring, ScoreSheet]:
    """Check the actor may score now, and return the round's criteria and their sheet."""
    db, actor = unit.db, unit.actor
    record = _assignment_of(db, app, actor)
    # `_settle_interest` has recorded a recusal found now, which stands though this refuses
    reason = record.recusal_reason if record.recused else interest(db, app, actor.organisation_id)
    if reason:
        raise NotAllowed(f"{actor.email} is recused from application {app.id}: {reason}")
    if record.declaration != "none":
        raise NotAllowed(
            "declare your interests first: none, or a conflict of interest",
            step="declare_first",
            actor=actor.email,
            application=app.id,
        )
    current = store.current_round(db, app.id or 0)
    if app.state != "kracht_scoring" or current is None:
        raise NotAllowed(f"scoring is not open for application {app.id}: it is {app.state}")
    if unit.clock.today() > current.deadline:
        raise NotAllowed(
            f"the scoring deadline for application {app.id} passed on "
            f"{current.deadline.isoformat()}"
        )
    sheet = store.sheet(db, current.id or 0, actor.person_id or 0)
    if sheet is None:
        sheet = store.add(db, ScoreSheet(round_id=current.id, person_id=actor.person_id))
    return Scoring.from_dict(current.scoring), sheet


def _valid(rules: Scoring, key: str, raw: str, motivation: str) -> tuple[int, str]:
    rules.criterion(key)
    text = str(raw).strip()
    digits = text.isascii() and text.lstrip("-").isdigit() and len(text) <= 19
    if isinstance(raw, bool) or not digits:
        raise InvalidInput(f"{key}: {inputs.shown(raw)} is not a whole-number score")
    value = int(text)
    if not rules.scale_min <= value <= rules.scale_max:
        raise InvalidInput(
            f"{key}: {value} is outside the scale {rules.scale_min}-{rules.scale_max}"
        )
    if not (motivation or "").strip():
        raise InvalidInput(f"{key}: a score needs a written motivation")
    return value, inputs.text(motivation, f"{key}: the motivation", inputs.LONG)


def _counted(db: Session, app: Application, current: Any) -> list[tuple[ScoreSheet, Any]]:
    """The sheets that make the score matrix: submitted, by members who are not recused."""
    recused = store.recused_people(db, app.id or 0)
    return [
        (sheet, person)
        for sheet, person in store.sheets(db, current.id or 0)
        if sheet.submitted_at is not None and person.id not in recused
    ]


def _matrix(db: Session, app: Application, current: Any) -> dict[str, dict[str, int]]:
    return {
        person.email: {k: s.value for k, s in store.current_scores(db, sheet.id or 0).items()}
        for sheet, person in _counted(db, app, current)
    }


def sees_scores(db: Session, actor: Actor, app: Application, current: Any) -> bool:
    """Whether the actor may see the other members' scores of scoring round `current`.

    Programme leaders and auditors always; a steering member once the committee has given its
    joint advice in that round; a member (whatever other role they hold) once they declared no
    conflict, are not recused and submitted their own sheet in that round.
    """
    if actor.holds(OVERSEERS):
        return True
    if actor.holds([Role.STEERING_MEMBER]) and current.number in store.advised_rounds(
        db, app.id or 0
    ):
        return True
    record = store.assignment(db, app.id or 0, actor.person_id or 0)
    if record is None or record.recused or record.declaration != "none":
        return False
    own = store.sheet(db, current.id or 0, actor.person_id or 0)
    return own is not None and own.submitted_at is not None


BLINDED = "blind scoring: submit your own sheet first"


def blind_score_events(
    db: Session, actor: Actor, app: Application, events: list[dict[str, Any]]
) -> set[int]:
    """The other members' score events, in the rounds whose scores the actor may not see.

    `events` is the application's history in chain order; a score event belongs to the scoring
    round opened last before it.
    """
    rounds = {r.number: r for r in store.rounds(db, app.id or 0)}
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


def _round_view(db: Session, actor: Actor, app: Application, current: Any) -> dict[str, Any]:
    rules = Scoring.from_dict(current.scoring)
    view: dict[str, Any] = {
        "number": current.number,
        "deadline": current.deadline.isoformat(),
        "criteria_version": current.config_version,
        "criteria": [
            {"key": c.key, "name": c.name, "weight": c.weight, "minimum": c.minimum}
            for c in rules.criteria
        ],
        "submitted": sorted(
            p.email for s, p in store.sheets(db, current.id or 0) if s.submitted_at is not None
        ),
    }
    own = store.sheet(db, current.id or 0, actor.person_id or 0)
    if own is not None:
        view["own_sheet"] = _sheet_view(db, own, actor.email)
    view["visible"] = sees_scores(db, actor, app, current)
    if view["visible"]:
        view["sheets"] = [_sheet_view(db, s, p.email) for s, p in _counted(db, app, current)]
        view["aggregate"] = aggregate(rules, _matrix(db, app, current)).as_dict()
    return view


def _sheet_view(db: Session, sheet: ScoreSheet, member: str) -> dict[str, Any]:
    history = store.scores(db, sheet.id or 0)
    current = store.current_scores(db, sheet.id or 0)
    return {
        "member": member,
        "submitted_at": audit.canonical_time(sheet.submitted_at) if sheet.submitted_at else None,
        "scores": {
            k: {"score": s.value, "motivation": s.motivation, "revision": s.revision}
            for k, s in current.items()
        },
        "corrections": [
            {"criterion": s.criterion, "score": s.value, "revision": s.revision, "reason": s.reason}
            for s in history
            if s.revision > 0
        ],
    }


def programme_of(db: Session, app: Application) -> Programme:
    programme = repository.programme(db, app.programme_id)
    assert programme is not None
    return programme
