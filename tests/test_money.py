"""Money is exact: integer cents in, formatted text out."""

import pytest

from workflow.errors import InvalidInput
from workflow.money import format_euros, parse_euros


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


@pytest.mark.parametrize("text", ["-1", "1.001", "abc", "1e5", "", "12,34,56", "NaN", True])
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

    from workflow.decisions import ratio

    assert ratio(1, 200) == Decimal("0.01")  # 0.005: half up, not to even
    assert ratio(1972000, 123438900) == Decimal("0.02")
    assert ratio(3972000, 23438900) == Decimal("0.17")
    assert ratio(5, 0) is None
    assert isinstance(ratio(1, 3), Decimal)
