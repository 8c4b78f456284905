"""Reads and writes for the assessment committee: assignments, rounds, sheets and scores."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage import hot
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    AuditEvent,
    CommitteeAssignment,
    Person,
    ProgrammeConfig,
    Score,
    ScoreSheet,
    ScoringRound,
)

S = TypeVar("S")  # a score, as an ORM row or a ScoreRow


def newest_config(db: Session, programme_id: int) -> ProgrammeConfig | None:
    return db.exec(
        select(ProgrammeConfig)
        .where(ProgrammeConfig.programme_id == programme_id)
        .order_by(col(ProgrammeConfig.id).desc())
    ).first()


def interested_organisations(db: Session, app: Application) -> set[int]:
    """The applicant's organisation and every partner's: members from these are recused."""
    partners = db.exec(
        select(ApplicationPartner.organisation_id).where(
            ApplicationPartner.application_id == app.id
        )
    ).all()
    return {app.applicant_org_id, *partners}


def assignments(db: Session, application_id: int) -> list[tuple[CommitteeAssignment, Person]]:
    return list(
        db.exec(
            select(CommitteeAssignment, Person)
            .join(Person, col(CommitteeAssignment.person_id) == Person.id)
            .where(CommitteeAssignment.application_id == application_id)
            .order_by(col(CommitteeAssignment.id))
        ).all()
    )


class AssignmentRow(NamedTuple):
    """A member's assignment to an application, as read for showing it."""

    id: int
    person_id: int
    declaration: str | None
    recused: bool
    recusal_reason: str | None


def assignment_rows(db: Session, application_id: int) -> list[tuple[AssignmentRow, MemberRow]]:
    """As `assignments`, read for showing them (no ORM objects built)."""
    return [
        (AssignmentRow(*row[:5]), MemberRow(*row[5:]))
        for row in hot.rows(db, _ASSIGNMENTS, {"app": application_id})
    ]


def assignment(db: Session, application_id: int, person_id: int) -> CommitteeAssignment | None:
    return db.exec(
        select(CommitteeAssignment).where(
            CommitteeAssignment.application_id == application_id,
            CommitteeAssignment.person_id == person_id,
        )
    ).first()


def recused_people(db: Session, application_id: int) -> set[int]:
    """The people recused from an application: their sheets neither count nor show."""
    return recused_in(assignments(db, application_id))


def recused_in(assigned: list[tuple[Any, Any]]) -> set[int]:
    """The people recused among `assigned` (as `assignments` returns them)."""
    return {a.person_id for a, _ in assigned if a.recused}


def current_round(db: Session, application_id: int) -> ScoringRound | None:
    return db.exec(
        select(ScoringRound)
        .where(ScoringRound.application_id == application_id)
        .order_by(col(ScoringRound.number).desc())
    ).first()


def rounds(db: Session, application_id: int) -> list[Any]:
    """The application's scoring rounds by number, read for showing them: named tuples with
    `ScoringRound`'s columns."""
    return _ROUNDS.read(db, {"app": application_id})


_ROUND = ScoringRound.__table__.c  # type: ignore[attr-defined]
_ROUNDS = hot.Listing(
    ScoringRound, _ROUND.application_id == sa.bindparam("app"), order_by=(_ROUND.number,)
)


def advised_rounds(db: Session, application_id: int) -> set[int]:
    """The numbers of the scoring rounds the committee gave its joint advice in.

    Read from the audit trail: each successful `open_scoring` names the round it opened, and a
    successful `submit_advice` belongs to the round opened last before it.
    """
    events = db.exec(
        select(AuditEvent)
        .where(
            AuditEvent.application_id == application_id,
            AuditEvent.action == "fire",
            AuditEvent.outcome == "ok",
            col(AuditEvent.trigger).in_(("open_scoring", "submit_advice")),
        )
        .order_by(col(AuditEvent.seq))
    ).all()
    number, advised = 0, set()
    for event in events:
        effects = (event.payload or {}).get("effects") or {}
        if event.trigger == "open_scoring" and "scoring_round" in effects:
            number = int(effects["scoring_round"])
        elif event.trigger == "submit_advice" and number:
            advised.add(number)
    return advised


def sheet(db: Session, round_id: int, person_id: int) -> ScoreSheet | None:
    return db.exec(
        select(ScoreSheet).where(ScoreSheet.round_id == round_id, ScoreSheet.person_id == person_id)
    ).first()


class SheetRow(NamedTuple):
    """A member's score sheet in a round, as read for showing and counting it."""

    id: int
    round_id: int
    person_id: int
    submitted_at: dt.datetime | None

    @property
    def pk(self) -> int:
        return self.id


class MemberRow(NamedTuple):
    """The member a sheet is of."""

    id: int
    name: str
    email: str
    organisation_id: int | None


def sheets(db: Session, round_id: int) -> list[tuple[SheetRow, MemberRow]]:
    """The round's sheets with their members, by the members' names (no ORM objects built)."""
    return [
        (SheetRow(*row[:4]), MemberRow(*row[4:]))
        for row in hot.rows(db, _SHEETS, {"round": round_id})
    ]


_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_ASSIGNED = CommitteeAssignment.__table__.c  # type: ignore[attr-defined]
_ASSIGNMENTS = hot.Hot(
    sa.select(
        *(_ASSIGNED[name] for name in AssignmentRow._fields),
        *(_PERSON[name] for name in MemberRow._fields),
    )
    .join_from(CommitteeAssignment.__table__, Person.__table__, _PERSON.id == _ASSIGNED.person_id)  # type: ignore[attr-defined]
    .where(_ASSIGNED.application_id == sa.bindparam("app"))
    .order_by(_ASSIGNED.id)
)
_SHEETS = hot.Hot(
    sa.select(
        *(ScoreSheet.__table__.c[name] for name in SheetRow._fields),  # type: ignore[attr-defined]
        *(_PERSON[name] for name in MemberRow._fields),
    )
    .join_from(
        ScoreSheet.__table__, Person.__table__, _PERSON.id == ScoreSheet.__table__.c.person_id
    )  # type: ignore[attr-defined]
    .where(ScoreSheet.__table__.c.round_id == sa.bindparam("round"))  # type: ignore[attr-defined]
    .order_by(_PERSON.name)
)


def scores(db: Session, sheet_id: int) -> list[Score]:
    """Every revision of every score on a sheet, oldest first."""
    return list(
        db.exec(
            select(Score)
            .where(Score.sheet_id == sheet_id)
            .order_by(col(Score.criterion), col(Score.revision))
        ).all()
    )


class ScoreRow(NamedTuple):
    """One revision of a score, as read for showing it (no ORM object built)."""

    id: int
    sheet_id: int
    criterion: str
    value: int
    motivation: str
    revision: int
    reason: str | None
    recorded_at: dt.datetime


def round_scores(db: Session, round_id: int) -> dict[int, list[ScoreRow]]:
    """Every revision of every score on each of the round's sheets, by sheet id, oldest first
    (as `scores` gives one sheet's), in one statement; a sheet without scores is left out."""
    result: dict[int, list[ScoreRow]] = {}
    for row in hot.rows(db, _ROUND_SCORES, {"round": round_id}):
        score = ScoreRow(*row)
        result.setdefault(score.sheet_id, []).append(score)
    return result


def score_rows(db: Session, sheet_id: int) -> list[ScoreRow]:
    """As `scores`, read for showing them."""
    return [ScoreRow(*row) for row in hot.rows(db, _SHEET_SCORES, {"sheet": sheet_id})]


_SCORE = Score.__table__.c  # type: ignore[attr-defined]
_SHEET = ScoreSheet.__table__.c  # type: ignore[attr-defined]
_SCORE_COLUMNS = [_SCORE[name] for name in ScoreRow._fields]
_ROUND_SCORES = hot.Hot(
    sa.select(*_SCORE_COLUMNS)
    .join_from(Score.__table__, ScoreSheet.__table__, _SHEET.id == _SCORE.sheet_id)  # type: ignore[attr-defined]
    .where(_SHEET.round_id == sa.bindparam("round"))
    .order_by(_SCORE.sheet_id, _SCORE.criterion, _SCORE.revision)
)
_SHEET_SCORES = hot.Hot(
    sa.select(*_SCORE_COLUMNS)
    .where(_SCORE.sheet_id == sa.bindparam("sheet"))
    .order_by(_SCORE.criterion, _SCORE.revision)
)


def current_scores(db: Session, sheet_id: int) -> dict[str, Score]:
    """The newest revision of each criterion's score."""
    return newest(scores(db, sheet_id))


def newest(history: list[S]) -> dict[str, S]:
    """The newest revision of each criterion's score in `history` (as `scores` gives it)."""
    result: dict[str, S] = {}
    for score in history:
        result[score.criterion] = score
    return result


def submitted_count(db: Session, round_id: int) -> int:
    query = (
        select(sa.func.count())
        .select_from(ScoreSheet)
        .where(ScoreSheet.round_id == round_id, col(ScoreSheet.submitted_at).is_not(None))
    )
    return int(db.exec(query).one())


def applications_in_round(db: Session, round_label: str) -> list[Application]:
    return list(
        db.exec(
            select(Application)
            .where(Application.round == round_label)
            .order_by(col(Application.id))
        ).all()
    )


def add(db: Session, record: Any) -> Any:
    db.add(record)
    db.flush()
    return record
