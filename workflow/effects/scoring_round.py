"""What the engine needs from the committee: the criteria in force, facts for the guards, and
opening a scoring round when an application enters KRACHT scoring."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kracht.states import assessment_committee
from kracht.storage import assessments as store
from kracht.storage.tables import Application, Programme, ScoringRound
from kracht.workflow.config import Scoring, default_document, scoring
from kracht.workflow.effects import says
from kracht.workflow.move import Move

if TYPE_CHECKING:
    from sqlmodel import Session


def scoring_for(db: Session, programme: Programme) -> Scoring:
    """The programme's configuration in force (its newest), or kracht's default."""
    config = store.newest_config(db, programme.pk)
    return scoring(config.document if config else default_document())


def facts(db: Session, app: Application, programme: Programme) -> dict[str, Any]:
    """Committee figures the guards look at."""
    available = sum(1 for a, _ in store.assignments(db, app.pk) if not a.recused)
    current = store.current_round(db, app.pk)
    rules = scoring_for(db, programme)
    if current is not None and app.state == "kracht_scoring":
        frozen = Scoring.from_dict(current.scoring)
        submitted = _submitted_without_conflict(db, app, current)
        return dict(
            committee_available=available,
            minimum_members=rules.minimum_members,
            sheets_submitted=submitted,
            quorum=frozen.quorum,
        )
    return dict(
        committee_available=available,
        minimum_members=rules.minimum_members,
        sheets_submitted=0,
        quorum=rules.quorum,
    )


def _submitted_without_conflict(db: Session, app: Application, current: ScoringRound) -> int:
    recused = {a.person_id for a, _ in store.assignments(db, app.pk) if a.recused}
    return sum(
        1
        for sheet, person in store.sheets(db, current.pk)
        if sheet.submitted_at is not None and person.id not in recused
    )


@says("freeze the criteria in force into a new scoring round")
def open_round(move: Move) -> dict[str, Any]:
    """Freeze the criteria in force into a new scoring round with its deadline; a round
    recorded afterwards says the day it really opened (`opened_on`)."""
    db, app, programme = move.unit.db, move.app, move.programme
    by, deadline = move.unit.actor.email, str(move.ctx.data["scoring_deadline"])
    rules = scoring_for(db, programme)
    previous = store.current_round(db, app.pk)
    scoring_round = store.add(
        db,
        ScoringRound(
            application_id=app.id,
            number=(previous.number + 1) if previous else 1,
            opened_by=by,
            deadline=dt.date.fromisoformat(deadline),
            config_version=rules.version,
            scoring=rules.as_dict(),
        ),
    )
    opened = assessment_committee.opened_on(move.ctx)
    return {
        "scoring_round": scoring_round.number,
        "deadline": deadline,
        "criteria_version": rules.version,
        **({"opened_on": opened} if opened != move.ctx.today else {}),
    }
