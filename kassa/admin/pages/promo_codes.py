"""Promo codes: the list, and a new code (percent or an amount off, limits, expiry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import back_to, form_action, refusal, render, runtime, signed_in, to_login
from kassa.admin.forms import AmountRefused, amount_refused, typed_amount
from kassa.domain.errors import KassaError
from kassa.domain.paging import PageParams
from kassa.services.billing import promo_codes

router = APIRouter()


@router.get("/promo-codes", response_class=HTMLResponse)
async def promo_code_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    rows, _ = await promo_codes.list_codes(runtime(request), me.principal, PageParams(1, 100))
    return render(
        request, "promo_codes.html", me, title="Promo codes", nav="Promo codes", rows=rows
    )


@router.post("/promo-codes")
async def promo_code_create(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    back = "/admin/promo-codes"
    kind = "amount" if form.get("kind") == "amount" else "percent"
    value = form.get("value", "").strip()
    code = form.get("code", "").strip().upper()
    limit, expires = form.get("max_redemptions", "").strip(), form.get("expires", "").strip()
    per_customer = form.get("max_per_customer", "").strip()  # empty: as the code's kind has it
    if not (3 <= len(code) <= 64 and code.replace("-", "").replace("_", "").isalnum()):
        return back_to(back, "A code is 3 to 64 letters, digits, - or _.", error=True)
    currency, off = form.get("currency", "").strip().upper(), None
    if kind == "amount":  # typed in the currency's major units, as the list shows it
        if not currency:
            return back_to(back, "An amount off needs its currency.", error=True)
        try:
            off = typed_amount(value, currency)
        except AmountRefused as refused:
            return amount_refused(back, refused)
        if off < 1:
            return back_to(back, "An amount off is more than zero.", error=True)
    elif not value.isdigit() or not 1 <= int(value) <= 100:
        return back_to(back, "Percent off is a whole number from 1 to 100.", error=True)
    if limit and not limit.isdigit():
        return back_to(back, "The limit is a whole number.", error=True)
    if per_customer and not (per_customer.isdigit() and int(per_customer) >= 1):
        return back_to(back, "The limit per customer is a whole number from 1.", error=True)
    try:
        expires_at = datetime.fromisoformat(f"{expires}T23:59:59+00:00") if expires else None
    except ValueError:
        return back_to(back, "The expiry is a date, YYYY-MM-DD.", error=True)
    fields: dict[str, Any] = {
        "code": code,
        "percent_off": int(value) if kind == "percent" else None,
        "amount_off": off,
        "currency": currency if kind == "amount" else None,
        "tariff_ids": [],
        "max_redemptions": int(limit) if limit else None,
        "expires_at": expires_at,
        "applies_to": "every_period" if form.get("every") else "first_period",
        "is_active": True,
    }
    if per_customer:
        fields["max_per_customer"] = int(per_customer)
    try:
        await promo_codes.create(runtime(request), me.principal, fields)
    except KassaError as exc:
        return refusal(back, exc)
    return back_to(back, "Promo code {code} created.", code=code)
