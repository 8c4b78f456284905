"""Money is integer euro cents inside kracht; this module parses and formats it at the edges."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from workflow.errors import InvalidInput

_PLAIN = re.compile(r"^\d+(\.\d{1,2})?$")
_DUTCH = re.compile(r"^\d{1,3}(\.\d{3})*(,\d{1,2})?$|^\d+(,\d{1,2})?$")
_ENGLISH = re.compile(r"^\d{1,3}(,\d{3})*(\.\d{1,2})?$")


def parse_euros(raw: object, what: str = "amount") -> int:
    """Parse an amount in euros into cents: `64389`, `64389.50`, `64,389.50`, `€ 64.389,50`.

    Refuses negatives, fractions of a cent and anything that is not a number.
    """
    if isinstance(raw, bool):
        raise InvalidInput(f"{what}: {raw!r} is not an amount in euros")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, Decimal):
        text = format(raw, "f")
    else:
        text = str(raw).strip().replace("€", "").replace("EUR", "").replace(" ", "")
        text = text.replace("_", "").replace("\u00a0", "")
    if text.startswith("-"):
        raise InvalidInput(f"{what} must not be negative (got {raw!r})")
    if _PLAIN.match(text):
        value = text
    elif "," in text and _DUTCH.match(text):
        value = text.replace(".", "").replace(",", ".")
    elif _ENGLISH.match(text):
        value = text.replace(",", "")
    else:
        raise InvalidInput(
            f"{what}: {raw!r} is not an amount in euros (write e.g. 64389 or 64389.50)"
        )
    try:
        cents = Decimal(value) * 100
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise InvalidInput(f"{what}: {raw!r} is not an amount in euros") from None
    return int(cents)


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
