"""Stripe's smallest chargeable amounts, in minor units of each currency.

Source: "Minimum and maximum charge amounts", https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
(the equivalent of USD 0.50; Stripe refuses less with `amount_too_small`). Currencies not
listed are left to Stripe to judge. The upper bound is Stripe's eight digits of minor units.
"""

from __future__ import annotations

MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50,
    "CZK": 1500, "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "INR": 50, "JPY": 50,
    "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "RON": 200, "SEK": 300,
    "SGD": 50, "THB": 1000,
}  # fmt: skip
MAXIMUM_CHARGE = 99_999_999


def amount_problem(amount: int, currency: str) -> str | None:
    minimum = MINIMUM_CHARGE.get(currency.upper())
    if minimum is not None and amount < minimum:
        return f"Stripe charges at least {minimum} minor units of {currency.upper()}"
    if amount > MAXIMUM_CHARGE:
        return f"Stripe charges at most {MAXIMUM_CHARGE} minor units"
    return None
