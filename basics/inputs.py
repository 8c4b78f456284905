"""The rules every value a person types must meet, whatever interface it comes through.

Ids are whole numbers from 1 to MAX_ID; text has a limit per kind of field and no control
characters (one-line fields hold no line breaks either); dates lie within a plausible range.
Each refusal is one `InvalidInput` naming the field and what to do. README's "Input rules"
section documents the same table.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from kracht.basics.errors import invalid

MAX_ID = 2**31 - 1  # what an id column (INTEGER) holds on PostgreSQL; storage's MAX_KEY


def parse_id(raw: object, what: str = "application") -> int:
    """An id the user gave: a whole number from 1 to MAX_ID, ASCII digits only."""
    text = str(raw).strip()
    digits = not isinstance(raw, bool) and text.isascii() and text.isdigit() and len(text) <= 19
    if digits and 1 <= int(text) <= MAX_ID:
        return int(text)
    raise invalid(
        what, f"{what} id: {shown(text)} is not an id (ids are whole numbers from 1 to {MAX_ID})"
    )


def shown(value: object, limit: int = 40) -> str:
    """A value as a message quotes it: repr, cut short when long."""
    text = str(value)
    if len(text) > limit:
        return repr(text[: limit - 16]) + f"... ({len(text):,} characters)"
    return repr(text)


def parse_count(raw: object, what: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` (hours, months, a year, inhabitants)."""
    text = str(raw).strip()
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        raise invalid(what, f"{what}: {shown(text)} is not a whole number")
    number = int(text)
    if not low <= number <= high:
        raise invalid(what, f"{what}: {number} is not between {low} and {high}")
    return number


# -- text -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A kind of text field: at most `limit` characters; `one_line` holds no line breaks."""

    limit: int
    one_line: bool = True


NAME = Text(200)  # people, organisations, programmes, lines, indicators, units
TITLE = Text(300)  # an application's title
LABEL = Text(64)  # a round ("2018-1"), a unit, a short code-like label
LONG = Text(20_000, one_line=False)  # descriptions, motivations, narratives, stage-data text
REASON = Text(5_000, one_line=False)  # why a decision, deferral, rework or withdrawal

# Characters refused everywhere: controls other than line break and tab (C0, DEL, C1),
# bidirectional overrides and isolates (they make text read other than it is stored),
# the byte-order mark and lone surrogates. Code points newer than this Python's Unicode
# tables (a new emoji) are let through.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_REFUSED_CATEGORIES = {"Cc", "Cs"}
# Invisible in a name or title, where they only make look-alikes: zero-width space, word joiner,
# Mongolian vowel separator, soft hyphen. (Zero-width joiners stay: emoji and scripts need them.)
_INVISIBLE = set("\u200b\u2060\u180e\u00ad")
_LINE_BREAKS = set("\n\r\u2028\u2029\x0b\x0c\x85")


def text(value: object, what: str, kind: Text = NAME, *, required: bool = True) -> str:
    """`value` as clean text of this kind: stripped, NFC-normalised, within its limit and
    character rules. Empty is refused when `required`, else returned as ""."""
    result = unicodedata.normalize("NFC", "" if value is None else str(value))
    result = result.replace("\r\n", "\n").strip()
    if not result:
        if required:
            raise invalid(what, f"{what} must not be empty")
        return ""
    if len(result) > kind.limit:
        raise invalid(
            what,
            f"{what} is {len(result):,} characters long; the limit is {kind.limit:,}: shorten it",
        )
    for position, char in enumerate(result, start=1):
        _check_char(char, position, what, kind)
    return result


def _check_char(char: str, position: int, what: str, kind: Text) -> None:
    if char in _LINE_BREAKS or char == "\t":
        if kind.one_line:
            raise invalid(
                what,
                f"{what} must be one line: it holds a line break or tab at character {position}",
            )
        if char in "\n\t":
            return
    if "\udc80" <= char <= "\udcff":  # a byte the terminal's encoding could not decode
        raise invalid(
            what,
            f"{what} holds a byte that is not text in your terminal's encoding at character "
            f"{position} (0x{ord(char) - 0xDC00:02X}); type it again as text",
        )
    if kind.one_line and char in _INVISIBLE:
        raise invalid(
            what,
            f"{what} holds the invisible character U+{ord(char):04X} at character {position}; "
            "remove it",
        )
    if char in _BIDI or unicodedata.category(char) in _REFUSED_CATEGORIES or char == "\ufeff":
        raise invalid(
            what,
            f"{what} holds the control character U+{ord(char):04X} at character {position}; "
            "remove it",
        )


def pattern(kind: Text) -> str:
    """The characters `text` lets through for this kind, as a regular expression (for an API's
    document): none of those it refuses, but for lone surrogates, which JSON carries as escapes
    and which no character class of every regular-expression dialect can name."""
    controls = {chr(n) for n in (*range(0x20), *range(0x7F, 0xA0))}
    refused = controls | _BIDI | {"\ufeff"}
    if kind.one_line:
        refused |= _LINE_BREAKS | _INVISIBLE | {"\t"}
    else:
        refused -= {"\n", "\t"}
    return "^[^" + "".join(f"\\u{ord(c):04x}" for c in sorted(refused)) + "]*$"


def optional_text(value: object, what: str, kind: Text = NAME) -> str | None:
    """Clean text, or None when nothing was given."""
    return text(value, what, kind, required=False) or None


# -- dates ----------------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST = dt.date(2000, 1, 1)  # before any programme kracht runs
LATEST = dt.date(2100, 12, 31)  # after any plan a programme makes


def parse_date(
    value: object,
    what: str,
    *,
    earliest: dt.date = EARLIEST,
    latest: dt.date = LATEST,
) -> dt.date | None:
    """A date (YYYY-MM-DD) within [earliest, latest]; None when nothing was given."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.time):  # a TOML date-time or time: which day is meant?
        raise invalid(what, f"{what}: {value.isoformat()} is a time; give a date (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        day = value
    else:
        raw = str(value).strip()
        try:
            if not _ISO_DAY.fullmatch(raw):  # fromisoformat also takes 2019-W01-1 and 20190101
                raise ValueError(raw)
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise invalid(what, f"{what}: {shown(raw)} is not a date (use YYYY-MM-DD)") from None
    if not earliest <= day <= latest:
        raise invalid(
            what,
            f"{what}: {day.isoformat()} is outside the plausible range "
            f"{earliest.isoformat()} to {latest.isoformat()}",
        )
    return day


def require_date(value: object, what: str, **limits: dt.date) -> dt.date:
    """Like `parse_date`, but a date must be given."""
    day = parse_date(value, what, **limits)
    if day is None:
        raise invalid(what, f"{what}: give a date (YYYY-MM-DD)")
    return day
