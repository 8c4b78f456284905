"""Bring in a running programme (issue 16, point 4): applications that were decided, granted and
in monitoring before kracht, from one spreadsheet (CSV), all rows or none.

Every row is read and checked first, and each problem is named by line and column. Then each
application is entered in the import's one transaction through the services that the programme
leader and the steering committee use by hand: it is created with its submission date, given its
partners, indicators and proposal, moved past the stages it went through before kracht (named
as such, never invented), decided on the day of its meeting with its grant and conditions, and
its conditions are met on the days they were met. Its figures (states, grants per budget year,
conditions, report schedules, letters) are therefore those of the same history entered by hand.
A step that a service refuses also refuses the whole file, named by line.

The trail opens with an `import.running` event that names the file and its SHA-256, and every
step the import takes names that event. The programme leader records the steering committee's
decisions as they were taken (`Actor.recording`); no message is sent, because what is recorded
was told back then. Reminders are planned as by hand.

Cells that hold several items take one per line, with fields separated by `|`:
- partners: `ORGANISATION|co-financing or partner|money, knowledge, time or none|EXTENT|SOURCE`,
  where the extent is euros for money and hours for time (optional), and the source is where
  money comes from (optional: private, municipal, provincial, national, eu or other; without it
  a business's money is private, another's unknown);
- indicators: `NAME|UNIT|BASELINE|TARGET|TARGET DATE`;
- conditions: `DUE|OWNER|TEXT`, as the decision takes them;
- conditions_met: `NUMBER|DAY MET|EVIDENCE`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import require
from kracht.basics.errors import GuardRefused, InvalidInput, KrachtError
from kracht.basics.euros import parse_euros
from kracht.basics.roles import Role
from kracht.notifications import reminders
from kracht.states.base import parse_conditions
from kracht.storage import audit
from kracht.workflow import co_financing, engine, tracks
from kracht.workflow.services import applications, approval_conditions, decisions
from kracht.workflow.services.importer import Layout, Lookups, problems_of, read_sheet
from kracht.workflow.unit import Unit, writes

LAYOUT = Layout(
    required=("title", "programme", "applicant", "requested", "description", "budget_total",
              "state"),
    optional=("line", "round", "submitted_on", "decided_on", "decision_reason", "granted",
              "budget_year", "spread_until", "budget_kind", "departure_rationale",
              "deferred_until", "deferred_to_round", "conditions", "conditions_met", "partners",
              "indicators"),
)  # fmt: skip
OWN = ("title", "programme", "applicant", "line", "round", "submitted_on", "description")
OUTCOME = {  # the state an application is brought in at -> the decision that led there
    "steering_decision": None,  # still to be decided: brought to the steering committee
    "monitoring": "approve",  # or approve_with_conditions, every condition met
    "approved_with_conditions": "approve_with_conditions",
    "rejected": "reject",
    "deferred": "defer",
}
DECISION_COLUMNS = ("decided_on", "decision_reason", "granted", "budget_year", "spread_until",
                    "budget_kind", "departure_rationale", "deferred_until", "deferred_to_round",
                    "conditions", "conditions_met")  # fmt: skip
COMMITMENTS = ("money", "knowledge", "time", "none")
ROLES = {"co-financing": True, "partner": False}


@dataclass
class Entry:
    """One checked row: what the import enters for it, service by service."""

    number: int
    fields: dict[str, Any]  # the application's own, as `applications.create` takes them
    proposal: dict[str, Any]
    state: str
    partners: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] = field(default_factory=dict)  # `decisions.decide`'s arguments
    met: list[tuple[int, str, str]] = field(default_factory=list)  # number, day, evidence


class Brought(TypedDict):
    """An application brought in: its id, title and the state it is in."""

    id: int
    title: str
    state: str
    granted_cents: int | None


class RunningImport(TypedDict):
    """What the import did (or, tried out, would do): the trail's import event and each
    application brought in, in the file's order."""

    file: str
    sha256: str
    event: int
    applications: list[Brought]
    note: str | None  # how the file was read, if not plain comma-separated UTF-8


@writes("import.running")
def import_running(unit: Unit, path: Path, locale: str | None = None) -> RunningImport:
    """Bring in every row of the file at `path`, or none (see the module's docstring)."""
    require(unit.actor, [Role.PROGRAMME_LEADER], "bring in a running programme")
    sheet = read_sheet(path, locale, LAYOUT)
    find = Lookups(unit.db)
    find.prefetch_orgs({row.get("applicant", "") for _, row in sheet.rows})
    entries, problems = [], []
    for number, row in sheet.rows:
        problems += problems_of(find, unit.actor, number, row, sheet.locale)
        try:
            entries.append(_entry(number, row, sheet.locale, unit.clock.today()))
        except _Problem as problem:
            problems.append(str(problem))
            continue
        unknown = [
            p["organisation"] for p in entries[-1].partners if not find.org(p["organisation"])
        ]
        problems += [f"line {number}, column partners: no organisation {name!r} (add it to the "
                     "directory first)" for name in unknown]  # fmt: skip
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(f"{path.name}: {problems[0]}{more}; nothing was imported")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    event = audit.append(
        unit.db, actor=unit.actor.email, roles=unit.actor.roles_text, action="import.running",
        payload={"file": path.name, "sha256": digest, "rows": len(entries)},
    )  # fmt: skip
    before = f"brought in with import #{event.seq} ({path.name}, SHA-256 {digest}): it went " \
             "through this stage before kracht"  # fmt: skip
    unit.quiet = True
    brought = [_enter(unit, entry, path.name, before) for entry in entries]
    _tell(unit, path.name, digest, event.seq, brought)
    return {"file": path.name, "sha256": digest, "event": event.seq, "applications": brought,
            "note": sheet.note()}  # fmt: skip


def _tell(unit: Unit, file: str, digest: str, seq: int, brought: list[Brought]) -> None:
    """Tell the steering committee and the auditors what was brought in in their name: the
    import sends nothing else."""
    from kracht.basics.euros import format_euros
    from kracht.notifications.outbox import add_message
    from kracht.storage import repository

    granted = sum(b["granted_cents"] or 0 for b in brought)
    decided = sum(1 for b in brought if b["state"] != "steering_decision")
    for role in ("steering_member", "auditor"):
        for person in repository.people_with_role(unit.db, role):
            add_message(
                unit.db, f"import.running:{seq}:{person.email}", "running_import",
                "running_import", person, None, "steering" if role != "auditor" else role,
                {"file": file, "sha256": digest, "event": seq, "count": len(brought),
                 "decisions": decided, "granted": format_euros(granted, person.language),
                 "by": unit.actor.name},
                templates=unit.settings.templates.folder,
            )  # fmt: skip


# -- reading a row ------------------------------------------------------------------------------


class _Problem(Exception):
    """A row's problem, named by line and column."""


@contextmanager
def _column(number: int, column: str) -> Iterator[None]:
    try:
        yield
    except KrachtError as error:
        raise _Problem(f"line {number}, column {column}: {error}") from None


def _entry(number: int, row: dict[str, str], locale: str, today: Any) -> Entry:
    def cell(column: str, parse: Callable[[str], Any] = str) -> Any:
        raw = (row.get(column) or "").strip()
        with _column(number, column):
            return parse(raw) if raw else None

    empty = [c for c in LAYOUT.required if not (row.get(c) or "").strip()]
    if empty:
        raise _Problem(f"line {number}, column {empty[0]}: this column is empty; it is needed")
    state = cell("state", _state)
    requested = cell("requested", lambda r: _euros(r, locale, "requested amount"))
    entry = Entry(
        number,
        fields={
            **{c: row.get(c, "") for c in OWN},
            "requested": requested,
        },  # fmt: skip
        proposal={
            "proposal_summary": cell("description"),
            "budget_total": cell("budget_total", lambda r: _euros(r, locale)),
        },  # fmt: skip
        state=state,
        partners=cell("partners", lambda r: [_partner(x, locale) for x in _items(r)]) or [],
        indicators=cell("indicators", lambda r: [_indicator(x) for x in _items(r)]) or [],
    )
    _decision(entry, cell, locale, today)
    return entry


def _decision(entry: Entry, cell: Callable[..., Any], locale: str, today: Any) -> None:
    """The row's decision, checked against the state it is brought in at."""
    outcome = OUTCOME[entry.state]
    given = [c for c in DECISION_COLUMNS if cell(c) is not None]
    if outcome is None:
        if given:
            raise _Problem(f"line {entry.number}, column {given[0]}: an application still to be "
                           "decided (state steering_decision) has no decision yet")  # fmt: skip
        return
    _days(entry, cell, today)
    conditions = cell("conditions", lambda r: parse_conditions(r, "conditions"))
    met = cell("conditions_met", lambda r: [_met(x, today) for x in _items(r)]) or []
    outcome = _with_conditions(entry, outcome, len(conditions or []), {n for n, _, _ in met})
    entry.decision = {
        "outcome": outcome,
        "decided_on": cell("decided_on"),
        "reason": cell("decision_reason"),
        "amount": cell("granted", lambda r: _euros(r, locale, "granted amount")),
        "year": cell("budget_year", lambda r: _whole(r, "budget year")),
        "spread_until": cell("spread_until", lambda r: _whole(r, "spread until")),
        "development": cell("budget_kind") == "development",
        "conditions": [(c["due"], c["owner"], c["text"]) for c in conditions or []] or None,
        "departure_rationale": cell("departure_rationale"),
        "deferred_until": cell("deferred_until"),
        "deferred_to_round": cell("deferred_to_round"),
    }
    entry.met = sorted(met)


def _days(entry: Entry, cell: Callable[..., Any], today: Any) -> None:
    """A decision brought in names its meeting day (before today: a decision since is the
    steering committee's to enter) and its reason; it was taken after the submission."""
    for needed in ("decided_on", "decision_reason"):
        if cell(needed) is None:
            raise _Problem(f"line {entry.number}, column {needed}: give the decision's "
                           f"{'meeting day' if needed == 'decided_on' else 'reason'}")  # fmt: skip
    day = cell("decided_on", lambda r: inputs.require_date(r, "decided on"))
    if day >= today:
        raise _Problem(f"line {entry.number}, column decided_on: {day.isoformat()} is not before "
                       "today; a decision taken since kracht is in use is entered by the "
                       "steering committee itself")  # fmt: skip
    submitted = cell("submitted_on", lambda r: inputs.require_date(r, "submitted on"))
    if submitted is not None and submitted > day:
        raise _Problem(f"line {entry.number}, column decided_on: {day.isoformat()} lies before "
                       f"the submission ({submitted.isoformat()})")  # fmt: skip


def _with_conditions(entry: Entry, outcome: str, given: int, met: set[int]) -> str:
    """The decision the state and the conditions say was taken: an approval in monitoring with
    conditions had them all met; one with conditions still open names them."""
    every = set(range(1, given + 1))
    if outcome == "approve" and given:
        outcome = "approve_with_conditions"
        if met != every:
            raise _Problem(f"line {entry.number}, column conditions_met: an application in "
                           "monitoring has met every condition of its grant")  # fmt: skip
    if entry.state == "approved_with_conditions" and given and met == every:
        raise _Problem(f"line {entry.number}, column state: every condition is met, so the "
                       "application is in monitoring")  # fmt: skip
    if outcome == "approve_with_conditions" and not given:
        raise _Problem(f"line {entry.number}, column conditions: an approval with conditions "
                       "names them")  # fmt: skip
    if met - every:
        raise _Problem(f"line {entry.number}, column conditions_met: condition {max(met)} is "
                       f"not among the {given} given")  # fmt: skip
    return outcome


def _state(raw: str) -> str:
    if raw not in OUTCOME:
        raise InvalidInput(f"{raw!r} is no state an application is brought in at; one of: "
                           + ", ".join(OUTCOME))  # fmt: skip
    return raw


def _items(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _fields(item: str, count: int, shape: str, *, at_least: int | None = None) -> list[str]:
    parts = [p.strip() for p in item.split("|")]
    if not (at_least or count) <= len(parts) <= count:
        raise InvalidInput(f"{inputs.shown(item)} is not {shape}")
    return parts + [""] * (count - len(parts))


def _euros(raw: str, locale: str, what: str = "amount") -> Decimal:
    """An amount as the file writes it (in its locale), as euros the services take."""
    return Decimal(parse_euros(raw, what, locale)).scaleb(-2)


def _whole(raw: str, what: str) -> int:
    return inputs.parse_count(raw, what, 2000, 2100)


def _partner(item: str, locale: str) -> dict[str, Any]:
    shape = "ORGANISATION|co-financing or partner|COMMITMENT|EXTENT|SOURCE"
    name, role, commitment, extent, source = _fields(item, 5, shape, at_least=3)
    if role not in ROLES:
        raise InvalidInput(f"partner {name}: {inputs.shown(role)} is not co-financing or partner")
    if commitment not in COMMITMENTS:
        raise InvalidInput(f"partner {name}: commitment {inputs.shown(commitment)} is not one of "
                           + ", ".join(COMMITMENTS))  # fmt: skip
    if extent and commitment in ("knowledge", "none"):
        raise InvalidInput(f"partner {name}: a {commitment} commitment takes no amount or hours "
                           f"({inputs.shown(extent)} was given)")  # fmt: skip
    if source and source not in co_financing.SOURCES:
        raise InvalidInput(f"partner {name}: source {inputs.shown(source)} is not one of "
                           + ", ".join(co_financing.SOURCES))  # fmt: skip
    if source and commitment != "money":
        raise InvalidInput(f"partner {name}: a source is for a money commitment, not "
                           f"{commitment}")  # fmt: skip
    money = commitment == "money" and extent
    hours = commitment == "time" and extent
    return {"organisation": name, "co_financing": ROLES[role], "commitment": commitment,
            "source": source or None,
            "amount": _euros(extent, locale) if money else None,
            "hours": inputs.parse_count(extent, f"partner {name}'s hours", 1, 10_000_000)
            if hours else None}  # fmt: skip


def _indicator(item: str) -> dict[str, Any]:
    name, unit, baseline, target, day = _fields(item, 5, "NAME|UNIT|BASELINE|TARGET|TARGET DATE")
    return {"name": name, "measured_in": unit, "baseline": baseline, "target": target,
            "target_date": day or None}  # fmt: skip


def _met(item: str, today: Any) -> tuple[int, str, str]:
    number, day, evidence = _fields(item, 3, "NUMBER|DAY MET|EVIDENCE")
    which = inputs.parse_count(number, "a condition's number", 1, 1000)
    met_on = inputs.require_date(day, f"condition {which}'s day met", latest=today)
    return which, met_on.isoformat(), evidence


# -- entering a row -----------------------------------------------------------------------------


NEED_COLUMNS = (  # words of a guard's need -> the column that gives what it needs
    ("proposal_summary", "description"), ("budget_total", "budget_total"),
    ("project budget", "budget_total"), ("granted amount", "granted"),
    ("requested amount", "requested"), ("co-financing", "partners"), ("SMART", "indicators"),
    ("spread_until", "spread_until"), ("departure", "departure_rationale"),
    ("conditions", "conditions"), ("reason", "decision_reason"),
)  # fmt: skip


FIELD_COLUMNS = {  # a service's field -> the file's column that gives it
    "amount": "granted", "year": "budget_year", "owner": "conditions", "until": "deferred_until",
    "to_round": "deferred_to_round", "evidence": "conditions_met", "met_on": "conditions_met",
    "deferred_on": "decided_on", "organisation": "partners", "hours": "partners",
    "source": "partners",
}  # fmt: skip


@contextmanager
def _line(number: int, column: str) -> Iterator[None]:
    """A service's refusal of a row's step refuses the file, named by line and column: the
    field the service names where the file has it as a column, the column that gives what a
    guard found missing, else the step's own column."""
    try:
        yield
    except GuardRefused as refusal:
        labels = [getattr(m, "label", str(m)) for m in refusal.missing]
        named = [c for label in labels for words, c in NEED_COLUMNS if words in label]
        raise InvalidInput(f"line {number}, column {(named or [column])[0]}: needs "
                           + "; ".join(refusal.missing) + "; nothing was imported"
                           ) from None  # fmt: skip
    except KrachtError as error:
        named = getattr(error, "field", None)
        named = FIELD_COLUMNS.get(named, named)
        where = named if named in LAYOUT.columns else column
        raise InvalidInput(f"line {number}, column {where}: {error}; nothing was imported"
                           ) from None  # fmt: skip


def _enter(unit: Unit, entry: Entry, file: str, before: str) -> Brought:
    n = entry.number
    with _line(n, "title"):
        app = applications.new_application(unit, entry.fields)
        audit.append(unit.db, **applications.created_event(unit.actor, app, f"import:{file}"))
    for partner in entry.partners:
        with _line(n, "partners"):
            applications.add_partner(unit, app.pk, **partner)
    for indicator in entry.indicators:
        with _line(n, "indicators"):
            applications.add_indicator(unit, app.pk, source=f"import:{file}", **indicator)
    with _line(n, "budget_total"):
        engine.record(unit, app.pk, "proposal", entry.proposal)
    passed = dict.fromkeys(tracks.ROUTE[:-1], before)
    with _line(n, "state"):
        engine.fire(unit, app.pk, "present_at_table", reason=before.split(":")[0],
                    passing=passed)  # fmt: skip
    granted = None
    if entry.decision:
        decision = dict(entry.decision)
        with _line(n, "decided_on"), unit.recording_for(Role.STEERING_MEMBER):
            decided = decisions.decide(unit, app.pk, decision.pop("outcome"), **decision)
        granted = sum(c["amount_cents"] for c in decided["charged"]) or None
    for number, met_on, evidence in entry.met:
        with _line(n, "conditions_met"):
            approval_conditions.meet_condition(unit, app.pk, number, evidence, met_on)
    if entry.state == "monitoring" and entry.met:
        with _line(n, "conditions_met"):
            engine.fire(unit, app.pk, "conditions_met", reason="every condition met")
    reminders.cancel_passed(unit.db, app.pk, unit.clock.now())  # due before kracht: not chased
    return {"id": app.pk, "title": app.title, "state": entry.state, "granted_cents": granted}
