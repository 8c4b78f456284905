"""Money is exact: integer cents in, formatted text out."""

import time
from decimal import Decimal

import pytest

from kracht.basics.errors import InvalidInput
from kracht.basics.euros import format_euros, parse_euros


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("64389", 6438900),
        ("64389.5", 6438950),
        ("64,389.50", 6438950),
        ("€ 64.389,50", 6438950),
        ("0.01", 1),
        ("1_000_000", 100000000),
        (170000, 17000000),
        ("0", 0),
    ],
)
def test_parse_euros_into_exact_cents(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["-1", "1,001", "abc", "1e5", "", "12,34,56", "NaN", True])
def test_parse_euros_refuses_what_is_not_an_amount(text):
    with pytest.raises(InvalidInput):
        parse_euros(text)


def test_format_euros_in_english_and_dutch():
    assert format_euros(123438900) == "EUR 1,234,389.00"
    assert format_euros(123438900, "nl") == "€ 1.234.389,00"
    assert format_euros(5) == "EUR 0.05"


def test_sums_of_cents_stay_exact():
    grants = [parse_euros(x) for x in ("64389", "170000", "500000", "500000")]

    assert sum(grants) == 123438900


def test_parse_euros_accepts_up_to_a_trillion_and_refuses_more():
    assert parse_euros("1.000.000.000.000,00") == 100_000_000_000_000
    for absurd in ("1000000000000.01", "9" * 27, 10**30, "9" * 5000):
        with pytest.raises(InvalidInput) as error:
            parse_euros(absurd, "amount")
        assert "is more than kracht accepts (at most EUR 1,000,000,000,000.00)" in str(error.value)


def test_a_ratio_of_cents_is_exact_and_rounded_half_up():
    from decimal import Decimal

    from kracht.workflow.services.budgets import ratio

    assert ratio(1, 200) == Decimal("0.01")  # 0.005: half up, not to even
    assert ratio(1972000, 123438900) == Decimal("0.02")
    assert ratio(3972000, 23438900) == Decimal("0.17")
    assert ratio(5, 0) is None
    assert isinstance(ratio(1, 3), Decimal)


# -- one syntax per input locale ------------------------------------------------------------------

BOTH = ("nl", "en")


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("EUR 500.000", 50000000),  # the point groups thousands
        ("1.000", 100000),
        ("500.000", 50000000),
        ("1.000.000", 100000000),
        ("1.000,50", 100050),
        ("1,5", 150),  # the comma starts the decimals
        ("1.500 EUR", 150000),
        ("€1.500", 150000),
        ("1\u00a0000,50", 100050),  # no-break space as thousands group
        ("1\u202f000", 100000),  # narrow no-break space
        ("1.50", 150),  # machine syntax: a Dutch group has three digits, so no group
        ("64389.5", 6438950),
        ("EUR 64,389.50", 6438950),  # as kracht prints amounts in English: one reading only
    ],
)
def test_dutch_amounts(text, cents):
    assert parse_euros(text, "amount", "nl") == cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1,500", 150000),  # the comma groups thousands
        ("EUR 1,000,000", 100000000),
        ("1.5", 150),  # the point starts the decimals
        ("1,000.5", 100050),
        ("1\u202f000.50", 100050),
        ("500 €", 50000),
        ("€ 64.389,50", 6438950),  # as kracht prints amounts in Dutch: one reading only
    ],
)
def test_english_amounts(text, cents):
    assert parse_euros(text, "amount", "en") == cents


@pytest.mark.parametrize(
    ("locale", "text", "message"),
    [
        (
            "nl",
            "1,500",
            "requested: '1,500' has three digits after the decimal comma: in Dutch amounts "
            "write 1.500 for fifteen hundred or 1,50 for one and a half",
        ),
        (
            "nl",
            "1.000,505",
            "requested: '1.000,505' has three digits after the decimal comma: in Dutch amounts "
            "write 1.500 for fifteen hundred or 1,50 for one and a half",
        ),
        (
            "nl",
            "1,000,000",
            "requested: '1,000,000' is not an amount in euros; in Dutch amounts write 1.500 "
            "for fifteen hundred or 1,50 for one and a half",
        ),
        (
            "nl",
            "64389.505",
            "requested: '64389.505' has more than two decimals: in Dutch amounts write 1.500 "
            "for fifteen hundred or 1,50 for one and a half",
        ),
        (
            "en",
            "1.000",
            "requested: '1.000' has three digits after the decimal point: in English amounts "
            "write 1,500 for fifteen hundred or 1.50 for one and a half",
        ),
        (
            "en",
            "1,5",
            "requested: '1,5' has a decimal comma: in English amounts write 1,500 for fifteen "
            "hundred or 1.50 for one and a half",
        ),
        (
            "en",
            "€ 1.000.000",
            "requested: '€ 1.000.000' is not an amount in euros; in English amounts write "
            "1,500 for fifteen hundred or 1.50 for one and a half",
        ),
        ("nl", "1 5", None),  # spaces group thousands in threes, as points and commas do
        ("en", "12,34", None),
        ("nl", "5€5", None),  # "€" or "EUR" before or after, not within
    ],
)
def test_an_amount_not_written_as_the_locale_writes_it_is_refused(locale, text, message):
    with pytest.raises(InvalidInput) as error:
        parse_euros(text, "requested", locale)

    assert message is None or str(error.value) == message


def test_kracht_locale_says_how_typed_amounts_are_read(monkeypatch):
    fifteen_hundred = {"nl": "1.500", "en": "1,500"}
    for locale, other in (("nl", "en"), ("en", "nl")):
        monkeypatch.setenv("KRACHT_LOCALE", locale)

        assert parse_euros(fifteen_hundred[locale]) == 150000
        assert parse_euros("64389.50") == 6438950  # machine syntax: the same in both
        with pytest.raises(InvalidInput):
            parse_euros(fifteen_hundred[other])


def test_without_kracht_locale_amounts_are_dutch_and_a_bad_setting_is_named(monkeypatch):
    from kracht.basics.euros import input_locale

    monkeypatch.delenv("KRACHT_LOCALE", raising=False)
    assert (input_locale(), parse_euros("500.000")) == ("nl", 50000000)
    monkeypatch.setenv("KRACHT_LOCALE", "de")
    with pytest.raises(InvalidInput) as error:
        parse_euros("5")
    assert str(error.value) == "KRACHT_LOCALE: 'de' is not nl or en (how amounts you type are read)"


@pytest.mark.parametrize("locale", BOTH)
@pytest.mark.parametrize("text", ["١٢٣", "５００", "१०", "12٣", "€ ٥٠٠,٥٠", "2²"])
def test_digits_other_than_ascii_are_refused(monkeypatch, locale, text):
    monkeypatch.setenv("KRACHT_LOCALE", locale)

    with pytest.raises(InvalidInput) as error:
        parse_euros(text, "amount")

    assert str(error.value) == (
        f"amount: {text!r} holds digits other than 0-9; write it with the digits 0-9, e.g. "
        "64389 or 64389.50"
    )


@pytest.mark.parametrize(
    ("number", "cents"), [(64389.5, 6438950), (0.1, 10), (Decimal("12.30"), 1230), (7, 700)]
)
def test_a_number_from_a_file_is_a_number_not_text(number, cents):
    for locale in BOTH:
        assert parse_euros(number, "granted", locale) == cents


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (64389.505, "granted: 64389.505 has fractions of a cent; give at most two decimals"),
        (
            Decimal("5.000000000000000000000000000001"),
            "granted: 5.000000000000000000000000000001 has fractions of a cent; give at most "
            "two decimals",
        ),
        (float("nan"), "granted: nan is not an amount in euros (write e.g. 64389 or 64389.50)"),
        (float("inf"), "granted: inf is not an amount in euros (write e.g. 64389 or 64389.50)"),
        (-0.5, "granted must not be negative (got -0.5)"),
        (1e20, "granted: 1e+20 is more than kracht accepts (at most EUR 1,000,000,000,000.00)"),
    ],
)
def test_a_number_from_a_file_is_refused_with_what_is_wrong(number, message):
    with pytest.raises(InvalidInput) as error:
        parse_euros(number, "granted", "nl")

    assert str(error.value) == message


# -- numbers that are not money ------------------------------------------------------------------


def _value(unit, raw):
    from kracht.workflow.config import Monitoring
    from kracht.workflow.measurement import parse_value

    return parse_value("probe", unit, raw, Monitoring())


@pytest.mark.parametrize(
    ("unit", "raw", "message"),
    [
        (
            "students",
            "1e309",
            "indicator 'probe' (students): '1e309' is written with an exponent; write the "
            "number out, like 12.5 (at most 15 digits before the decimal point and 12 after)",
        ),
        (
            "tonnes CO2",
            "9" * 310,
            "indicator 'probe' (tonnes CO2): '999999999999999999999999... (310 characters)' is "
            "too large or too precise (at most 15 digits before the decimal point and 12 after)",
        ),
        (
            "tonnes CO2",
            "1" * 16,
            "indicator 'probe' (tonnes CO2): '1111111111111111' is too large or too precise (at "
            "most 15 digits before the decimal point and 12 after)",
        ),
        (
            "tonnes CO2",
            "0.1234567890123",
            "indicator 'probe' (tonnes CO2): '0.1234567890123' is too large or too precise (at "
            "most 15 digits before the decimal point and 12 after)",
        ),
        (
            "students",
            "١٢",
            "indicator 'probe' (students): '١٢' is not a number; give a whole number like 42, "
            "without thousands separators",
        ),
        (
            "%",
            "5E1",
            "indicator 'probe' (%): '5E1' is written with an exponent; write the number out, "
            "like 12.5 (at most 15 digits before the decimal point and 12 after)",
        ),
    ],
)
def test_a_measured_value_is_finite_bounded_and_written_out(unit, raw, message):
    with pytest.raises(InvalidInput) as error:
        _value(unit, raw)

    assert str(error.value) == message


def test_the_largest_and_most_precise_values_are_kept_exactly_and_compared():
    from kracht.workflow.measurement import progress

    largest, finest = _value("tonnes CO2", "9" * 15), _value("tonnes CO2", "0." + "0" * 11 + "1")

    assert (largest, finest) == ("9" * 15, "0.000000000001")
    assert _value("tonnes CO2", "-0012,50000000000000") == "-12.5"  # zeros that say nothing
    assert progress("0", finest, largest) == 99999999999999900000000000000.0  # no overflow


@pytest.mark.parametrize("text", ["1" * 20000 + "x", "1," * 10000 + "x", "1 " * 10000 + "x"])
def test_a_long_text_is_refused_at_once_as_not_an_amount(text):
    start = time.perf_counter()
    with pytest.raises(InvalidInput) as error:
        parse_euros(text, "amount", "nl")

    assert time.perf_counter() - start < 1  # no pattern backtracks through 20,000 characters
    assert str(error.value) == (
        f"amount: {text[:24] + '... (20001 characters)'!r} is not an amount in euros (write e.g. "
        "64389 or 64389.50)"
    )
