"""A progress bar on the terminal, for a long command: on stderr, and only when stderr is one."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A `progress(done, total)` callback drawing a bar on stderr once the total is known, or
    None when stderr is not a terminal (a pipe, a file): then nothing is drawn at all."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if bars and bars[0].pos + done > bars[0].length:  # the unit is run again: start over
            bars.pop().render_finish()
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done)

    try:
        yield progress
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
