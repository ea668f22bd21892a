"""The dashboard's revenue as charts an operator can read: one chart per currency (UZS and
USD on one axis would draw the dollars flat at zero), each axis mark and each day's amount
written by the admin's money formatter, so a chart says `200 000` where the cards say
`200 000,00 UZS`. Amounts stay integer minor units: the chart is drawn in them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kassa.domain.money import MoneyError, exponent, format_number

MARKS = 4  # about as many steps up the axis


@dataclass(frozen=True, slots=True)
class MoneyChart:
    currency: str
    amounts: list[int]  # a day each, the range's days in order, minor units
    labels: list[str]  # each day's amount as the admin prints it
    ticks: list[int]  # the axis's marks, minor units
    tick_labels: list[str]


def revenue_charts(days: list[str], rows: list[dict[str, Any]]) -> list[MoneyChart]:
    """A chart for each currency with revenue in the range (`rows`: day, currency, amount),
    a day without any drawn as 0."""
    by_currency: dict[str, dict[str, int]] = {}
    for row in rows:
        per_day = by_currency.setdefault(str(row["currency"]), {})
        per_day[str(row["day"])] = per_day.get(str(row["day"]), 0) + int(row["amount"])
    charts = []
    for currency, per_day in sorted(by_currency.items()):
        try:
            exponent(currency)
        except MoneyError:
            continue  # not a currency kassa writes: nothing to draw it with
        amounts = [per_day.get(day, 0) for day in days]
        marks = ticks(min(amounts, default=0), max(amounts, default=0), currency)
        charts.append(
            MoneyChart(
                currency=currency,
                amounts=amounts,
                labels=[format_number(a, currency) for a in amounts],
                ticks=marks,
                tick_labels=[format_number(t, currency, trim=True) for t in marks],
            )
        )
    return charts


def ticks(low: int, high: int, currency: str) -> list[int]:
    """Round marks from at or below `low` (and zero) to at or above `high`, a step of 1, 2
    or 5 times a power of ten apart (of the minor unit; at least one whole unit's range)."""
    low, high = min(low, 0), max(high, 0)
    span = max(high - low, 10 ** exponent(currency))
    step = next(s for s in _steps() if s * MARKS >= span)
    first = (low // step) * step
    last = max(-(-high // step) * step, first + step)  # a flat line still has an axis
    return list(range(first, last + 1, step))


def _steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, 100, …"""
    power = 1
    while True:
        yield from (power, 2 * power, 5 * power)
        power *= 10
