"""What the admin's forms and filters take as typed: amounts in their currency's major
units ("5 000,00" UZS, as the pages show them; the API and the database keep minor units)
and days as YYYY-MM-DD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.responses import RedirectResponse

from kassa.admin.common import back_to
from kassa.domain.money import (
    MoneyError,
    TooPrecise,
    exponent,
    format_number,
    from_typed,
    normalise_currency,
)

AMOUNT_LIKE = "Type the amount in {currency}, like {example}."
TOO_PRECISE = "{currency} has {decimals} decimal places: {typed} has more."
NO_CURRENCY = "{currency} is not a currency kassa knows."


class AmountRefused(ValueError):
    """A typed amount that is not an exact amount of its currency."""

    def __init__(self, typed: str, currency: str, *, too_precise: bool = False) -> None:
        super().__init__(typed)
        self.typed, self.currency, self.too_precise = typed, currency, too_precise


def typed_amount(typed: str, currency: str) -> int:
    """A form's amount in minor units, converted exactly from the major units typed."""
    try:
        return from_typed(typed, currency)
    except TooPrecise as exc:
        raise AmountRefused(typed, currency, too_precise=True) from exc
    except MoneyError as exc:
        raise AmountRefused(typed, currency) from exc


def amount_refused(path: str, refused: AmountRefused) -> RedirectResponse:
    """Back with what was wrong with a typed amount, and an example in its currency."""
    try:
        currency = normalise_currency(refused.currency)
    except MoneyError:
        return back_to(path, NO_CURRENCY, error=True, currency=refused.currency.strip()[:8] or "?")
    example = format_number(5000 * 10 ** exponent(currency), currency)
    why = TOO_PRECISE if refused.too_precise else AMOUNT_LIKE
    return back_to(
        path,
        why,
        error=True,
        currency=currency,
        decimals=exponent(currency),
        typed=refused.typed.strip()[:40],
        example=example,
    )


def day(value: str, shift: int = 0) -> datetime | None:
    """A YYYY-MM-DD from a form as the start of that day (UTC), `shift` days on."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) + timedelta(days=shift)
    except ValueError:
        return None
