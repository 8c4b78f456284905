"""The one clock: every moment kracht stamps and every day it reckons with comes from here.

Moments are aware UTC datetimes, and stored that way; days are dates in the programme's time
zone (Europe/Amsterdam), so a deadline passes at midnight in Twente whatever zone the server
runs in. The system clock is read in one place, `wall`, through `datetime.now(tz=UTC)`, which
time-machine moves in tests. `frozen` (or `using`, for a clock that ticks) overrides the clock
for the whole process, scheduler threads included, until its block ends.

It lives in `storage/` because storage stamps times too (audit events, versions) and imports
nothing from the other packages; it imports nothing but the standard library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

PROGRAMME_TZ = ZoneInfo("Europe/Amsterdam")

Source = Callable[[], dt.datetime]
_source: Source | None = None  # set by `using`/`frozen`; None reads the system clock


def wall() -> dt.datetime:
    """The system clock, aware UTC, whatever override is in force (for timers, not records)."""
    return dt.datetime.now(tz=dt.UTC)


def now() -> dt.datetime:
    """The current moment, aware UTC: the override's, else the system clock's."""
    return _aware(_source() if _source is not None else wall()).astimezone(dt.UTC)


def today() -> dt.date:
    """The current day in the programme's time zone."""
    return local(now()).date()


def local(moment: dt.datetime) -> dt.datetime:
    """A stored moment in the programme's time zone (a naive one, as SQLite returns, is UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(PROGRAMME_TZ)


def local_day(moment: dt.datetime) -> dt.date:
    """The programme day a stored moment fell on."""
    return local(moment).date()


@contextmanager
def using(source: Source) -> Iterator[None]:
    """Read the time from `source` (returning aware datetimes) until the block ends."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """Stand the clock still at `moment` (timezone-aware) until the block ends."""
    fixed = _aware(moment).astimezone(dt.UTC)
    with using(lambda: fixed):
        yield


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the clock needs a timezone-aware moment, not {moment.isoformat()}")
    return moment


class Clock:
    """The time as one unit of work reads it: the process clock above (and its overrides), or a
    `source` of its own, such as a web request's fixed moment or a test's."""

    __slots__ = ("_source",)

    def __init__(self, source: Source | None = None) -> None:
        self._source = source

    def now(self) -> dt.datetime:
        """The current moment, aware UTC."""
        return _aware(self._source()).astimezone(dt.UTC) if self._source else now()

    def today(self) -> dt.date:
        """The current day in the programme's time zone."""
        return local(self.now()).date()


PROCESS = Clock()  # reads `now()`: the system clock, or whatever `using`/`frozen` put in force
