"""What every stage module is built from: recordable fields, needs, guards and their context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kracht.basics import inputs
from kracht.basics.errors import InvalidInput, Missing
from kracht.basics.euros import parse_euros


@dataclass(frozen=True)
class Field:
    """One piece of stage data, recorded with `kracht app record ID STAGE --set NAME=VALUE`."""

    name: str
    kind: str  # text | label | date | day | money | choice | year | conditions
    help: str
    choices: tuple[str, ...] = ()
    column: str | None = None  # kept in this column of the application, not as stage data

    def parse(self, raw: object, today: dt.date | None = None) -> Any:
        """Turn user input (text from the CLI, or a value from a JSON/TOML file) into a value.

        A file's `null` or `true`/`false` is refused, not recorded as the text "None" or "True".
        A `day` is a date something happened (a meeting, a session): given `today`, a day
        after it is refused.
        """
        if raw is None:
            raise InvalidInput(f"{self.name}: no value given (null)")
        if isinstance(raw, bool):
            raise InvalidInput(
                f"{self.name}: {str(raw).lower()} is a yes/no value, but {self.name} takes "
                + ("one of " + ", ".join(self.choices) if self.choices else TAKES[self.kind])
            )
        value = PARSERS[self.kind](self, raw)
        if self.kind == "day" and today is not None:
            not_after_today(value, self.name, today)
        return value


def _text(spec: Field, raw: object) -> str:
    return inputs.text(_written(spec, raw), spec.name, inputs.LONG)


KINDS_OF_VALUE = {  # what a TOML or JSON value is, for a text field's refusal
    "int": "a number",
    "float": "a number",
    "Decimal": "a number",
    "date": "a date",
    "datetime": "a date-time",
    "time": "a time",
    "list": "a list",
    "dict": "a table",
}


def _written(spec: Field, raw: object) -> str:
    """A text field's value as text: a number, date or list from a file is refused, not turned
    into "5", "2019-01-01 00:00:00" or "nan"."""
    if not isinstance(raw, str):
        kind = KINDS_OF_VALUE.get(type(raw).__name__, "a value of another kind")
        raise InvalidInput(f"{spec.name} takes a text, not {kind} ({inputs.shown(raw)}); quote it")
    return raw


def _date(spec: Field, raw: object) -> str:
    return inputs.require_date(raw, spec.name).isoformat()


def not_after_today(value: str, what: str, today: dt.date) -> None:
    """Refuse a day something happened that lies after `today` (ISO dates compare as text)."""
    if value > today.isoformat():
        raise InvalidInput(
            f"{what}: {value} lies in the future (today is {today.isoformat()}); "
            "give the day it happened"
        )


def _year(spec: Field, raw: object) -> int:
    return inputs.parse_count(raw, spec.name, 2000, 2100)


def _choice(spec: Field, raw: object) -> str:
    value = str(raw).strip()
    if value not in spec.choices:
        raise InvalidInput(
            f"{spec.name}: {inputs.shown(value)} is not one of " + ", ".join(spec.choices)
        )
    return value


TAKES = {  # what a field of each kind takes, for refusals
    "text": "a text",
    "label": "a one-line label",
    "date": "a date (YYYY-MM-DD)",
    "day": "a date no later than today (YYYY-MM-DD)",
    "money": "an amount in euros",
    "year": "a year",
    "conditions": "conditions (DUE|OWNER|TEXT)",
}

PARSERS: dict[str, Callable[[Field, object], Any]] = {
    "text": _text,
    "label": lambda spec, raw: inputs.text(_written(spec, raw), spec.name, inputs.LABEL),
    "date": _date,
    "day": _date,
    "money": lambda spec, raw: parse_euros(raw, what=spec.name),
    "year": _year,
    "choice": _choice,
    "conditions": lambda spec, raw: parse_conditions(raw, spec.name),
}


def parse_conditions(raw: object, what: str) -> list[dict[str, str]]:
    """Conditions as a list of {due, owner, text}; text input is one `DUE|OWNER|TEXT` per line."""
    items = raw if isinstance(raw, list) else [x for x in str(raw).splitlines() if x.strip()]
    result = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            due, owner, text = item.get("due"), item.get("owner"), item.get("text")
        else:
            parts = [p.strip() for p in str(item).split("|", 2)]
            if len(parts) != 3:
                raise InvalidInput(
                    f"{what}: condition {number} ({str(item).strip()!r}) is not DUE|OWNER|TEXT"
                )
            due, owner, text = parts
        lacking = [
            name
            for name, value in (("due date", due), ("owner", owner), ("text", text))
            if value is None or not str(value).strip()
        ]
        if lacking:
            raise InvalidInput(
                f"{what}: condition {number} has no {', no '.join(lacking)}; each condition "
                "needs a due date, an owner and a text"
            )
        due = inputs.require_date(due, f"{what}: condition {number}'s due date").isoformat()
        owner = inputs.text(owner, f"{what}: condition {number}'s owner").lower()
        text = inputs.text(text, f"{what}: condition {number}'s text", inputs.REASON)
        result.append({"due": due, "owner": owner, "text": text})
    if not result:
        raise InvalidInput(f"{what}: give at least one condition")
    return result


@dataclass(frozen=True)
class Partner:
    organisation: str
    o_type: str
    co_financing: bool
    commitment: str  # money | knowledge | time | none
    amount_cents: int | None = None  # with money
    hours: int | None = None  # with time

    def commits(self) -> bool:
        """Commits something: money (an amount), knowledge, or time (hours)."""
        return (
            self.commitment == "knowledge"
            or (self.commitment == "money" and (self.amount_cents or 0) > 0)
            or (self.commitment == "time" and (self.hours or 0) > 0)
        )


@dataclass(frozen=True)
class Indicator:
    name: str
    unit: str
    baseline: str
    target: str
    target_date: str | None


@dataclass(frozen=True)
class Context:
    """Everything a guard may look at: the application as recorded, plus the action's reason."""

    application_id: int
    state: str
    previous_state: str | None
    requested_cents: int
    line: str | None
    data: Mapping[str, Any]
    partners: tuple[Partner, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    not_applicable: Mapping[str, str] = field(default_factory=dict)  # stage -> why (track too)
    waived_rules: Mapping[str, str] = field(default_factory=dict)  # rule -> why (its period)
    reason: str | None = None
    committee_available: int = 0  # assigned members without a conflict of interest
    minimum_members: int = 0
    sheets_submitted: int = 0  # in the current scoring round
    quorum: int = 0
    today: str = ""  # ISO date, from the clock when the action runs
    conditions_open: int = 0  # grant conditions not yet met
    reports_overdue: tuple[str, ...] = ()  # progress reports past due, e.g. "2019-Q2 (due ...)"
    indicators_unmeasured: tuple[str, ...] = ()  # indicators without any measured value
    given: frozenset[str] = frozenset()  # stage-data names given with this very action

    def gives(self, name: str) -> bool:
        """`name` was given with this action (not merely recorded by an earlier one)."""
        return name in self.given and self.has(name)

    def has(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")


@dataclass(frozen=True)
class Need:
    """One requirement: a label the user reads, and the test that it is met.

    `explain`, when given, words the refusal with the application's own figures; `key` names
    the need for an interface's hint on how to meet it (the CLI's option or command). `rule`
    names a need that a programme period may declare not to apply yet (workflow/tracks.py).
    """

    label: str
    met: Callable[[Context], bool]
    explain: Callable[[Context], str] | None = None
    key: str | None = None
    rule: str | None = None

    def message(self, ctx: Context) -> str:
        return Missing(self.explain(ctx) if self.explain else self.label, self.key, self.label)


@dataclass(frozen=True)
class Guard:
    """What must hold before an application may leave `stage`.

    A guard of an optional stage is waived when the application's programme marks that stage as
    not applicable; `stage=None` marks needs that no programme can waive.
    """

    stage: str | None
    needs: tuple[Need, ...]

    def missing(self, ctx: Context) -> list[str]:
        """What is not met yet, leaving out the rules that do not apply to the application."""
        return [
            need.message(ctx)
            for need in self.needs
            if need.rule not in ctx.waived_rules and not need.met(ctx)
        ]

    @property
    def requires(self) -> list[str]:
        return [need.label for need in self.needs]


def recorded(name: str, label: str) -> Need:
    """A need met once stage data field `name` has a value."""
    return Need(label, lambda ctx: ctx.has(name))
