from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT,
    Money,
    MoneyError,
    TooPrecise,
    check_amount,
    format_number,
    from_decimal_string,
    from_typed,
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


@pytest.mark.parametrize(
    ("typed", "currency", "expected"),
    [("5000", "UZS", 500_000), ("5 000,00", "UZS", 500_000), ("5\u00a0000,00", "UZS", 500_000),
     ("2,50", "EUR", 250), ("1,234.56", "USD", 123_456), ("1.234,56", "EUR", 123_456),
     ("1'000.50", "CHF", 100_050), ("1 000 000", "UZS", 100_000_000), ("15", "JPY", 15),
     ("1,5", "KWD", 1_500), (" 7 ", "RUB", 700), ("1,000", "JPY", 1_000), ("1.000", "JPY", 1_000)],
)
def test_amounts_as_people_type_them_convert_exactly(typed: str, currency: str, expected: int) -> None:
    assert from_typed(typed, currency) == expected


@given(amounts, currencies)
def test_an_amount_as_a_page_shows_it_reads_back_as_the_same_amount(amount: int, currency: str) -> None:
    assert from_typed(format_number(amount, currency), currency) == amount


@pytest.mark.parametrize(("typed", "currency"), [("5000.001", "UZS"), ("15.5", "JPY"), ("5000.000", "UZS"),
                                                 ("1 000,001", "UZS")])
def test_more_decimals_than_the_currency_has_are_refused_not_rounded(typed: str, currency: str) -> None:
    with pytest.raises(TooPrecise):
        from_typed(typed, currency)


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1.234.56", "10 00", "1e3", "5,000.00.00", "½",
                                   "1,234", "5.000"])
def test_what_is_not_an_amount_or_cannot_be_told_is_refused(typed: str) -> None:
    with pytest.raises(MoneyError) as refused:
        from_typed(typed, "UZS")
    assert not isinstance(refused.value, TooPrecise)  # "1,234": a thousand, or a fraction?
