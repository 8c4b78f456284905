"""Bring in an existing pipeline spreadsheet (CSV): all rows or none.

Every row is validated before anything is written; a bad row is named by line and column.
Imported applications start at `idea`: later stages need their stage data, which a spreadsheet
row does not carry, so kracht does not invent it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from storage import repository
from storage.database import session
from workflow.actors import Actor, require_own, resolve
from workflow.applications import CREATORS, audit_created, new_application, parse_date
from workflow.errors import InvalidInput, KrachtError
from workflow.money import parse_euros

REQUIRED = ("title", "programme", "applicant", "requested")
OPTIONAL = ("line", "description", "round", "submitted_on")


def import_csv(url: str, actor_email: str | None, path: Path) -> list[dict[str, Any]]:
    rows = _read(path)
    with session(url, write=True) as db:
        actor = resolve(db, actor_email)
        problems = [p for number, row in rows for p in _problems(db, actor, number, row)]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InvalidInput(f"{path.name}: {problems[0]}{more}; nothing was imported")
        created = []
        for _, row in rows:
            app = new_application(db, actor, row)
            audit_created(db, actor, app, f"import:{path.name}")
            created.append({"id": app.id, "title": app.title, "state": app.state})
        return created


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    from workflow.files import read_text

    text = read_text(path, "utf-8-sig", "save the spreadsheet as CSV UTF-8")
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing:
        raise InvalidInput(f"{path.name}: line 1 lacks the column(s) " + ", ".join(missing))
    if unknown:
        raise InvalidInput(
            f"{path.name}: line 1 has unknown column(s) "
            + ", ".join(unknown)
            + "; known columns: "
            + ", ".join(REQUIRED + OPTIONAL)
        )
    rows = []
    for row in reader:
        if None in row:
            raise InvalidInput(f"{path.name}: line {reader.line_num} has more cells than columns")
        cleaned = {k.strip(): (v or "").strip() for k, v in row.items()}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    if not rows:
        raise InvalidInput(f"{path.name} has no rows to import")
    return rows


def _problems(db: Any, actor: Actor, number: int, row: dict[str, str]) -> list[str]:
    """Check each column on its own, so a problem names its column."""
    problems = []

    def check(column: str, test: Any) -> Any:
        try:
            return test()
        except KrachtError as error:
            problems.append(f"line {number}, column {column}: {error}")
            return None

    def need(column: str) -> str:
        if not row.get(column):
            raise InvalidInput(f"{column} must not be empty")
        return row[column]

    check("title", lambda: need("title"))
    check("requested", lambda: parse_euros(need("requested"), "requested amount"))
    check("submitted_on", lambda: parse_date(row.get("submitted_on"), "submitted_on"))
    programme = check("programme", lambda: _programme(db, need("programme")))
    org = check("applicant", lambda: _org(db, need("applicant")))
    if org is not None:
        check("applicant", lambda: require_own(actor, CREATORS, org.id, "import applications"))
    if programme is not None and row.get("line"):
        check("line", lambda: _line(db, programme, row["line"]))
    return problems


def _programme(db: Any, code: str) -> Any:
    programme = repository.programme_by_code(db, code)
    if programme is None:
        raise InvalidInput(f"no programme {code!r}")
    return programme


def _org(db: Any, name: str) -> Any:
    org = repository.org_by_name(db, name)
    if org is None:
        raise InvalidInput(f"no organisation {name!r} (add it with `kracht org add`)")
    return org


def _line(db: Any, programme: Any, code: str) -> Any:
    line = repository.line_by_code(db, programme.id, code)
    if line is None:
        raise InvalidInput(f"programme {programme.code} has no line {code!r}")
    return line
