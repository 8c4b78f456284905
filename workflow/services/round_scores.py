"""A member scores a whole round from one spreadsheet (issue 16, point 6): the template of their
own open score sheets in a round, and that file brought back in.

The file is read as a whole first: what makes it unusable as a file (its encoding, header or
sizes, an application cell that is not an id, an application on two rows) refuses it before
any row is written. Then each row is its own unit of work, as `committee assign-round` and
`scores open-round` go through a round: the row's scores are checked as `score_sheets.score`
checks them and written by it (the same audit event, `score.draft`), and the sheet submitted by
`score_sheets.submit` (`score.submit`) when asked, in the row's one transaction; a refused row
writes nothing and stops none of the others. A blank score cell leaves that score as it stands;
a score given as it stands is not written again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import require
from kracht.basics.csv_safe import csv_line, uncell
from kracht.basics.errors import InvalidInput, KrachtError, NotFound
from kracht.storage import assessments as store
from kracht.storage import repository
from kracht.storage.tables import Application, Score
from kracht.workflow.config import Scoring
from kracht.workflow.effects.checks import interest
from kracht.workflow.services import score_sheets
from kracht.workflow.services.assignment import MEMBERS, settle_interest
from kracht.workflow.services.importer import Layout, read_sheet
from kracht.workflow.unit import Unit, attempting, reads

if TYPE_CHECKING:
    from sqlmodel import Session

MOTIVATION = "_motivation"  # a criterion's motivation column: its key and this
FIXED = ("application", "title")
ROW_LIMIT = 1_000  # rows in one file: far more than a round has applications


@dataclass(frozen=True)
class Row:
    """One row of a member's file: the line it starts on, the application, the title as given,
    and per criterion the score and motivation as given (criteria left blank are left out)."""

    line: int
    application_id: int
    title: str
    scores: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreFile:
    """A member's file as read: its rows in the file's order, and how its text was read."""

    rows: list[Row]
    note: str | None  # when not plain comma-separated UTF-8


class LeftOut(TypedDict):
    """An application of the round assigned to the member that the template has no row for."""

    application_id: int
    reason: str


class Template(TypedDict):
    """The member's sheet for a round: its CSV lines (the header first), the applications it
    holds, and those assigned to the member that it leaves out, with why."""

    lines: list[str]
    applications: list[int]
    left_out: list[LeftOut]
    undeclared: list[int]  # applications whose interests the member has still to declare


class RowDone(TypedDict):
    """What a row did: the scores it set, the criteria it gave as they stood, whether it
    submitted the sheet now, and whether the sheet was submitted already."""

    application_id: int
    drafted: dict[str, int]
    unchanged: list[str]
    submitted: bool
    already_submitted: bool


@reads
def template(unit: Unit, round_label: str) -> Template:
    """The actor's open score sheets of the round as CSV: one row per application assigned to
    them, not recused, with scoring open and their sheet not yet submitted, filled in with their
    draft scores; a score and a motivation column per criterion of the round's frozen scoring."""
    db, actor = unit.db, unit.actor
    require(actor, MEMBERS, f"score round {round_label}")
    sheets: list[tuple[Application, Scoring, dict[str, tuple[int, str]]]] = []
    left_out: list[LeftOut] = []
    undeclared: list[int] = []
    for app in _applications(db, round_label):
        record = store.assignment(db, app.pk, actor.person_id or 0)
        if record is None:
            continue
        why, rules, draft = _open(unit, app, record)
        if why:
            left_out.append({"application_id": app.pk, "reason": why})
            continue
        assert rules is not None
        sheets.append((app, rules, draft))
        if record.declaration is None:
            undeclared.append(app.pk)
    if not sheets:
        raise InvalidInput(
            f"{actor.email} has no score sheet to fill in in round {round_label}: none is open "
            "for an application assigned to them"
            + "".join(f"; application {o['application_id']}: {o['reason']}" for o in left_out)
        )
    header = list(FIXED) + [c for key in _keys(r for _, r, _ in sheets) for c in _pair(key)]
    lines = [csv_line(header)]
    for app, _, draft in sheets:
        cells = {"application": str(app.pk), "title": app.title}
        for key, (value, motivation) in draft.items():
            cells[key], cells[key + MOTIVATION] = str(value), motivation
        lines.append(csv_line(cells.get(column, "") for column in header))
    return {
        "lines": lines,
        "applications": [app.pk for app, _, _ in sheets],
        "left_out": left_out,
        "undeclared": undeclared,
    }


def _open(
    unit: Unit, app: Application, record: Any
) -> tuple[str | None, Scoring | None, dict[str, tuple[int, str]]]:
    """Why the actor's sheet for `app` is not open (None when it is), the round's criteria, and
    their draft scores (`record`: the actor's assignment)."""
    db, actor = unit.db, unit.actor
    reason = record.recusal_reason if record.recused else interest(db, app, actor.organisation_id)
    if reason:
        return f"recused: {reason}", None, {}
    current = store.current_round(db, app.pk)
    if app.state != "kracht_scoring" or current is None:
        return f"scoring is not open: it is {app.state}", None, {}
    if unit.clock.today() > current.deadline and not score_sheets.recorded_afterwards(current):
        return f"the scoring deadline passed on {current.deadline.isoformat()}", None, {}
    sheet = store.sheet(db, current.pk, actor.person_id or 0)
    if sheet is not None and sheet.submitted_at is not None:
        return "your sheet is submitted", None, {}
    scores = store.current_scores(db, sheet.pk) if sheet is not None else {}
    draft = {k: (s.value, s.motivation) for k, s in scores.items()}
    return None, Scoring.from_dict(current.scoring), draft


@reads
def read(unit: Unit, round_label: str, path: Path) -> ScoreFile:
    """The member's file for the round, read and checked as a file: the columns are
    `application`, `title` and, per criterion of the round's open scoring, its key (the score)
    and its key with `_motivation`; each row names an application once, by its id."""
    db, actor = unit.db, unit.actor
    require(actor, MEMBERS, f"score round {round_label}")
    scorings = []
    for app in _applications(db, round_label):
        current = store.current_round(db, app.pk)
        if app.state == "kracht_scoring" and current is not None:
            scorings.append(Scoring.from_dict(current.scoring))
    if not scorings:
        raise InvalidInput(f"scoring is open for no application of round {round_label!r}")
    keys = _keys(scorings)
    columns = tuple(c for key in keys for c in _pair(key))
    layout = Layout(FIXED[:1], FIXED[1:] + columns, inputs.LONG.limit, ROW_LIMIT)
    sheet = read_sheet(path, layout=layout)
    rows, problems, seen = [], [], {}
    for line, cells in sheet.rows:
        try:
            application_id = inputs.parse_id(cells["application"], "application")
        except InvalidInput as error:
            problems.append(f"line {line}, column application: {error}")
            continue
        if application_id in seen:
            problems.append(
                f"line {line}, column application: application {application_id} is on line "
                f"{seen[application_id]} already; give each application one row"
            )
            continue
        seen[application_id] = line
        given = {
            key: (cells.get(key, ""), uncell(cells.get(key + MOTIVATION, "")))
            for key in keys
            if cells.get(key) or cells.get(key + MOTIVATION)
        }
        rows.append(Row(line, application_id, uncell(cells.get("title", "")), given))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(f"{path.name}: {problems[0]}{more}; nothing was imported")
    return ScoreFile(rows, sheet.note(amounts=False))


def score_row(unit: Unit, round_label: str, row: Row, submit: bool = False) -> RowDone:
    """Bring in one row of the member's file: its scores as `score_sheets.score` sets them (a
    score given as it stands is left alone), then, with `submit`, the sheet submitted; all in
    this one unit. Refused for an application not of the round, or whose title is not the
    row's; `score` and `submit` refuse the rest as they always do."""
    with attempting("score.draft", row.application_id):
        app = _of_round(unit.db, round_label, row)
        settle_interest(unit, app.pk)
        rules, current = score_sheets.may_score(unit, app)
        sheet = store.sheet(unit.db, current.pk, unit.actor.person_id or 0)
        standing = store.current_scores(unit.db, sheet.pk) if sheet is not None else {}
        changes, unchanged = _changes(rules, row, standing)
    final = sheet is not None and sheet.submitted_at is not None
    drafted = score_sheets.score(unit, app.pk, changes)["draft"] if changes else {}
    submitting = submit and not final
    if submitting:
        score_sheets.submit(unit, app.pk)
    return {
        "application_id": app.pk,
        "drafted": drafted,
        "unchanged": unchanged,
        "submitted": submitting,
        "already_submitted": final,
    }


def _of_round(db: Session, round_label: str, row: Row) -> Application:
    app = repository.application(db, row.application_id)
    if app is None:
        raise NotFound("application", row.application_id)
    if app.round != round_label:
        raise InvalidInput(
            f"column application: application {app.id} is not of round {round_label}"
            + (f" but of {app.round}" if app.round else "")
        )
    if row.title and row.title != app.title:
        raise InvalidInput(
            f"column title: application {app.id} is called {inputs.shown(app.title, 60)}, not "
            f"{inputs.shown(row.title, 60)}; keep each application's row as the template wrote it"
        )
    return app


def _changes(
    rules: Scoring, row: Row, standing: dict[str, Score]
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The row's scores that change the sheet, and the criteria it gives as they stand; every
    problem of the row is named by its column."""
    keys = [c.key for c in rules.criteria]
    changes, unchanged, problems = {}, [], []
    for key, (raw, motivation) in row.scores.items():
        try:
            value, text = _checked(rules, keys, key, raw, motivation)
        except KrachtError as error:
            problems.append(str(error))
            continue
        old = standing.get(key)
        if old is not None and (old.value, old.motivation) == (value, text):
            unchanged.append(key)
        else:
            changes[key] = (raw, motivation)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(problems[0] + more)
    return changes, unchanged


def _checked(
    rules: Scoring, keys: list[str], key: str, raw: str, motivation: str
) -> tuple[int, str]:
    if key not in keys:
        raise InvalidInput(
            f"column {key}: this application is not scored on {key}; its criteria are "
            + ", ".join(keys)
        )
    if not raw:
        raise InvalidInput(
            f"column {key}: a motivation without a score; give the score, or clear the "
            f"column {key}{MOTIVATION}"
        )
    try:
        value = score_sheets.score_value(rules, key, raw)
    except InvalidInput as error:
        raise _at(key, key, error) from None
    try:
        text = score_sheets.motivation_text(key, motivation)
    except InvalidInput as error:
        raise _at(key + MOTIVATION, key, error) from None
    return value, text


def _at(column: str, key: str, error: InvalidInput) -> InvalidInput:
    """`error` about criterion `key` as the problem of a column of the row."""
    return InvalidInput(f"column {column}: {str(error).removeprefix(key + ': ')}")


def _applications(db: Session, round_label: str) -> list[Application]:
    """The round's applications; a round with none is refused by name (a mistyped round)."""
    apps = store.applications_in_round(db, round_label)
    if not apps:
        raise InvalidInput(f"no application is in round {round_label!r}")
    return apps


def _keys(scorings: Iterable[Scoring]) -> list[str]:
    """The criteria keys of the scorings, each once, in the order they first come."""
    keys: dict[str, None] = {}
    for rules in scorings:
        keys.update((c.key, None) for c in rules.criteria)
    return list(keys)


def _pair(key: str) -> tuple[str, str]:
    return key, key + MOTIVATION
