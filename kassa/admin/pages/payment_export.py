"""The filtered payments as CSV, for a spreadsheet."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kassa.admin.common import runtime, signed_in, to_login
from kassa.admin.pages.payments import search
from kassa.domain.money import MoneyError, to_decimal_string
from kassa.services.ops import operations

CSV_COLUMNS = (
    "id", "created_at", "paid_at", "status", "provider", "shop_id", "user_id",
    "organization_id", "purpose", "amount", "currency", "refunded_amount",
    "discount_amount", "promo_code", "provider_payment_id", "failure_code",
)  # fmt: skip
# the amounts again in major units ("5000.00"), beside the minor units the API gives
CSV_MAJOR = ("amount", "refunded_amount", "discount_amount")
router = APIRouter()


@router.get("/payments.csv")
async def payment_export(request: Request) -> Response:
    """The filtered payments as CSV: `amount` and the other amounts in minor units (as the
    API gives them), and each again in major units (`amount_major`: "5000.00")."""
    if await signed_in(request) is None:
        return to_login()
    wanted, _ = search(request)
    rows = await operations.export_payments(runtime(request), wanted)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *(f"{c}_major" for c in CSV_MAJOR)])
    for p in rows:
        writer.writerow(
            ["" if getattr(p, c) is None else getattr(p, c) for c in CSV_COLUMNS]
            + [_major(getattr(p, c), p.currency) for c in CSV_MAJOR]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
    )


def _major(amount: int | None, currency: str) -> str:
    """Minor units as a plain major-unit number for a spreadsheet ("5000.00")."""
    if amount is None:
        return ""
    try:
        return to_decimal_string(amount, currency)
    except MoneyError:
        return ""
