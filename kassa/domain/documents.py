"""Issued documents (invoices, credit notes): what one says is fixed when it is issued (who
sold, to whom, what, for how much), so a later edit of a seller or a tariff never changes a
document already handed to an accountant. Each seller numbers its documents in its own
gap-free series a year, the year and the dates being the seller's, in its time zone."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kassa.domain.fiscal import Line, as_items, refunded_part

DEFAULT_TIME_ZONE = "UTC"  # kassa dated every document in UTC before sellers had a zone
INVOICE, CREDIT_NOTE = "INV", "CN"
# A seller's code in its numbers (INV-ACME-2026-000042): a letter first, so it never reads
# as a year; the default seller may have none (INV-2026-000042, the numbers kassa gave
# before series were per seller).
SERIES = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
SERIES_MAX = 10
TIME_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")
# What a document keeps of its seller, beside the seller's key.
SELLER_FIELDS = (
    "legal_name", "address", "tax_id", "tax_id_kind", "bank_details", "email", "phone",
    "series", "time_zone",
)  # fmt: skip


def number(kind: str, series: str | None, year: int, n: int) -> str:
    """`INV-2026-000042`, or `INV-ACME-2026-000042` for a seller with a series."""
    return "-".join(part for part in (kind, series, str(year), f"{n:06d}") if part)


def zone(name: str) -> tzinfo:
    """The seller's time zone (an IANA name, checked when it was set)."""
    return UTC if name == DEFAULT_TIME_ZONE else ZoneInfo(name)


def is_time_zone(name: str) -> bool:
    """An IANA time zone name this machine knows (Asia/Tashkent, Europe/Moscow, UTC)."""
    if not TIME_ZONE_NAME.match(name) or len(name) > 64:
        return False
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_year(at: datetime, time_zone: str) -> int:
    """The year a document issued at `at` belongs to, in its seller's time zone."""
    return at.astimezone(zone(time_zone)).year


def series_for(key: str, taken: Collection[str]) -> str:
    """A series for a seller that was given none: the letters and digits of its key (a
    shop's id), a letter first, not one another seller has."""
    letters = re.sub(r"[^A-Z0-9]", "", key.upper())
    if not letters or not letters[0].isalpha():
        letters = "S" + letters
    base = letters[:SERIES_MAX]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = str(n)
        candidate = base[: SERIES_MAX - len(suffix)] + suffix
    return candidate


def totals(lines: list[Line]) -> dict[str, int]:
    """The sums a document prints under its lines (minor units)."""
    return {
        "subtotal": sum(line.gross for line in lines),
        "discount": sum(line.discount for line in lines),
        "total": sum(line.total for line in lines),
        "vat": sum(line.vat_amount() for line in lines),
    }


def buyer_of(
    user_id: str, organization_id: str | None, email: str | None, phone: str | None
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "organization_id": organization_id,
        "email": email,
        "phone": phone,
    }


def snapshot(
    seller: dict[str, Any] | None,
    buyer: dict[str, Any],
    lines: list[Line],
    payment: dict[str, Any],
) -> dict[str, Any]:
    """What a document is issued with (JSON). `seller` may be left out when the database
    adds it in the statement that takes the number (PostgreSQL)."""
    found: dict[str, Any] = {
        "buyer": buyer,
        "lines": as_items(lines),
        "totals": totals(lines),
        "payment": payment,
    }
    if seller is not None:
        found["seller"] = seller
    return found


def seller_of(key: str, fields: dict[str, Any] | None) -> dict[str, Any]:
    """A seller as a document keeps it; `fields` None: no seller was set (the document
    prints INVOICE_SELLER's name)."""
    fields = fields or {}
    found = {"key": key, **{name: fields.get(name) for name in SELLER_FIELDS}}
    found["time_zone"] = found["time_zone"] or DEFAULT_TIME_ZONE
    return found


def credit_lines(lines: list[Line], amount: int) -> list[Line]:
    """A credit note's lines: the refund spread over the invoice's lines."""
    return [
        Line(line.title, 1, part, 0, line.fiscal)
        for line, part in refunded_part(lines, amount)
        if part
    ]
