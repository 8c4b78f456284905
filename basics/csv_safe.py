"""CSV that a spreadsheet opens as data: no cell of kracht's runs as a formula (OWASP, CSV
injection).

A cell that begins with = + - @, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`); such a cell gets a single quote in
front, which the spreadsheet shows as text. A cell that is entirely a number (-5, -0.25, +3,
1e-05) stays as it is, so amounts and measured values remain numbers: a plain number cannot call
anything. JSON and JSON Lines exports keep every value as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value: Any) -> str:
    """The value as a CSV cell: None is empty, a formula-like text gets a leading quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record of `values` (each through `cell`), without a line ending. A cell with a
    line break in it is quoted (the writer quotes what its line terminator holds: CR and LF)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([cell(v) for v in values])
    return buffer.getvalue().removesuffix("\r\n")


def uncell(text: str) -> str:
    """A cell that `cell` wrote, read back: the quote it put before a formula-like text is taken
    off again, so a text written out and read back in is the text that was written out."""
    rest = text[1:]
    if text.startswith("'") and rest.startswith(FORMULA_START) and not NUMBER.fullmatch(rest):
        return rest
    return text
