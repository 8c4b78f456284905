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

from kracht.basics import inputs
from kracht.basics.errors import InvalidInput

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
    from kracht.basics.files import read_text

    try:
        document = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid TOML: {error}") from None
    except RecursionError:
        raise InvalidInput(f"{path.name}: its arrays or tables are nested too deeply") from None
    check_shape(document, where=path.name)
    scoring(document, where=path.name)
    monitoring(document, where=path.name)
    development_cap(document, where=path.name)
    second_approval_above(document, where=path.name)
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
        _bounded(scale.get("min", 1), "scale.min", -MAX_SCALE, MAX_SCALE, fail),
        _bounded(scale.get("max", 5), "scale.max", -MAX_SCALE, MAX_SCALE, fail),
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
    minimum_members = _bounded(
        committee.get("minimum_members", 3), "committee.minimum_members", 1, MAX_MEMBERS, fail
    )
    quorum = _int(committee.get("quorum", minimum_members), "committee.quorum", fail)
    if not 1 <= quorum <= minimum_members:
        raise fail(
            f"committee.quorum must be from 1 to committee.minimum_members ({minimum_members}), "
            f"not {_shown(quorum)}"
        )
    return Scoring(
        version=version_of(document),
        label=str(document.get("label", "")),
        scale_min=low,
        scale_max=high,
        meanings=meanings,
        criteria=tuple(criteria),
        minimum_members=minimum_members,
        quorum=quorum,
        disagreement_spread=_bounded(
            committee.get("disagreement_spread", 2),
            "committee.disagreement_spread",
            1,
            high - low,
            fail,
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
    from kracht.workflow.schedule import EVERY

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


DEFAULT_SECOND_APPROVAL_ABOVE = 10_000_000  # cents: EUR 100,000 (an assumption: the
# documents name no amount above which a payment needs a second approval; domain.md section 10)


def second_approval_above(document: dict[str, Any], where: str = "configuration") -> int:
    """The [money] part: second_approval_above, the amount in euros above which a payment needs
    a second approval by another person (absent: EUR 100,000); in cents."""
    from kracht.basics.euros import parse_euros

    money = document.get("money", {})
    if not isinstance(money, dict):
        raise InvalidInput(f"{where}: [money] must be a table")
    if "second_approval_above" not in money:
        return DEFAULT_SECOND_APPROVAL_ABOVE
    raw = money["second_approval_above"]
    try:
        return parse_euros(raw, "money.second_approval_above", "en")
    except InvalidInput:
        raise InvalidInput(
            f"{where}: money.second_approval_above must be an amount in euros (e.g. 100000), "
            f"not {_shown(raw)}"
        ) from None


def _criterion(raw: dict[str, Any], at: str, low: int, high: int, fail: Any) -> Criterion:
    for name in ("key", "name", "question"):
        if not str(raw.get(name, "")).strip():
            raise fail(f"{at}.{name} is missing")
    weight = _bounded(raw.get("weight", 1), f"{at}.weight", 1, MAX_WEIGHT, fail)
    minimum = raw.get("minimum")
    if minimum is not None and not low <= _int(minimum, f"{at}.minimum", fail) <= high:
        raise fail(f"{at}.minimum must lie on the scale {low}-{high}")
    return Criterion(str(raw["key"]), str(raw["name"]), str(raw["question"]), weight, minimum)


def _int(value: object, key: str, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{key} must be a whole number, not {_shown(value)}")
    return value


def _shown(value: object) -> str:
    """A value as a message quotes it (repr), cut short when long."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:24]}... ({len(text):,} characters)"


def _bounded(value: object, key: str, low: int, high: int, fail: Any) -> int:
    number = _int(value, key, fail)
    if not low <= number <= high:
        raise fail(f"{key} must be from {low} to {high}, not {_shown(number)}")
    return number


# -- the document's shape: checked before any value is read, so a wrong type is one line -------

MAX_MEMBERS = 100  # committee.minimum_members
MAX_WEIGHT = 100  # a criterion's weight
MAX_SCALE = 100  # scale.min and scale.max lie from -100 to 100

SECTIONS: dict[str, tuple[str, ...]] = {
    "committee": ("minimum_members", "quorum", "disagreement_spread"),
    "scale": ("min", "max", "meanings"),
    "monitoring": ("report_every_months", "due_months_after", "units"),
    "money": ("development_cap_percent", "second_approval_above"),
}
TOP_LEVEL = ("label", *SECTIONS, "criteria", "tracks", "periods")  # the last two: tracks.py
CRITERION_KEYS = ("key", "name", "question", "weight", "minimum")
CRITERION_TEXTS = (("key", inputs.LABEL), ("name", inputs.NAME), ("question", inputs.LONG))


def check_shape(document: dict[str, Any], where: str = "configuration") -> None:
    """Every key known and every value of the right kind (table, array of tables, text)."""

    def fail(problem: str) -> InvalidInput:
        return InvalidInput(f"{where}: {problem}")

    _known_keys(document, TOP_LEVEL, "", fail)
    if not isinstance(document.get("label", ""), str):
        raise fail(f"label must be a text, not {_shown(document['label'])}")
    inputs.text(document.get("label", ""), f"{where}: label", inputs.NAME, required=False)
    for section, keys in SECTIONS.items():
        value = document.get(section, {})
        if not isinstance(value, dict):
            raise fail(f"[{section}] must be a table, not {_shown(value)}")
        _known_keys(value, keys, section + ".", fail)
    _texts(document.get("scale", {}).get("meanings", []), "scale.meanings", where)
    _criteria_shape(document.get("criteria", []), where, fail)
    units = document.get("monitoring", {}).get("units", {})
    if not isinstance(units, dict):
        raise fail(f"monitoring.units must be a table of unit lists, not {_shown(units)}")
    for kind, names in units.items():
        _texts(names, f"monitoring.units.{kind}", where, inputs.LABEL)


def _criteria_shape(criteria: object, where: str, fail: Any) -> None:
    if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
        raise fail(f"criteria must be an array of tables ([[criteria]]), not {_shown(criteria)}")
    for i, criterion in enumerate(criteria):
        _known_keys(criterion, CRITERION_KEYS, f"criteria[{i}].", fail)
        for name, kind in CRITERION_TEXTS:
            value = criterion.get(name, "")
            if not isinstance(value, str):
                raise fail(f"criteria[{i}].{name} must be a text, not {_shown(value)}")
            inputs.text(value, f"{where}: criteria[{i}].{name}", kind)


def _texts(
    values: object, key: str, where: str = "configuration", kind: inputs.Text = inputs.NAME
) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{where}: {key} must be a list of texts, not {_shown(values)}")
    for i, value in enumerate(values):
        inputs.text(value, f"{where}: {key}[{i}]", kind)


def _known_keys(table: dict[str, Any], known: tuple[str, ...], at: str, fail: Any) -> None:
    for key in table:
        if key not in known:
            raise fail(f"unknown key {at}{key}; the known keys are: {', '.join(known)}")
