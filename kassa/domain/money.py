"""Money as integer minor units of an ISO 4217 currency, converted exactly at the edges.

Providers speak decimal strings ("599.00") or whole tiyin; kassa keeps one integer and
the currency's exponent, so no value ever passes through a float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = 2**53 - 1

# ISO 4217 minor-unit exponents for the currencies kassa's providers settle in, plus the
# common ones a shop may price in. Anything absent is rejected rather than guessed.
CURRENCY_EXPONENTS: dict[str, int] = {
    "UZS": 2, "KZT": 2, "RUB": 2, "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CNY": 2,
    "TRY": 2, "AED": 2, "KGS": 2, "TJS": 2, "AZN": 2, "GEL": 2, "AMD": 2, "BYN": 2,
    "UAH": 2, "PLN": 2, "CZK": 2, "SEK": 2, "NOK": 2, "DKK": 2, "CAD": 2, "AUD": 2,
    "INR": 2, "SGD": 2, "HKD": 2, "MXN": 2, "BRL": 2, "ZAR": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "XAF": 0, "XOF": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}  # fmt: skip

_DECIMAL_RE = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d+))?$")


class MoneyError(ValueError):
    """A value that is not an exact amount of a known currency."""


def _scale(exp: int) -> int:
    return int(Decimal(10) ** exp)


def normalise_currency(code: str) -> str:
    upper = code.strip().upper()
    if upper not in CURRENCY_EXPONENTS:
        raise MoneyError(f"unknown or unsupported currency {code!r}")
    return upper


def exponent(currency: str) -> int:
    return int(CURRENCY_EXPONENTS[normalise_currency(currency)])


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("amount must be an integer number of minor units")
    if not 1 <= amount <= MAX_AMOUNT:
        raise MoneyError(f"amount must be between 1 and {MAX_AMOUNT}")
    return amount


def to_decimal_string(amount: int, currency: str) -> str:
    """Minor units to the provider's major-unit string: (59900, 'RUB') -> '599.00'."""
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount))
    if exp == 0:
        return sign + digits
    digits = digits.rjust(exp + 1, "0")
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}"


def from_decimal_string(value: str | Decimal | int, currency: str) -> int:
    """A provider's major-unit amount to minor units, refusing anything inexact.

    '599.00' -> 59900 for RUB; '599.001' is an error, never a rounding.
    """
    exp = exponent(currency)
    if isinstance(value, bool):
        raise MoneyError("amount is not a number")
    if isinstance(value, int):
        return value * _scale(exp)
    if isinstance(value, Decimal):
        try:
            scaled = value.scaleb(exp)
        except InvalidOperation as exc:  # pragma: no cover - Decimal.scaleb rarely fails
            raise MoneyError("amount is not a number") from exc
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            raise MoneyError(f"{value} has more precision than {currency} allows")
        return int(scaled)
    match = _DECIMAL_RE.match(value.strip())
    if match is None:
        raise MoneyError(f"{value!r} is not a non-negative decimal amount")
    frac = (match.group("frac") or "").rstrip("0")
    if len(frac) > exp:
        raise MoneyError(f"{value!r} has more precision than {currency} allows")
    return int(match.group("int")) * _scale(exp) + int(frac.ljust(exp, "0") or "0")


class TooPrecise(MoneyError):
    """More decimal places than the currency has: refused, never rounded."""


# What people type: "5000", "5 000,00", "5000.5", "1,234.56", "1.234,56": groups of three
# split by a space, an apostrophe or the mark the decimal point is not
_TYPED_RE = re.compile(
    r"^(?P<whole>\d+|\d{1,3}(?P<group>[ ',.])\d{3}(?:(?P=group)\d{3})*)"
    r"(?:(?P<point>[.,])(?P<frac>\d+))?$"
)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def from_typed(text: str, currency: str) -> int:
    """An amount as a person types it, in the currency's major units, to minor units:
    "5000" and "5 000,00" UZS are 500000, "1,234.56" USD is 123456. More decimal places than
    the currency has is `TooPrecise`. "1,234" is a thousand in a currency without decimals
    and a fraction in one with three, as their pages show them ("1,000" JPY, "1.234" KWD);
    with one or two decimals it could be either, and is refused."""
    exp = exponent(currency)
    match = _TYPED_RE.match(text.strip().translate(_SPACES))
    if match is None or (match.group("group") or "") == match.group("point"):
        raise MoneyError(f"{text!r} is not an amount")
    whole, frac = re.sub(r"\D", "", match.group("whole")), match.group("frac") or ""
    if match.group("group") is None and len(frac) == 3 and len(whole) <= 3 and exp < 3:
        if exp != 0:
            raise MoneyError(f"{text!r} is a thousand or a fraction: it cannot be told")
        whole, frac = whole + frac, ""
    if len(frac) > exp:
        raise TooPrecise(f"{text!r} has more decimal places than {currency} has ({exp})")
    return from_decimal_string(f"{whole}.{frac}" if frac else whole, currency)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units of one ISO 4217 currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError("amount must be an integer number of minor units")
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    def to_decimal_string(self) -> str:
        return to_decimal_string(self.amount, self.currency)

    @classmethod
    def from_decimal_string(cls, value: str | Decimal, currency: str) -> Money:
        return cls(from_decimal_string(value, currency), currency)

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"


# Currencies printed the Russian/Uzbek/Kazakh way: groups of three split by a no-break
# space and a decimal comma ("50 000,00 UZS"); the rest the English way ("1,234.56 USD").
SPACE_GROUPED = frozenset({"UZS", "RUB", "KZT", "BYN", "KGS", "TJS", "AMD", "GEL", "AZN"})
NBSP = "\u00a0"


def format_amount(amount: int, currency: str) -> str:
    """An amount for people to read, to its currency's minor unit, with the currency code."""
    return f"{format_number(amount, currency)} {currency}"


def shown(amount: int | None, currency: str | None) -> str:
    """For pages: the number as its currency is written (the code printed beside it), ""
    for nothing, the bare minor units for a currency kassa does not know."""
    if amount is None or not currency:
        return ""
    try:
        return format_number(amount, currency)
    except MoneyError:
        return str(amount)


def format_number(amount: int, currency: str, *, trim: bool = False) -> str:
    """The amount grouped and pointed as its currency is written, without the code; `trim`
    leaves out the zero decimals of a whole amount (a chart's axis: 200 000)."""
    text = to_decimal_string(abs(amount), currency)
    whole, _, frac = text.partition(".")
    if trim and not frac.strip("0"):
        frac = ""
    grouped = f"{int(whole):,}"
    sign = "-" if amount < 0 else ""
    if currency in SPACE_GROUPED:
        body = grouped.replace(",", NBSP) + ("," + frac if frac else "")
    else:
        body = grouped + ("." + frac if frac else "")
    return f"{sign}{body}"
