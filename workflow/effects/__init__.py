"""What the moves of the road do besides moving: the effects, checks and deadlines that rows of
`workflow/definition.py` name. An effect takes the `Move` and returns what it did (for the
audit event); a check refuses with NotAllowed. Nothing here imports the engine or a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def says(text: str) -> Callable[[F], F]:
    """Name what an effect or check does, in the words `kracht workflow show` prints."""

    def mark(function: F) -> F:
        function.says = text  # type: ignore[attr-defined]
        return function

    return mark


def said(function: Callable[..., Any]) -> str:
    """What an effect or check does, as `says` named it (else its name)."""
    return str(getattr(function, "says", function.__name__.replace("_", " ")))
