"""Blind scoring: the members' score sheets, the joint advice, and the round's views.

A member sees other members' scores only after submitting their own sheet, and only after
declaring they have no conflict of interest (the rules are in `policy`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NotRequired, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor, require
from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import Field, InvalidInput, NotAllowed, NotFound, NotPermitted
from kracht.storage import assessments as store
from kracht.storage import audit, clock, repository
from kracht.storage.tables import (
    Application,
    Score,
    ScoreSheet,
    ScoringRound,
)
from kracht.workflow import engine
from kracht.workflow.aggregate import aggregate
from kracht.workflow.config import Scoring
from kracht.workflow.effects.checks import interest
from kracht.workflow.move import Audited, Moved
from kracht.workflow.services.assignment import MEMBERS, assignment_of, settle_interest
from kracht.workflow.services.policy import (
    BLIND,
    INSIDERS,
    OVERSEERS,
    SEES_RANKING,
    sees_round,
    sees_scores,
)
from kracht.workflow.unit import Unit, reads

if TYPE_CHECKING:
    from sqlmodel import Session


class Drafted(Audited):
    """Draft scores set: the score given per criterion."""

    draft: dict[str, int]


class Submitted(Audited):
    """A sheet submitted: its final score per criterion, and the criteria's version."""

    submitted: dict[str, int]
    criteria_version: str


class Corrected(Audited):
    """A submitted score corrected: the criterion, its old and new score, and why."""

    criterion: str
    old: int
    new: int
    reason: str


def score(
    unit: Unit,
    application_id: int,
    values: dict[str, tuple[str, str]],
) -> Drafted:
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
        current = store.current_scores(db, sheet.pk)
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

    settle_interest(unit, application_id)
    return cast(
        Drafted, engine.write_with_audit(unit, application_id, MEMBERS, "score.draft", change)
    )


def submit(unit: Unit, application_id: int) -> Submitted:
    """Submit the sheet: every criterion must be scored; the scores are final from now on."""
    from kracht.notifications import reminders

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        rules, sheet = _open_sheet(unit, app)
        if sheet.submitted_at is not None:
            raise NotAllowed("your score sheet is already submitted")
        current = store.current_scores(db, sheet.pk)
        missing = [c.key for c in rules.criteria if c.key not in current]
        if missing:
            raise InvalidInput(
                "score every criterion before submitting; missing: " + ", ".join(missing)
            )
        sheet.submitted_at = unit.clock.now()
        repository.flush(db)
        reminders.close(db, application_id=app.pk, kind="scoring_deadline", recipient=actor.email)
        return {
            "submitted": {k: s.value for k, s in current.items()},
            "criteria_version": rules.version,
        }

    settle_interest(unit, application_id)
    return cast(
        Submitted, engine.write_with_audit(unit, application_id, MEMBERS, "score.submit", change)
    )


def correct(
    unit: Unit,
    application_id: int,
    criterion: str,
    raw: str,
    motivation: str,
    reason: str,
) -> Corrected:
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
        old = store.current_scores(db, sheet.pk)[criterion]
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

    settle_interest(unit, application_id)
    return cast(
        Corrected, engine.write_with_audit(unit, application_id, MEMBERS, "score.correct", change)
    )


class Member(TypedDict):
    """A member assigned to the application: their declaration and any recusal."""

    member: str
    name: str
    declaration: str | None  # none | conflict; None until declared
    recused: bool
    recusal_reason: str | None


class CriterionShown(TypedDict):
    """A criterion of a scoring round, as the round was opened with it."""

    key: str
    name: str
    question: str
    weight: int
    minimum: int | None


class ScoreShown(TypedDict):
    """A criterion's current score on a sheet."""

    score: int
    motivation: str
    revision: int


class Correction(TypedDict):
    """A correction of a submitted score: the new score, its revision and the reason."""

    criterion: str
    score: int
    revision: int
    reason: str | None


class SheetShown(TypedDict):
    """A member's score sheet: the current scores per criterion, and their corrections."""

    member: str
    submitted_at: str | None  # None while a draft
    scores: dict[str, ScoreShown]
    corrections: list[Correction]


class CriterionAggregate(TypedDict):
    """One criterion's scores over the counted sheets (`aggregate.CriterionResult`)."""

    key: str
    name: str
    weight: int
    scores: list[int]
    mean: float | None
    median: float | None
    spread: int | None
    knocked_out: bool
    disagreement: bool


class AggregateShown(TypedDict):
    """The committee's picture of a round (`aggregate.Aggregate.as_dict`)."""

    sheets: int
    criteria: list[CriterionAggregate]
    weighted_total: float | None
    knock_outs: list[str]
    disagreements: list[str]


class RoundShown(TypedDict):
    """A scoring round: its criteria, who submitted, and what the actor may see of it."""

    number: int
    deadline: str
    criteria_version: str
    criteria: list[CriterionShown]
    scale_min: int  # the scores a member may give, from scale_min to scale_max
    scale_max: int
    meanings: list[str]  # what each score means, lowest first (empty when not configured)
    submitted: list[str]  # the members who submitted their sheet
    own_sheet: NotRequired[SheetShown]  # when the actor has a sheet in the round
    visible: bool
    sheets: NotRequired[list[SheetShown]]  # when visible
    aggregate: NotRequired[AggregateShown]  # when visible


class Committee(TypedDict):
    """The committee's picture of one application: its members and scoring rounds."""

    application_id: int
    members: list[Member]
    rounds: list[RoundShown]


@reads
def view(unit: Unit, application_id: int) -> Committee:
    """The committee's picture of one application, as far as the actor may see it."""
    db = unit.db
    actor = unit.actor
    app = repository.application(db, application_id)
    if app is None:
        raise NotFound("application", application_id)
    return describe(db, actor, app)


def describe(db: Session, actor: Actor, app: Application) -> Committee:
    """The committee's picture of `app`, as far as `actor` may see it."""
    if not actor.sees_everything() and actor.organisation_id != app.applicant_org_id:
        raise NotPermitted(
            actor.email,
            f"see application {app.id}",
            roles_held=sorted(actor.roles),
            because="it is another organisation's application",
        )
    if not actor.holds(INSIDERS):  # an applicant: not who assesses them, nor how far
        return {"application_id": app.pk, "members": [], "rounds": []}
    assigned = store.assignment_rows(db, app.pk)
    members: list[Member] = [
        {
            "member": p.email,
            "name": p.name,
            "declaration": a.declaration,
            "recused": a.recused,
            "recusal_reason": a.recusal_reason,
        }
        for a, p in assigned
    ]
    advised: set[int] | None = None

    def advised_rounds() -> set[int]:  # read once, and only if a round's visibility needs it
        nonlocal advised
        if advised is None:
            advised = store.advised_rounds(db, app.pk)
        return advised

    rounds = [
        round_view(db, actor, app, r, assigned=assigned, advised=advised_rounds)
        for r in store.rounds(db, app.pk)
    ]
    return {"application_id": app.pk, "members": members, "rounds": rounds}


class Ranked(TypedDict):
    """An application in a round's ranking, with its aggregate scores."""

    id: int
    title: str
    state: str
    sheets: int
    weighted_total: float | None  # None until every criterion has a score
    knock_outs: list[str]
    disagreements: list[str]
    criteria_version: str


@reads
def ranking(unit: Unit, round_label: str) -> list[Ranked]:
    """The applications of a round whose scores the actor may see, side by side: best weighted
    total first, knock-outs last."""
    db = unit.db
    actor = unit.actor
    require(actor, SEES_RANKING, "see the ranking of a round")
    rows: list[Ranked] = []
    for app, current in scored(db, actor, round_label):
        result = aggregate(Scoring.from_dict(current.scoring), matrix(db, app, current))
        rows.append(
            {
                "id": app.pk,
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
    for app, current in scored(db, actor, round_label, must_exist=False):
        recused = store.recused_people(db, app.pk)
        for sheet, person in store.sheets(db, current.pk):
            status = (
                "recused"
                if person.id in recused
                else ("submitted" if sheet.submitted_at else "draft")
            )
            if status != "submitted" and not everything:
                continue
            submitted = audit.canonical_time(sheet.submitted_at) if sheet.submitted_at else ""
            for s in store.scores(db, sheet.pk):
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


def scored(
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
        current = store.current_round(db, app.pk)
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


def advise(unit: Unit, application_id: int, advice: str, rationale: str) -> Moved:
    """The chair's joint advice, recorded with the move to the steering decision.

    Only a chair assigned to the application and not recused may record it (`check_adviser`,
    which the engine applies to every `submit_advice`); a conflict found now is recorded first.
    """
    settle_interest(unit, application_id)
    return engine.fire(
        unit,
        application_id,
        "submit_advice",
        values={"advice": advice, "advice_rationale": rationale},
    )


def recorded_afterwards(current: ScoringRound) -> bool:
    """A past round, entered after its deadline had passed (`scoring_opened_on`): its members'
    sheets are entered as they come, after the deadline."""
    return clock.local_day(current.opened_at) > current.deadline


def _open_sheet(unit: Unit, app: Application) -> tuple[Scoring, ScoreSheet]:
    """Check the actor may score now, and return the round's criteria and their sheet."""
    rules, current = may_score(unit, app)
    sheet = store.sheet(unit.db, current.pk, unit.actor.person_id or 0)
    if sheet is None:
        sheet = store.add(unit.db, ScoreSheet(round_id=current.id, person_id=unit.actor.person_id))
    return rules, sheet


def may_score(unit: Unit, app: Application) -> tuple[Scoring, ScoringRound]:
    """Check the actor may score `app` now (assigned, not recused, interests declared, scoring
    open, before the deadline), writing nothing; the round's criteria and the round itself."""
    db, actor = unit.db, unit.actor
    record = assignment_of(db, app, actor)
    # `settle_interest` has recorded a recusal found now, which stands though this refuses
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
    current = store.current_round(db, app.pk)
    if app.state != "kracht_scoring" or current is None:
        raise NotAllowed(f"scoring is not open for application {app.id}: it is {app.state}")
    if unit.clock.today() > current.deadline and not recorded_afterwards(current):
        raise NotAllowed(
            f"the scoring deadline for application {app.id} passed on "
            f"{current.deadline.isoformat()}"
        )
    return Scoring.from_dict(current.scoring), current


def _valid(rules: Scoring, key: str, raw: str, motivation: str) -> tuple[int, str]:
    return score_value(rules, key, raw), motivation_text(key, motivation)


def score_value(rules: Scoring, key: str, raw: object) -> int:
    """A score given for criterion `key`: a whole number on the round's scale."""
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
    return value


def motivation_text(key: str, motivation: str) -> str:
    """The written motivation of a score for criterion `key`, as it is kept."""
    if not (motivation or "").strip():
        raise InvalidInput(f"{key}: a score needs a written motivation")
    return inputs.text(motivation, f"{key}: the motivation", inputs.LONG)


def counted(
    db: Session, app: Application, current: Any
) -> list[tuple[store.SheetRow, store.MemberRow]]:
    """The sheets that make the score matrix: submitted, by members who are not recused."""
    recused = store.recused_people(db, app.pk)
    return [
        (sheet, person)
        for sheet, person in store.sheets(db, current.pk)
        if sheet.submitted_at is not None and person.id not in recused
    ]


def matrix(db: Session, app: Application, current: Any) -> dict[str, dict[str, int]]:
    return {
        person.email: {k: s.value for k, s in store.current_scores(db, sheet.pk).items()}
        for sheet, person in counted(db, app, current)
    }


def round_view(
    db: Session,
    actor: Actor,
    app: Application,
    current: Any,
    *,
    assigned: list[tuple[Any, Any]] | None = None,  # assignment and member rows
    advised: Callable[[], set[int]] | None = None,
) -> RoundShown:
    """Scoring round `current` of `app`, its scores only when `actor` may see them.

    `assigned` is the application's assignments (`store.assignments`) and `advised` gives its
    advised rounds, when the caller has them; the round's sheets are read once, and its scores
    in one statement: all of them when the actor may see them, else only the actor's own.
    """
    if assigned is None:
        assigned = store.assignments(db, app.pk)
    if advised is None:
        advised = functools.partial(store.advised_rounds, db, app.pk)
    person = actor.person_id or 0
    record = next((a for a, _ in assigned if a.person_id == person), None)
    sheets = store.sheets(db, current.pk)
    own = next((s for s, _ in sheets if s.person_id == person), None)
    rules = Scoring.from_dict(current.scoring)
    view: RoundShown = {
        "number": current.number,
        "deadline": current.deadline.isoformat(),
        "criteria_version": current.config_version,
        "criteria": [
            {
                "key": c.key,
                "name": c.name,
                "question": c.question,
                "weight": c.weight,
                "minimum": c.minimum,
            }
            for c in rules.criteria
        ],
        "scale_min": rules.scale_min,
        "scale_max": rules.scale_max,
        "meanings": list(rules.meanings),
        "submitted": sorted(p.email for s, p in sheets if s.submitted_at is not None),
    }
    visible = sees_round(
        actor, current.number, advised=advised, record=lambda: record, own=lambda: own
    )
    history: dict[int, list[Any]] = {}  # ScoreRow, by sheet
    if visible:
        history = store.round_scores(db, current.pk)
    elif own is not None:  # blind: not even read, the other members' scores
        history = {own.pk: store.score_rows(db, own.pk)}
    if own is not None:
        view["own_sheet"] = shown_sheet(own, actor.email, history.get(own.pk, []))
    view["visible"] = visible
    if visible:
        recused = store.recused_in(assigned)
        counted = [
            (sheet, p)
            for sheet, p in sheets
            if sheet.submitted_at is not None and p.id not in recused
        ]
        view["sheets"] = [shown_sheet(s, p.email, history.get(s.pk, [])) for s, p in counted]
        matrix = {
            p.email: {k: s.value for k, s in store.newest(history.get(sheet.pk, [])).items()}
            for sheet, p in counted
        }
        view["aggregate"] = cast(AggregateShown, aggregate(rules, matrix).as_dict())
    return view


def sheet_view(db: Session, sheet: ScoreSheet, member: str) -> SheetShown:
    """A member's sheet: current scores and the corrections made to them."""
    return shown_sheet(sheet, member, store.score_rows(db, sheet.pk))


def shown_sheet(sheet: ScoreSheet | store.SheetRow, member: str, history: list[Any]) -> SheetShown:
    """A member's sheet from its scores' `history` (every revision, as `store.scores` gives)."""
    current = store.newest(history)
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
