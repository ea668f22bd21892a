"""Fiscal lines: what a receipt says was sold, as the tax rules of each country want it.

Uzbekistan (Payme's `detail`, payme-details.md § CheckPerformTransaction): each item has its
IKPU (MXIK) code of 17 digits, a package code and its VAT percent, 12 since 1 January 2023
(Tax Code as amended by Law ZRU-812; PwC tax summaries) or 0. Russia (54-FZ, YooKassa's
`receipt`, https://yookassa.ru/developers/54fz/parameters-values): `vat_code` 1..12 (11 and
12 are the 22% rates from 1 January 2026), `payment_subject` and `payment_mode` from their
lists. Amounts are minor units; a discount is spread over the lines without losing a tiyin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

IKPU = re.compile(r"^\d{17}$")
PACKAGE_CODE = re.compile(r"^\d{1,20}$")
UZ_VAT_PERCENTS = frozenset({0, 12})
# vat_code → the rate included in the price, percent (None: no VAT)
RU_VAT_RATES: dict[int, int | None] = {
    1: None, 2: 0, 3: 10, 4: 20, 5: 10, 6: 20, 7: 5, 8: 7, 9: 5, 10: 7, 11: 22, 12: 22,
}  # fmt: skip
RU_PAYMENT_SUBJECTS = frozenset(
    {
        "commodity", "excise", "job", "service", "gambling_bet", "gambling_prize", "lottery",
        "lottery_prize", "intellectual_activity", "payment", "agent_commission",
        "property_right", "non_operating_gain", "insurance_premium", "sales_tax",
        "resort_fee", "composite", "another",
    }
)  # fmt: skip
RU_PAYMENT_MODES = frozenset(
    {
        "full_prepayment", "partial_prepayment", "advance", "full_payment", "partial_payment",
        "credit", "credit_payment",
    }
)  # fmt: skip


class FiscalError(ValueError):
    pass


def check_fiscal(data: dict[str, Any]) -> dict[str, Any]:
    """A tariff's or an item's `fiscal`: the Uzbek keys, the Russian keys, or both, each set
    whole and valid. Returns it with only those keys."""
    uz = {"ikpu_code", "package_code", "vat_percent"}
    ru = {"vat_code", "payment_subject", "payment_mode"}
    given = set(data)
    unknown = given - uz - ru - {"units"}
    if unknown:
        raise FiscalError(f"unknown fiscal field {sorted(unknown)[0]!r}")
    if not given & (uz | ru):
        raise FiscalError("give the Uzbek fields (ikpu_code, package_code, vat_percent) or the "
                          "Russian ones (vat_code, payment_subject, payment_mode)")  # fmt: skip
    for part in (uz, ru):
        if given & part and not part <= given:
            raise FiscalError(f"fiscal needs {', '.join(sorted(part - given))} as well")
    if uz <= given:
        if not IKPU.match(str(data["ikpu_code"])):
            raise FiscalError("ikpu_code is the 17 digits of the product's IKPU (MXIK) code")
        if not PACKAGE_CODE.match(str(data["package_code"])):
            raise FiscalError("package_code is the digits of its package code")
        if data["vat_percent"] not in UZ_VAT_PERCENTS or isinstance(data["vat_percent"], bool):
            raise FiscalError("vat_percent is 12 or 0 in Uzbekistan")
    if ru <= given:
        if data["vat_code"] not in RU_VAT_RATES or isinstance(data["vat_code"], bool):
            raise FiscalError("vat_code is 1 to 12 (54-FZ)")
        if data["payment_subject"] not in RU_PAYMENT_SUBJECTS:
            raise FiscalError("payment_subject is not one of 54-FZ's")
        if data["payment_mode"] not in RU_PAYMENT_MODES:
            raise FiscalError("payment_mode is not one of 54-FZ's")
    units = data.get("units")
    if units is not None and (isinstance(units, bool) or not isinstance(units, int) or units < 1):
        raise FiscalError("units is a positive whole number (Payme's unit code)")
    return dict(data)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of what was sold: `quantity` times `unit_price`, less `discount` (minor units,
    the whole line's), with its fiscal data."""

    title: str
    quantity: int
    unit_price: int
    discount: int = 0
    fiscal: dict[str, Any] = field(default_factory=dict)

    @property
    def gross(self) -> int:
        return self.quantity * self.unit_price

    @property
    def total(self) -> int:
        return self.gross - self.discount

    def vat_percent(self) -> int | None:
        """The VAT rate included in the price: Uzbek `vat_percent`, else from `vat_code`."""
        if "vat_percent" in self.fiscal:
            return int(self.fiscal["vat_percent"])
        if "vat_code" in self.fiscal:
            return RU_VAT_RATES[int(self.fiscal["vat_code"])]
        return None

    def vat_amount(self) -> int:
        """VAT inside the line's total, rounded half up to the minor unit."""
        rate = self.vat_percent()
        if not rate:
            return 0
        return (self.total * rate * 2 + (100 + rate)) // ((100 + rate) * 2)


def spread(amount: int, weights: list[int]) -> list[int]:
    """`amount` split over lines in proportion to `weights`, largest remainders first, so
    the parts sum to `amount` exactly."""
    total = sum(weights)
    if total <= 0 or amount == 0:
        return [0 for _ in weights]
    parts = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def with_discount(lines: list[Line], discount: int) -> list[Line]:
    """The lines with a discount (a promo code's) spread over them in proportion to each
    line's price."""
    cuts = spread(discount, [line.gross for line in lines])
    return [
        Line(line.title, line.quantity, line.unit_price, line.discount + cut, line.fiscal)
        for line, cut in zip(lines, cuts, strict=True)
    ]


def refunded_part(lines: list[Line], refund: int) -> list[tuple[Line, int]]:
    """A refund's share of each line (its total, in proportion), summing to the refund."""
    return list(zip(lines, spread(refund, [line.total for line in lines]), strict=True))


def as_items(lines: list[Line]) -> list[dict[str, Any]]:
    """Lines as a payment keeps them (JSON)."""
    return [
        {
            "title": line.title,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "fiscal": dict(line.fiscal),
        }
        for line in lines
    ]


def lines_of(items: list[dict[str, Any]] | None, amount: int, title: str | None) -> list[Line]:
    """A payment's lines: those it keeps, else one line of its whole amount."""
    if not items:
        return [Line(title or "Payment", 1, amount)]
    return [
        Line(
            str(item["title"]),
            int(item["quantity"]),
            int(item["unit_price"]),
            int(item.get("discount") or 0),
            dict(item.get("fiscal") or {}),
        )
        for item in items
    ]


def tariff_lines(name: str, price: int, discount: int, fiscal: dict[str, Any] | None) -> list[Line]:
    """A tariff payment's one line: the tariff at its price, less the promo code's discount."""
    return with_discount([Line(name, 1, price, 0, dict(fiscal or {}))], discount)
