"""The 14 Twente municipalities and their inhabitants, for the per-inhabitant contributions.

Configuration data shipped in states/programmes/twente_municipalities.toml, whose comments cite
the documents: they name the municipalities but give no inhabitants per municipality, so the file
gives a total computed from them instead. The file is validated on load; every problem names its
key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from kracht.basics.errors import InvalidInput

DEFAULT_FILE = (
    Path(__file__).resolve().parent.parent / "states/programmes/twente_municipalities.toml"
)
MAX_INHABITANTS = 100_000_000
KEYS = {"inhabitants_total", "inhabitants_basis", "municipality"}
MUNICIPALITY_KEYS = {"name", "inhabitants"}


@dataclass(frozen=True)
class Municipality:
    name: str
    inhabitants: int | None  # None: not in the documents


@dataclass(frozen=True)
class Municipalities:
    """The municipalities, and the inhabitants the per-inhabitant contributions count."""

    municipalities: tuple[Municipality, ...]
    total: int
    basis: str  # where the total comes from
    file: str


class MunicipalitiesShown(TypedDict):
    """The municipalities as `kracht programme municipalities --json` shows them."""

    file: str
    municipalities: list[dict[str, Any]]
    inhabitants_total: int
    inhabitants_basis: str


def load(path: Path | None = None) -> Municipalities:
    """Read and validate a municipalities file (the shipped one without `path`)."""
    from kracht.basics.files import read_text

    path = path or DEFAULT_FILE
    try:
        document = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path.name} is not valid TOML: {error}") from None
    return check(document, path.name)


def check(document: dict[str, Any], where: str) -> Municipalities:
    """The municipalities of a parsed file; a bad key is refused, named."""

    def fail(problem: str) -> InvalidInput:
        return InvalidInput(f"{where}: {problem}")

    unknown = sorted(set(document) - KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; the keys are " + ", ".join(sorted(KEYS)))
    rows = document.get("municipality")
    if not isinstance(rows, list) or not rows:
        raise fail("municipality needs at least one [[municipality]] table")
    found = tuple(_municipality(raw, f"municipality[{i}]", fail) for i, raw in enumerate(rows))
    names = [m.name for m in found]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice:
        raise fail(f"municipality {twice!r} is listed twice")
    return _counted(document, found, where, fail)


def _counted(
    document: dict[str, Any], found: tuple[Municipality, ...], where: str, fail: Any
) -> Municipalities:
    """The municipalities with their total: the sum of their inhabitants where every one has
    them (a total given must agree), else the total given, with its basis."""
    known = sum(m.inhabitants or 0 for m in found)
    given = document.get("inhabitants_total")
    if given is not None:
        given = _count(given, "inhabitants_total", fail)
    basis = document.get("inhabitants_basis", "")
    if not isinstance(basis, str):
        raise fail("inhabitants_basis must be text")
    if all(m.inhabitants is not None for m in found):
        if given is not None and given != known:
            raise fail(
                f"inhabitants_total is {given:,}, but the municipalities' inhabitants add up "
                f"to {known:,}; leave it out or make it agree"
            )
        return Municipalities(found, known, "the municipalities' inhabitants added up", where)
    if given is None:
        raise fail("inhabitants_total is needed while a municipality has no inhabitants")
    if given < known:
        raise fail(f"inhabitants_total {given:,} is below the {known:,} of the municipalities")
    if not basis.strip():
        raise fail("inhabitants_basis must say where inhabitants_total comes from")
    return Municipalities(found, given, basis.strip(), where)


def _municipality(raw: Any, key: str, fail: Any) -> Municipality:
    if not isinstance(raw, dict):
        raise fail(f"{key} must be a table")
    unknown = sorted(set(raw) - MUNICIPALITY_KEYS)
    if unknown:
        raise fail(f"{key}.{unknown[0]} is not a key of a municipality (name, inhabitants)")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{key}.name must be the municipality's name")
    inhabitants = raw.get("inhabitants")
    counted = None if inhabitants is None else _count(inhabitants, f"{key}.inhabitants", fail)
    return Municipality(name.strip(), counted)


def _count(value: Any, key: str, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{key} must be a whole number")
    if not 1 <= value <= MAX_INHABITANTS:
        raise fail(f"{key} must be from 1 to {MAX_INHABITANTS:,} (got {value:,})")
    return value


def shown(found: Municipalities) -> MunicipalitiesShown:
    """The municipalities as JSON-ready data."""
    return {
        "file": found.file,
        "municipalities": [
            {"name": m.name, "inhabitants": m.inhabitants} for m in found.municipalities
        ],
        "inhabitants_total": found.total,
        "inhabitants_basis": found.basis,
    }
