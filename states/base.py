"""What every stage module is built from: recordable fields, needs, guards and their context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.errors import InvalidInput
from workflow.money import parse_euros


@dataclass(frozen=True)
class Field:
    """One piece of stage data, recorded with `kracht app record ID STAGE --set NAME=VALUE`."""

    name: str
    kind: str  # text | date | money | choice
    help: str
    choices: tuple[str, ...] = ()

    def parse(self, raw: object) -> Any:
        """Turn user input (text from the CLI, or a value from a JSON/TOML file) into a value."""
        if self.kind == "text":
            text = str(raw).strip()
            if not text:
                raise InvalidInput(f"{self.name} must not be empty")
            return text
        if self.kind == "date":
            if isinstance(raw, dt.date):
                return raw.isoformat()
            try:
                return dt.date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError:
                raise InvalidInput(f"{self.name}: {raw!r} is not a date (use YYYY-MM-DD)") from None
        if self.kind == "money":
            return parse_euros(raw, what=self.name)
        if self.kind == "choice":
            value = str(raw).strip()
            if value not in self.choices:
                raise InvalidInput(
                    f"{self.name}: {value!r} is not one of " + ", ".join(self.choices)
                )
            return value
        raise AssertionError(f"unknown field kind {self.kind}")


@dataclass(frozen=True)
class Partner:
    organisation: str
    o_type: str
    co_financing: bool
    commitment: str


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
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None
    committee_available: int = 0  # assigned members without a conflict of interest
    minimum_members: int = 0
    sheets_submitted: int = 0  # in the current scoring round
    quorum: int = 0
    today: str = ""  # ISO date, from the clock when the action runs

    def has(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")


@dataclass(frozen=True)
class Need:
    """One requirement: a label the user reads, and the test that it is met.

    `explain`, when given, words the refusal with the application's own figures.
    """

    label: str
    met: Callable[[Context], bool]
    explain: Callable[[Context], str] | None = None

    def message(self, ctx: Context) -> str:
        return self.explain(ctx) if self.explain else self.label


@dataclass(frozen=True)
class Guard:
    """What must hold before an application may leave `stage`.

    A guard of an optional stage is waived when the application's programme marks that stage as
    not applicable; `stage=None` marks needs that no programme can waive.
    """

    stage: str | None
    needs: tuple[Need, ...]

    def missing(self, ctx: Context) -> list[str]:
        return [need.message(ctx) for need in self.needs if not need.met(ctx)]

    @property
    def requires(self) -> list[str]:
        return [need.label for need in self.needs]


def recorded(name: str, label: str) -> Need:
    """A need met once stage data field `name` has a value."""
    return Need(label, lambda ctx: ctx.has(name))
