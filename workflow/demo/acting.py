"""How the demo acts: each step one unit of work, as the CLI runs it, by the person named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kracht.workflow.unit import Units

T = TypeVar("T")
_UNITS: dict[str, Units] = {}


def act(url: str, who: str | None, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`service` in one unit of work on the database at `url`, as `who`."""
    units = _UNITS.get(url)
    if units is None:
        units = _UNITS[url] = Units(url)
    return units.run(who, service, *args, **kwargs)
