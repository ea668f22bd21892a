"""Amounts as the emulated providers write them (Payme's tiyin, YooKassa's "100.00", Stripe's
minor units) and as the sandbox pages show them: integer minor units and exact decimals,
never floats. The emulators' own arithmetic, not kassa's, so a mistake in kassa's
conversions shows up as a provider refusing or a page disagreeing instead of being shared.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 minor units of the currencies the emulated providers take (and shops price in);
# a currency not here is shown as its bare minor units and refused where it is read.
EXPONENTS: dict[str, int] = {
    "UZS": 2, "KZT": 2, "RUB": 2, "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CNY": 2,
    "TRY": 2, "AED": 2, "KGS": 2, "TJS": 2, "AZN": 2, "GEL": 2, "AMD": 2, "BYN": 2,
    "UAH": 2, "PLN": 2, "CZK": 2, "SEK": 2, "NOK": 2, "DKK": 2, "CAD": 2, "AUD": 2,
    "INR": 2, "SGD": 2, "HKD": 2, "MXN": 2, "BRL": 2, "ZAR": 2, "BGN": 2, "MYR": 2,
    "NZD": 2, "RON": 2, "THB": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "XAF": 0, "XOF": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}  # fmt: skip
# written the Russian/Uzbek/Kazakh way ("50 000,00 UZS"), as kassa's admin writes them;
# the rest the English way ("1,234.56 USD")
SPACE_GROUPED = frozenset({"UZS", "RUB", "KZT", "BYN", "KGS", "TJS", "AMD", "GEL", "AZN"})
NBSP = "\u00a0"
_DECIMAL = re.compile(r"^(?P<whole>\d+)(?:\.(?P<frac>\d+))?$")


class NotAnAmount(ValueError):
    """Not an exact, non-negative amount of a currency the emulators know."""


def exponent(currency: str) -> int:
    found = EXPONENTS.get(currency.strip().upper())
    if found is None:
        raise NotAnAmount(f"unknown currency {currency!r}")
    return found


def to_minor(value: str | Decimal, currency: str) -> int:
    """A major-unit amount ("599.00", Decimal("5000")) to minor units, exactly or not at all."""
    exp = exponent(currency)
    if isinstance(value, Decimal):
        try:
            scaled = value.scaleb(exp)
        except InvalidOperation as exc:  # pragma: no cover - scaleb of a finite Decimal
            raise NotAnAmount(f"{value} is not a number") from exc
        if not scaled.is_finite() or scaled < 0 or scaled != scaled.to_integral_value():
            raise NotAnAmount(f"{value} is not an exact amount of {currency}")
        return int(scaled)
    match = _DECIMAL.match(value.strip())
    frac = (match.group("frac") or "").rstrip("0") if match else ""
    if match is None or len(frac) > exp:
        raise NotAnAmount(f"{value!r} is not an exact amount of {currency}")
    return int(match.group("whole") + frac.ljust(exp, "0"))


def to_major(amount: int, currency: str) -> str:
    """Minor units to the major-unit string providers write: (59900, "RUB") -> "599.00"."""
    exp = exponent(currency)
    digits = str(abs(amount)).rjust(exp + 1, "0")
    sign = "-" if amount < 0 else ""
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}" if exp else f"{sign}{digits}"


def shown(amount: int, currency: str) -> str:
    """An amount on the sandbox pages, grouped and pointed as its currency is written, with
    the code beside it ("50 000,00 UZS", "12.50 USD"); an unknown currency's bare minor
    units."""
    code = currency.upper()
    try:
        whole, _, frac = to_major(abs(amount), code).partition(".")
    except NotAnAmount:
        return f"{amount} {code}"
    grouped = f"{int(whole):,}"
    if code in SPACE_GROUPED:
        body = grouped.replace(",", NBSP) + ("," + frac if frac else "")
    else:
        body = grouped + ("." + frac if frac else "")
    return f"{'-' if amount < 0 else ''}{body} {code}"
