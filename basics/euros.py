"""Money is integer euro cents inside kracht; this module parses and formats it at the edges.

An amount typed as text follows one syntax per input locale (`KRACHT_LOCALE`, nl or en;
default nl):

- nl: the point groups thousands (groups of three), the comma starts one or two decimals:
  `1.000` is a thousand, `500.000`, `1.000,50`, `1,5` is one euro fifty; `1,500` is refused.
- en: the comma groups thousands, the point starts one or two decimals: `1,500`, `1.5`;
  `1.000` and `1,5` are refused.

Both read plain `64389` and machine syntax `64389.50` (a point and one or two decimals, no
grouping: a Dutch thousands group has three digits, so `1.50` cannot be one), spaces (also
no-break and narrow no-break spaces) as thousands groups, and "€" or "EUR" before or after.
Both also read the other locale's complete form, with grouping and decimals, which cannot be
misread: `64,389.50` (as kracht prints amounts in English) and `64.389,50`. Only ASCII digits.
Numbers from a JSON/TOML file are numbers, not text: they bypass the syntax (at most two
decimals). Everything at most EUR 1,000,000,000,000 (MAX_CENTS).
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

from kracht.basics.errors import InvalidInput, invalid

MAX_CENTS = 100_000_000_000_000  # EUR 1,000,000,000,000.00: far above any budget, far below
# what a 64-bit money column holds, so sums of many such amounts stay exact in the database too
LOCALES = ("nl", "en")
DEFAULT_LOCALE = "nl"  # kracht's users are Dutch
CENT = Decimal("0.01")

_SPACE = "[ \u00a0\u202f_]"  # grouping spaces; `_` as in Python's 1_000_000


def _grouped(separator: str) -> str:
    return rf"[0-9]{{1,3}}(?:{separator}[0-9]{{3}})+"


_POINT = r"\."
_WHOLE_EN = rf"(?:[0-9]+|{_grouped(',')}|{_grouped(_SPACE)})"
_WHOLE_NL = rf"(?:[0-9]+|{_grouped(_POINT)}|{_grouped(_SPACE)})"
_MACHINE = rf"(?:[0-9]+|{_grouped(_SPACE)})(?:\.[0-9]{{1,2}})?"
_FULL_EN = rf"{_grouped(',')}\.[0-9]{{1,2}}"
_FULL_NL = rf"{_grouped(_POINT)},[0-9]{{1,2}}"
# per locale: (the syntax read with a decimal point, the syntax read with a decimal comma)
_SYNTAX = {
    "nl": (re.compile(f"{_MACHINE}|{_FULL_EN}"), re.compile(rf"{_WHOLE_NL}(?:,[0-9]{{1,2}})?")),
    "en": (re.compile(rf"{_WHOLE_EN}(?:\.[0-9]{{1,2}})?"), re.compile(_FULL_NL)),
}
_NUMERIC = frozenset("0123456789.,_ \u00a0\u202f")  # what an amount is written with
LONGEST = 40  # characters: longer than any amount within the limit, however it is written
GENERIC = "(write e.g. 64389 or 64389.50)"
_HINTS = {
    "nl": "in Dutch amounts write 1.500 for fifteen hundred or 1,50 for one and a half",
    "en": "in English amounts write 1,500 for fifteen hundred or 1.50 for one and a half",
}
_WRONG = (  # (locale or "*" for both, pattern of the mistake, what it is), checked in order
    ("nl", re.compile(r"[0-9.]*[0-9],[0-9]{3}"), "three digits after the decimal comma"),
    ("en", re.compile(r"[0-9,]*[0-9]\.[0-9]{3}"), "three digits after the decimal point"),
    ("en", re.compile(r"[0-9]+,[0-9]{1,2}"), "a decimal comma"),
    ("*", re.compile(r"[0-9]+[.,][0-9]{3,}"), "more than two decimals"),
)


def input_locale() -> str:
    """How amounts typed as text are read: `KRACHT_LOCALE` (nl or en), nl when unset."""
    value = os.environ.get("KRACHT_LOCALE", "").strip().lower() or DEFAULT_LOCALE
    if value not in LOCALES:
        raise InvalidInput(
            f"KRACHT_LOCALE: {value[:20]!r} is not nl or en (how amounts you type are read)",
            field="locale",
        )
    return value


def parse_euros(raw: object, what: str = "amount", locale: str | None = None) -> int:
    """Parse an amount in euros into cents: `64389`, `64389.50`, `€ 64.389,50`, `1.000` (nl).

    `locale` (nl or en; default: `input_locale()`) says how text is read (see the module's
    docstring). Refuses negatives, fractions of a cent, anything that is not an amount, and
    more than EUR 1,000,000,000,000 (MAX_CENTS).
    """
    if isinstance(raw, bool):
        raise invalid(what, f"{what}: {raw!r} is not an amount in euros")
    if isinstance(raw, int | float | Decimal):
        return _from_number(raw, what)
    text = str(raw).strip()
    body = _without_currency(text)
    if body.startswith("-") or text.startswith("-"):
        raise invalid(what, f"{what} must not be negative (got {_shown(raw)})")
    if len(body) > LONGEST:  # not worth reading (and no pattern runs on a long text)
        if _numeric(body):
            within_limit(MAX_CENTS + 1, what, _shown(raw))
        raise _not_an_amount(what, raw)
    locale = locale or input_locale()
    if locale not in LOCALES:
        raise InvalidInput(f"locale {locale!r} is not nl or en", field="locale")
    value = _read(body, locale)
    if value is None:
        raise _refusal(what, raw, body, locale)
    return within_limit(int(Decimal(value) * 100), what, _shown(raw))


def _without_currency(text: str) -> str:
    """`text` without one "€" or "EUR" before or after it, and the spaces around that."""
    for mark in ("€", "EUR"):
        if text[: len(mark)].upper() == mark:
            return text[len(mark) :].strip()
        if text[-len(mark) :].upper() == mark:
            return text[: -len(mark)].strip()
    return text


def _numeric(body: str) -> bool:
    return any(char in "0123456789" for char in body) and set(body) <= _NUMERIC


def _read(body: str, locale: str) -> str | None:
    """The amount `body` as a plain decimal ("1000.5"), or None if it follows no syntax."""
    with_point, with_comma = _SYNTAX[locale]
    if with_point.fullmatch(body):
        return re.sub(_SPACE, "", body).replace(",", "")
    if with_comma.fullmatch(body):
        return re.sub(_SPACE, "", body).replace(".", "").replace(",", ".")
    return None


def _refusal(what: str, raw: object, body: str, locale: str) -> InvalidInput:
    """Why `body` is not an amount in `locale`, and how to write it there."""
    body = re.sub(_SPACE, "", body)
    for where, pattern, mistake in _WRONG:
        if where in (locale, "*") and pattern.fullmatch(body):
            return invalid(what, f"{what}: {_shown(raw)} has {mistake}: {_HINTS[locale]}")
    if _numeric(body):
        return invalid(what, f"{what}: {_shown(raw)} is not an amount in euros; {_HINTS[locale]}")
    return _not_an_amount(what, raw)


def _not_an_amount(what: str, raw: object) -> InvalidInput:
    if any(char.isdigit() and not char.isascii() for char in str(raw)):
        return invalid(
            what,
            f"{what}: {_shown(raw)} holds digits other than 0-9; write it with the digits 0-9, "
            "e.g. 64389 or 64389.50",
        )
    return invalid(what, f"{what}: {_shown(raw)} is not an amount in euros {GENERIC}")


def _from_number(raw: int | float | Decimal, what: str) -> int:
    """A number from a file (JSON/TOML): finite, from 0, whole cents, within the limit."""
    number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not number.is_finite():
        raise invalid(what, f"{what}: {_shown(raw)} is not an amount in euros {GENERIC}")
    if number < 0:
        raise invalid(what, f"{what} must not be negative (got {_shown(raw)})")
    if number.adjusted() > 13:
        within_limit(MAX_CENTS + 1, what, _shown(raw))
    cents = number.quantize(CENT)  # exact: at most 16 digits; comparing Decimals is exact too
    if cents != number:
        raise invalid(
            what, f"{what}: {_shown(raw)} has fractions of a cent; give at most two decimals"
        )
    return within_limit(int(cents * 100), what, _shown(raw))


def within_limit(cents: int, what: str, shown: str | None = None) -> int:
    """`cents`, if no more than MAX_CENTS; otherwise a refusal naming `what` (shown as `shown`)."""
    if cents > MAX_CENTS:
        raise invalid(
            what,
            f"{what}: {shown or format_euros(cents)} is more than kracht accepts "
            f"(at most {format_euros(MAX_CENTS)})",
        )
    return cents


def _shown(raw: object) -> str:
    if isinstance(raw, int) and raw.bit_length() > 1000:
        return "a number of more than 300 digits"
    text = str(raw)
    if len(text) > 40:
        text = f"{text[:24]}... ({len(text)} characters)"
    return repr(text) if isinstance(raw, str) else text


def format_euros(cents: int | None, language: str = "en") -> str:
    """`EUR 64,389.00` in English, `€ 64.389,00` in Dutch."""
    if cents is None:
        return "-"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}"
    if language == "nl":
        return f"{sign}€ {grouped.replace(',', '.')},{part:02d}"
    return f"{sign}EUR {grouped}.{part:02d}"
