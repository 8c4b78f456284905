"""The input rules every interface shares (basics/inputs.py)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from kracht.basics import inputs
from kracht.basics.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", 1), (" 42 ", 42), (str(inputs.MAX_ID), inputs.MAX_ID), (7, 7)],
)
def test_an_id_is_a_whole_number_from_one_to_the_64_bit_limit(raw, value):
    assert inputs.parse_id(raw) == value


@pytest.mark.parametrize(
    "raw", ["0", "-1", str(inputs.MAX_ID + 1), "1e3", "1.0", "\u0663", "", "x", True, "9" * 5000]
)
def test_anything_else_is_refused_as_no_id(raw):
    with pytest.raises(InvalidInput) as error:
        inputs.parse_id(raw, "message")

    assert str(error.value).startswith("message id: ")
    assert f"ids are whole numbers from 1 to {inputs.MAX_ID}" in str(error.value)
    assert len(str(error.value)) < 150  # a 5,000-digit id is shown cut short


@pytest.mark.parametrize(
    "raw",
    [
        "Ondernemershuis Hengelo",
        "Café de Zwaan, Enschede",
        "Ĳsselmeer & ’s-Hertogenbosch",
        "Twente 🚀 regio",
        "Ελληνικά, 日本語, العربية",
    ],
)
def test_names_in_any_script_with_emoji_are_kept(raw):
    assert inputs.text(raw, "name") == raw


def test_text_is_stripped_and_composed():
    decomposed = "Cafe\u0301"  # e + combining acute, as some keyboards send it

    assert inputs.text(f"  {decomposed}  ", "name") == "Café"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("A\nB", "name must be one line: it holds a line break or tab at character 2"),
        ("A\tB", "must be one line"),
        ("A\u2028B", "must be one line"),
        ("A\x00B", "name holds the control character U+0000 at character 2; remove it"),
        ("\x1b[31mred", "U+001B"),
        ("Evil\u202eCorp", "U+202E"),
        ("A\u2066B", "U+2066"),
        ("A\x85B", "one line"),
        ("A\x9bB", "U+009B"),
        ("A\ufeffB", "U+FEFF"),
        ("x" * 201, "name is 201 characters long; the limit is 200: shorten it"),
        ("   ", "name must not be empty"),
    ],
)
def test_a_one_line_field_refuses_breaks_controls_and_length(raw, says):
    with pytest.raises(InvalidInput) as error:
        inputs.text(raw, "name")

    assert says in str(error.value)


def test_a_long_field_keeps_line_breaks_and_tabs_but_no_other_controls():
    assert inputs.text("first\r\nsecond\n\tthird", "narrative", inputs.LONG) == (
        "first\nsecond\n\tthird"
    )
    with pytest.raises(InvalidInput, match=r"U\+0007"):
        inputs.text("bell\x07", "narrative", inputs.LONG)
    with pytest.raises(InvalidInput, match="20,001 characters long; the limit is 20,000"):
        inputs.text("x" * 20_001, "narrative", inputs.LONG)


def test_an_optional_text_is_none_when_empty():
    assert inputs.optional_text("  ", "round", inputs.LABEL) is None
    assert inputs.optional_text(None, "round", inputs.LABEL) is None
    assert inputs.optional_text(" 2018-1 ", "round", inputs.LABEL) == "2018-1"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("9999-12-31", "due: 9999-12-31 is outside the plausible range 2000-01-01 to 2100-12-31"),
        ("1999-12-31", "outside the plausible range"),
        ("2018-02-30", "'2018-02-30' is not a date (use YYYY-MM-DD)"),
        ("2018-9-7", "is not a date"),
        ("20180907", "is not a date"),
        ("\u0662\u0660\u0661\u0668-01-01", "is not a date"),
        (dt.datetime(2019, 1, 1, 12), "2019-01-01T12:00:00 is a time; give a date"),
    ],
)
def test_a_date_is_iso_and_plausible(raw, says):
    with pytest.raises(InvalidInput) as error:
        inputs.parse_date(raw, "due")

    assert says in str(error.value)


def test_a_date_field_may_narrow_its_range():
    today = dt.date(2026, 12, 2)

    assert inputs.parse_date("2026-12-02", "submitted_on", latest=today) == today
    assert inputs.parse_date("", "submitted_on") is None
    with pytest.raises(InvalidInput, match="2026-12-03 is outside the plausible range"):
        inputs.parse_date("2026-12-03", "submitted_on", latest=today)
    with pytest.raises(InvalidInput, match="give a date"):
        inputs.require_date(None, "due")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("-1", "hours: -1 is not between 0 and 10"),
        ("1.5", "hours: '1.5' is not a whole number"),
        ("\u0663", "is not a whole number"),
        ("9" * 40, "is not a whole number"),
    ],
)
def test_a_count_is_a_bounded_whole_number(raw, says):
    with pytest.raises(InvalidInput) as error:
        inputs.parse_count(raw, "hours", 0, 10)

    assert says in str(error.value)


@pytest.mark.parametrize("kind", [inputs.REASON, inputs.NAME])
def test_the_pattern_an_api_document_gives_admits_only_text_the_rules_accept(kind):
    import re

    admits = re.compile(inputs.pattern(kind))
    admitted = 0
    for code in [*range(0x3000), *range(0xFE00, 0xFF00)]:
        char = chr(code)
        if "\ud800" <= char <= "\udfff" or not admits.match(f"a{char}b"):
            continue
        admitted += 1
        assert inputs.text(f"a{char}b", "reason", kind) == unicodedata.normalize("NFC", f"a{char}b")
    assert admitted > 10_000
    assert not admits.match("a\u0008b")
    assert not admits.match("a\u202eb")
    assert bool(admits.match("a\nb")) is (not kind.one_line)
