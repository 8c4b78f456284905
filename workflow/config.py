"""Programme configuration: the KRACHT criteria, their scale and weights, and the committee rules.

A configuration is a TOML document (the default ships in states/programmes/). It is validated on
load, stored with its programme, and identified by a version: a digest of its content, so the
same criteria always carry the same version.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from workflow.errors import InvalidInput

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "states/programmes/agenda_voor_twente.toml"


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    question: str
    weight: int
    minimum: int | None = None  # knock-out: a mean below this fails the application


@dataclass(frozen=True)
class Scoring:
    """Everything a scoring round needs, frozen into the round when it opens."""

    version: str
    label: str
    scale_min: int
    scale_max: int
    meanings: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    minimum_members: int
    quorum: int
    disagreement_spread: int

    def criterion(self, key: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        known = ", ".join(c.key for c in self.criteria)
        raise InvalidInput(f"unknown criterion {key!r}; the criteria are: {known}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scoring:
        values = dict(data)
        values["meanings"] = tuple(values["meanings"])
        values["criteria"] = tuple(Criterion(**c) for c in values["criteria"])
        return cls(**values)


def load_file(path: Path) -> dict[str, Any]:
    """Read and validate a programme configuration file; returns the document."""
    from workflow.files import read_text

    try:
        document = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid TOML: {error}") from None
    scoring(document, where=path.name)
    monitoring(document, where=path.name)
    development_cap(document, where=path.name)
    return document


def default_document() -> dict[str, Any]:
    """kracht's shipped configuration (a fresh copy each call: callers may change theirs)."""
    return copy.deepcopy(_default_document())


@cache
def _default_document() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def version_of(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "cfg-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def scoring(document: dict[str, Any], where: str = "configuration") -> Scoring:
    """Validate the scoring part of a configuration; every problem names its key."""

    def fail(problem: str) -> InvalidInput:
        return InvalidInput(f"{where}: {problem}")

    committee, scale = document.get("committee", {}), document.get("scale", {})
    low, high = (
        _int(scale.get("min", 1), "scale.min", fail),
        _int(scale.get("max", 5), "scale.max", fail),
    )
    if low >= high:
        raise fail("scale.min must be below scale.max")
    meanings = tuple(str(m) for m in scale.get("meanings", []))
    if meanings and len(meanings) != high - low + 1:
        raise fail(
            f"scale.meanings needs one line per score ({high - low + 1}), not {len(meanings)}"
        )
    criteria = [
        _criterion(raw, f"criteria[{i}]", low, high, fail)
        for i, raw in enumerate(document.get("criteria", []))
    ]
    keys = [c.key for c in criteria]
    if not criteria:
        raise fail("declares no [[criteria]]")
    if len(set(keys)) != len(keys):
        raise fail("criteria keys must be unique")
    minimum_members = _int(committee.get("minimum_members", 3), "committee.minimum_members", fail)
    quorum = _int(committee.get("quorum", minimum_members), "committee.quorum", fail)
    if minimum_members < 1 or not 1 <= quorum:
        raise fail("committee.minimum_members and committee.quorum must be at least 1")
    return Scoring(
        version=version_of(document),
        label=str(document.get("label", "")),
        scale_min=low,
        scale_max=high,
        meanings=meanings,
        criteria=tuple(criteria),
        minimum_members=minimum_members,
        quorum=quorum,
        disagreement_spread=_int(
            committee.get("disagreement_spread", 2), "committee.disagreement_spread", fail
        ),
    )


UNIT_KINDS = ("count", "percent", "euros")  # any other unit: any number
DEFAULT_UNITS: dict[str, tuple[str, ...]] = {
    "count": ("people", "students", "companies", "jobs", "participants"),
    "percent": ("%", "percent", "percentage", "procent"),
    "euros": ("eur", "euro", "euros", "€"),
}


@dataclass(frozen=True)
class Monitoring:
    """How approved projects report: the cadence, when reports are due, how values are checked."""

    every_months: int = 3
    due_months_after: int = 1
    units: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_UNITS.items())

    def unit_kind(self, unit: str) -> str:
        """count, percent, euros or number (any other unit), for an indicator's unit."""
        name = " ".join(unit.lower().split())
        for kind, names in self.units:
            if name in names or name + "s" in names or name.removesuffix("s") in names:
                return kind
        return "number"


def monitoring(document: dict[str, Any], where: str = "configuration") -> Monitoring:
    """Validate the [monitoring] part of a configuration (absent: the defaults)."""
    from workflow.schedule import EVERY

    def fail(problem: str) -> InvalidInput:
        return InvalidInput(f"{where}: {problem}")

    section = document.get("monitoring", {})
    every = _int(section.get("report_every_months", 3), "monitoring.report_every_months", fail)
    if every not in EVERY:
        raise fail(f"monitoring.report_every_months must be one of {', '.join(map(str, EVERY))}")
    after = _int(section.get("due_months_after", 1), "monitoring.due_months_after", fail)
    if not 0 <= after <= 12:
        raise fail("monitoring.due_months_after must be from 0 to 12")
    units = dict(DEFAULT_UNITS)
    for kind, names in section.get("units", {}).items():
        if kind not in UNIT_KINDS:
            raise fail(f"monitoring.units.{kind}: kinds are " + ", ".join(UNIT_KINDS))
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise fail(f"monitoring.units.{kind} must be a list of unit names")
        units[kind] = tuple(" ".join(n.lower().split()) for n in names)
    return Monitoring(every, after, tuple(units.items()))


DEFAULT_DEVELOPMENT_CAP = Decimal("12.5")  # percent of the year's project budget


def development_cap(document: dict[str, Any], where: str = "configuration") -> Decimal:
    """The [money] part: development_cap_percent, a number from 0 to 100 (absent: 12.5)."""
    money = document.get("money", {})
    if not isinstance(money, dict):
        raise InvalidInput(f"{where}: [money] must be a table")
    raw = money.get("development_cap_percent", DEFAULT_DEVELOPMENT_CAP)
    try:
        percent = None if isinstance(raw, bool) else Decimal(str(raw).strip())
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite() or not 0 <= percent <= 100:
        raise InvalidInput(
            f"{where}: money.development_cap_percent must be a number from 0 to 100, not {raw!r}"
        )
    return percent


def _criterion(raw: dict[str, Any], at: str, low: int, high: int, fail: Any) -> Criterion:
    for name in ("key", "name", "question"):
        if not str(raw.get(name, "")).strip():
            raise fail(f"{at}.{name} is missing")
    weight = _int(raw.get("weight", 1), f"{at}.weight", fail)
    if weight <= 0:
        raise fail(f"{at}.weight must be above zero")
    minimum = raw.get("minimum")
    if minimum is not None and not low <= _int(minimum, f"{at}.minimum", fail) <= high:
        raise fail(f"{at}.minimum must lie on the scale {low}-{high}")
    return Criterion(str(raw["key"]), str(raw["name"]), str(raw["question"]), weight, minimum)


def _int(value: object, key: str, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{key} must be a whole number, not {value!r}")
    return value
