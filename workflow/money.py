"""Money is integer euro cents inside kracht; this module parses and formats it at the edges."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from workflow.errors import InvalidInput

_PLAIN = re.compile(r"^\d+(\.\d{1,2})?$")
_DUTCH = re.compile(r"^\d{1,3}(\.\d{3})*(,\d{1,2})?$|^\d+(,\d{1,2})?$")
_ENGLISH = re.compile(r"^\d{1,3}(,\d{3})*(\.\d{1,2})?$")
MAX_CENTS = 100_000_000_000_000  # EUR 1,000,000,000,000.00: far above any budget, far below
# what a 64-bit money column holds, so sums of many such amounts stay exact in the database too


def parse_euros(raw: object, what: str = "amount") -> int:
    """Parse an amount in euros into cents: `64389`, `64389.50`, `64,389.50`, `€ 64.389,50`.

    Refuses negatives, fractions of a cent, anything that is not a number, and more than
    EUR 1,000,000,000,000 (MAX_CENTS).
    """
    if isinstance(raw, bool):
        raise InvalidInput(f"{what}: {raw!r} is not an amount in euros")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, Decimal):
        text = format(raw, "f") if not raw.is_finite() or raw.adjusted() < 40 else "9" * 41
    else:
        text = str(raw).strip().replace("€", "").replace("EUR", "").replace(" ", "")
        text = text.replace("_", "").replace("\u00a0", "")
    if text.startswith("-"):
        raise InvalidInput(f"{what} must not be negative (got {_shown(raw)})")
    if len(text) > 40:  # longer than any amount within the limit, however it is written
        within_limit(MAX_CENTS + 1, what, _shown(raw))
    if _PLAIN.match(text):
        value = text
    elif "," in text and _DUTCH.match(text):
        value = text.replace(".", "").replace(",", ".")
    elif _ENGLISH.match(text):
        value = text.replace(",", "")
    else:
        raise InvalidInput(
            f"{what}: {_shown(raw)} is not an amount in euros (write e.g. 64389 or 64389.50)"
        )
    try:
        cents = Decimal(value) * 100
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise InvalidInput(f"{what}: {raw!r} is not an amount in euros") from None
    return within_limit(int(cents), what, _shown(raw))


def within_limit(cents: int, what: str, shown: str | None = None) -> int:
    """`cents`, if no more than MAX_CENTS; otherwise a refusal naming `what` (shown as `shown`)."""
    if cents > MAX_CENTS:
        raise InvalidInput(
            f"{what}: {shown or format_euros(cents)} is more than kracht accepts "
            f"(at most {format_euros(MAX_CENTS)})"
        )
    return cents


def _shown(raw: object) -> str:
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
