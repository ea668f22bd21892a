"""The emulators' own money arithmetic: exact both ways, and the pages' amounts written as
kassa's admin writes them (an emulator that used kassa's conversions would share their
mistakes instead of showing them)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kassa.domain.money import from_decimal_string, shown, to_decimal_string
from kassa.sandbox.amounts import NotAnAmount, to_major, to_minor
from kassa.sandbox.amounts import shown as sandbox_shown


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("599.00", "RUB", 59900), ("599", "rub", 59900), (" 12.3 ", "USD", 1230), ("50", "JPY", 50),
    ("1.234", "KWD", 1234), ("0.5", "UZS", 50),
])
def test_a_providers_decimal_string_is_read_exactly(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor == from_decimal_string(text, currency)
    assert to_minor(Decimal(text.strip()), currency) == minor


@pytest.mark.parametrize(("value", "currency"), [
    ("1.001", "RUB"), ("0.5", "JPY"), ("-1", "USD"), ("1e3", "USD"), ("", "USD"), ("12", "XYZ"),
    (Decimal("1.001"), "KZT"), (Decimal("-5"), "KZT"),
])
def test_anything_inexact_or_unknown_is_refused_never_rounded(value: str | Decimal, currency: str) -> None:
    with pytest.raises(NotAnAmount):
        to_minor(value, currency)


@pytest.mark.parametrize("currency", ["UZS", "KZT", "RUB", "USD", "EUR", "JPY", "KWD"])
@pytest.mark.parametrize("amount", [0, 1, 99, 100, 12345, 5_000_000, 123_456_789, -1234])
def test_minor_units_are_written_and_shown_as_kassa_writes_them(amount: int, currency: str) -> None:
    assert to_major(amount, currency) == to_decimal_string(amount, currency)
    assert sandbox_shown(amount, currency.lower()) == f"{shown(amount, currency)} {currency}"


def test_a_currency_the_emulators_do_not_know_is_shown_as_its_minor_units() -> None:
    assert sandbox_shown(1234, "xyz") == "1234 XYZ"
    assert sandbox_shown(5_000_000, "UZS") == "50\u00a0000,00 UZS"
    assert sandbox_shown(123_456, "USD") == "1,234.56 USD"
