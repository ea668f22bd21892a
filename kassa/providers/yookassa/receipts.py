"""54-FZ receipts on YooKassa payments and refunds (`receipt` in POST /payments and POST
/refunds, https://yookassa.ru/developers/api#create_payment): the customer's e-mail or phone,
and the items, each with `description` (up to 128 characters), `quantity`, `amount` (the
price of one, after discounts), `vat_code`, `payment_subject` and `payment_mode`
(https://yookassa.ru/developers/54fz/parameters-values). A shop that sends receipts must
send them with every payment, or YooKassa refuses it ("Receipt is missing or illegal").
"""

from __future__ import annotations

from typing import Any

from kassa.domain.fiscal import Line, refunded_part
from kassa.domain.money import to_decimal_string

ON = frozenset({"on", "true", "1", "yes"})


def enabled(flag: str | None) -> bool:
    return (flag or "").strip().lower() in ON


def missing_fiscal(lines: tuple[Line, ...]) -> bool:
    return not lines or not all("vat_code" in line.fiscal for line in lines)


def _items(line: Line, total: int, currency: str) -> list[dict[str, Any]]:
    """`total` of the line as receipt items: one when it divides by the quantity, else two
    (the prices of one differ by a kopeck) so the receipt adds up to the kopeck."""
    base, extra = divmod(total, line.quantity)
    parts = [(line.quantity - extra, base), (extra, base + 1)] if extra else [(line.quantity, base)]
    return [
        {
            "description": line.title[:128],
            "quantity": quantity,
            "amount": {"value": to_decimal_string(price, currency), "currency": currency},
            "vat_code": int(line.fiscal["vat_code"]),
            "payment_subject": line.fiscal["payment_subject"],
            "payment_mode": line.fiscal["payment_mode"],
        }
        for quantity, price in parts
        if quantity
    ]


def _customer(email: str | None, phone: str | None) -> dict[str, str]:
    if email:
        return {"email": email}
    return {"phone": "".join(c for c in phone or "" if c.isdigit())}


def for_payment(
    lines: tuple[Line, ...], currency: str, email: str | None, phone: str | None
) -> dict[str, Any]:
    items = [item for line in lines for item in _items(line, line.total, currency)]
    return {"customer": _customer(email, phone), "items": items}


def for_refund(
    lines: tuple[Line, ...], amount: int, currency: str, email: str | None, phone: str | None
) -> dict[str, Any]:
    """The refunded lines: the refund spread over the lines in proportion to each."""
    items = [
        item
        for line, part in refunded_part(list(lines), amount)
        if part
        for item in _items(line, part, currency)
    ]
    return {"customer": _customer(email, phone), "items": items}
