"""Dates and times as people read them: Dutch (`3 december 2026, 14:05`) or English
(`3 December 2026, 14:05`), in the programme's time zone."""

from __future__ import annotations

import datetime as dt

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def day(value: dt.date, language: str) -> str:
    """`3 december 2026` (nl) or `3 December 2026` (en)."""
    return f"{value.day} {MONTHS[_known(language)][value.month - 1]} {value.year}"


def moment(value: dt.datetime, language: str) -> str:
    """A moment, aware, in the programme's time zone: `3 december 2026, 14:05`."""
    from kracht.storage.clock import local

    here = local(value)
    return f"{day(here.date(), language)}, {here:%H:%M}"


def _known(language: str) -> str:
    return language if language in MONTHS else "nl"
