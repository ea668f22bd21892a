"""Admin UI for recurring billing: subscriptions (and the sandbox clock that moves them),
a customer's whole account, promo codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin import flash
from kassa.admin.views import (
    AmountRefused,
    _amount_refused,
    _back,
    _form_action,
    _login,
    _me,
    _page,
    _refused,
    _rt,
    typed_amount,
)
from kassa.domain.billing import SubscriptionStatus
from kassa.domain.errors import KassaError
from kassa.domain.paging import PageParams
from kassa.services.billing import promo_codes, sandbox_clock, subscriptions
from kassa.services.ops import operations

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(flash.bind_key)])
DAY = 86_400


@router.get("/subscriptions", response_class=HTMLResponse)
async def subscription_list(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    status, tariff_id = (request.query_params.get(k) or None for k in ("status", "tariff"))
    rows, tariffs = await operations.subscriptions_page(
        _rt(request), status and status[:20], tariff_id and tariff_id[:64]
    )
    sandbox = _rt(request).settings.is_sandbox
    clock = await sandbox_clock.read(_rt(request)) if sandbox else None
    return _page(
        request,
        "subscriptions.html",
        me,
        title="Subscriptions",
        nav="Subscriptions",
        rows=rows,
        tariffs=tariffs,
        status=status,
        tariff=tariff_id,
        statuses=[s.value for s in SubscriptionStatus],
        clock=clock,
    )


@router.post("/subscriptions/{subscription_id}/cancel")
async def subscription_cancel(request: Request, subscription_id: str) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    at_end = form.get("when") != "now"
    try:
        await subscriptions.cancel(
            _rt(request), me.principal, subscription_id[:64], at_period_end=at_end
        )
    except KassaError as exc:
        return _refused("/admin/subscriptions", exc)
    return _back("/admin/subscriptions", "Cancelled at the period's end." if at_end else "Ended.")


@router.post("/clock/advance")
async def clock_advance(request: Request) -> Response:
    """SANDBOX only: billing time forward by whole days, and the billing that fell due."""
    me, form = await _form_action(request)
    if me is None:
        return _login()
    days = form.get("days", "")
    if not _rt(request).settings.is_sandbox or not days.isdigit() or not 1 <= int(days) <= 400:
        return _back("/admin/subscriptions", "Give 1 to 400 days (sandbox only).", error=True)
    now, _ = await sandbox_clock.advance(_rt(request), int(days) * DAY)
    return _back(
        "/admin/subscriptions", "Billing time is now {now} UTC.", now=f"{now:%Y-%m-%d %H:%M}"
    )


@router.get("/customers", response_class=HTMLResponse)
async def customer_page(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    who = (request.query_params.get("q") or "").strip()[:200]
    overview = await operations.customer(_rt(request), who) if who else None
    return _page(
        request, "customer.html", me, title="Customers", nav="Customers", q=who, c=overview
    )


@router.get("/promo-codes", response_class=HTMLResponse)
async def promo_code_list(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    rows, _ = await promo_codes.list_codes(_rt(request), me.principal, PageParams(1, 100))
    return _page(request, "promo_codes.html", me, title="Promo codes", nav="Promo codes", rows=rows)


@router.post("/promo-codes")
async def promo_code_create(request: Request) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    back = "/admin/promo-codes"
    kind = "amount" if form.get("kind") == "amount" else "percent"
    value = form.get("value", "").strip()
    code = form.get("code", "").strip().upper()
    limit, expires = form.get("max_redemptions", "").strip(), form.get("expires", "").strip()
    per_customer = form.get("max_per_customer", "").strip()  # empty: as the code's kind has it
    if not (3 <= len(code) <= 64 and code.replace("-", "").replace("_", "").isalnum()):
        return _back(back, "A code is 3 to 64 letters, digits, - or _.", error=True)
    currency, off = form.get("currency", "").strip().upper(), None
    if kind == "amount":  # typed in the currency's major units, as the list shows it
        if not currency:
            return _back(back, "An amount off needs its currency.", error=True)
        try:
            off = typed_amount(value, currency)
        except AmountRefused as refused:
            return _amount_refused(back, refused)
        if off < 1:
            return _back(back, "An amount off is more than zero.", error=True)
    elif not value.isdigit() or not 1 <= int(value) <= 100:
        return _back(back, "Percent off is a whole number from 1 to 100.", error=True)
    if limit and not limit.isdigit():
        return _back(back, "The limit is a whole number.", error=True)
    if per_customer and not (per_customer.isdigit() and int(per_customer) >= 1):
        return _back(back, "The limit per customer is a whole number from 1.", error=True)
    try:
        expires_at = datetime.fromisoformat(f"{expires}T23:59:59+00:00") if expires else None
    except ValueError:
        return _back(back, "The expiry is a date, YYYY-MM-DD.", error=True)
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
        await promo_codes.create(_rt(request), me.principal, fields)
    except KassaError as exc:
        return _refused(back, exc)
    return _back(back, "Promo code {code} created.", code=code)
