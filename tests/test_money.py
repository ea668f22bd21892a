from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT,
    Money,
    MoneyError,
    check_amount,
    from_decimal_string,
    to_decimal_string,
)

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
amounts = st.integers(min_value=0, max_value=MAX_AMOUNT)


@given(amounts, currencies)
def test_minor_units_survive_a_round_trip_through_provider_strings(amount: int, currency: str) -> None:
    assert from_decimal_string(to_decimal_string(amount, currency), currency) == amount


@given(amounts, currencies)
def test_decimal_strings_equal_the_exact_decimal_value(amount: int, currency: str) -> None:
    text = to_decimal_string(amount, currency)
    assert Decimal(text) == Decimal(amount).scaleb(-CURRENCY_EXPONENTS[currency])
    assert from_decimal_string(Decimal(text), currency) == amount


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [("599.00", "RUB", 59900), ("599", "RUB", 59900), ("0.01", "USD", 1), ("1.1", "KZT", 110),
     ("1000", "JPY", 1000), ("1.234", "KWD", 1234), ("19.99", "UZS", 1999), ("0.29", "USD", 29),
     ("1.13", "USD", 113), ("7.000", "EUR", 700)],
)
def test_known_provider_amounts_convert_exactly(value: str, currency: str, expected: int) -> None:
    assert from_decimal_string(value, currency) == expected


@pytest.mark.parametrize("value", ["599.001", "1e3", "-1.00", "abc", "", "1.2.3", " ", "NaN", "0x10"])
def test_inexact_or_malformed_amounts_are_refused(value: str) -> None:
    with pytest.raises(MoneyError):
        from_decimal_string(value, "RUB")


def test_zero_decimal_currencies_have_no_fraction() -> None:
    assert to_decimal_string(1500, "JPY") == "1500"
    with pytest.raises(MoneyError):
        from_decimal_string("15.5", "JPY")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError):
        Money(100, "XYZ")
    assert Money(100, "uzs").currency == "UZS"


@pytest.mark.parametrize("bad", [0, -1, MAX_AMOUNT + 1, 1.5, "100", True])
def test_amount_bounds_and_types(bad: object) -> None:
    with pytest.raises(MoneyError):
        check_amount(bad)  # type: ignore[arg-type]
    assert check_amount(MAX_AMOUNT) == MAX_AMOUNT
