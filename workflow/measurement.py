"""Measured values of SMART indicators: checked against the indicator's unit, compared to target.

Values are exact decimals kept as text, like an indicator's baseline and target. The unit says
what a value may be (the programme configuration's [monitoring.units]): a count is a whole
number from 0, a percentage a number from 0 to 100, euros an amount in euros, and any other unit
any number.

A number that is not money is written out in ASCII digits, with a point or a comma before its
decimals and no thousands separators (`1,500` could be either); at most 15 digits before the
decimal point and 12 after, as an indicator's baseline and target. No exponents (`1e309`),
`NaN` or `Infinity`.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from kracht.basics.errors import InvalidInput
from kracht.basics.euros import parse_euros
from kracht.workflow.config import Monitoring

HUNDRED = Decimal(100)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+")  # 1,000: a thousands separator or decimals?
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_DIGITS = frozenset("0123456789.,+-")
_EXPONENT = re.compile(r"[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+")
WHOLE_DIGITS, DECIMALS = 15, 12  # as applications.parse_decimal allows a baseline and target
BOUNDS = f"at most {WHOLE_DIGITS} digits before the decimal point and {DECIMALS} after"


def parse_value(name: str, unit: str, raw: object, rules: Monitoring) -> str:
    """The value as a normalised decimal string, or a refusal naming indicator, unit and rule."""
    kind = rules.unit_kind(unit)
    what = f"indicator {name!r} ({unit})"
    text = str(raw).strip()
    if kind == "euros":
        cents = parse_euros(text, what)
        return format(Decimal(cents).scaleb(-2), "f")
    number = _number(text.removesuffix("%").strip() if kind == "percent" else text, what)
    if number is None:
        example = "a whole number like 42" if kind == "count" else "a number like 12.5"
        raise InvalidInput(
            f"{what}: {_shown(text)} is not a number; give {example}, without thousands separators"
        )
    if kind == "count" and (number != number.to_integral_value() or number < 0):
        raise InvalidInput(f"{what}: {text} is not a count; give a whole number from 0")
    if kind == "percent" and not 0 <= number <= HUNDRED:
        raise InvalidInput(f"{what}: {text} is not a percentage; give a number from 0 to 100")
    return _plain(number)


def _number(text: str, what: str) -> Decimal | None:
    """`text` as a bounded, finite decimal; None if it is not a number as kracht writes one."""
    if len(text) > 60:  # too long to be a number within the bounds; no pattern runs on it
        if set(text) <= _DIGITS and any(char in "0123456789" for char in text):
            raise InvalidInput(f"{what}: {_shown(text)} is too large or too precise ({BOUNDS})")
        return None
    if _EXPONENT.fullmatch(text):
        raise InvalidInput(
            f"{what}: {_shown(text)} is written with an exponent; write the number out, like "
            f"12.5 ({BOUNDS})"
        )
    if not _NUMBER.fullmatch(text) or "," in text and _GROUPED.fullmatch(text):
        return None
    whole, _, decimals = text.lstrip("+-").replace(",", ".").partition(".")
    if len(whole.lstrip("0")) > WHOLE_DIGITS or len(decimals.rstrip("0")) > DECIMALS:
        raise InvalidInput(f"{what}: {_shown(text)} is too large or too precise ({BOUNDS})")
    return Decimal(text.replace(",", "."))


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else f"{text[:24]}... ({len(text)} characters)")


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def progress(baseline: str, target: str, value: str | None) -> float | None:
    """How far from baseline to target a value has come, in percent (100: target reached)."""
    if value is None:
        return None
    start, goal, now = Decimal(baseline), Decimal(target), Decimal(value)
    if goal == start:
        return 100.0 if now == goal else 0.0
    with localcontext(prec=100):  # bounded values (27 digits at most) need more than 28 here
        return float(round((now - start) / (goal - start) * HUNDRED, 1))


def target_met(baseline: str, target: str, value: str | None) -> bool:
    """Reached or passed the target, in the direction from the baseline."""
    if value is None:
        return False
    start, goal, now = Decimal(baseline), Decimal(target), Decimal(value)
    return now <= goal if goal < start else now >= goal
