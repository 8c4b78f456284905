"""Programme configuration: the KRACHT criteria, their scale and weights, and the committee rules.

A configuration is a TOML document (the default ships in states/programmes/). It is validated on
load, stored with its programme, and identified by a version: a digest of its content, so the
same criteria always carry the same version.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
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
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid TOML: {error}") from None
    scoring(document, where=path.name)
    return document


def default_document() -> dict[str, Any]:
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
