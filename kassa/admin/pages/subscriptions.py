"""Subscriptions: the list by status and tariff, cancelling one, and (sandbox only) the
clock that moves billing time forward."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import back_to, form_action, refusal, render, runtime, signed_in, to_login
from kassa.domain.billing import SubscriptionStatus
from kassa.domain.errors import KassaError
from kassa.services.billing import sandbox_clock, subscriptions
from kassa.services.ops import operations

DAY = 86_400
router = APIRouter()


@router.get("/subscriptions", response_class=HTMLResponse)
async def subscription_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    status, tariff_id = (request.query_params.get(k) or None for k in ("status", "tariff"))
    rows, tariffs = await operations.subscriptions_page(
        runtime(request), status and status[:20], tariff_id and tariff_id[:64]
    )
    sandbox = runtime(request).settings.is_sandbox
    clock = await sandbox_clock.read(runtime(request)) if sandbox else None
    return render(
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
    me, form = await form_action(request)
    if me is None:
        return to_login()
    at_end = form.get("when") != "now"
    try:
        await subscriptions.cancel(
            runtime(request), me.principal, subscription_id[:64], at_period_end=at_end
        )
    except KassaError as exc:
        return refusal("/admin/subscriptions", exc)
    return back_to("/admin/subscriptions", "Cancelled at the period's end." if at_end else "Ended.")


@router.post("/clock/advance")
async def clock_advance(request: Request) -> Response:
    """SANDBOX only: billing time forward by whole days, and the billing that fell due."""
    me, form = await form_action(request)
    if me is None:
        return to_login()
    days = form.get("days", "")
    if not runtime(request).settings.is_sandbox or not days.isdigit() or not 1 <= int(days) <= 400:
        return back_to("/admin/subscriptions", "Give 1 to 400 days (sandbox only).", error=True)
    now, _ = await sandbox_clock.advance(runtime(request), int(days) * DAY)
    return back_to(
        "/admin/subscriptions", "Billing time is now {now} UTC.", now=f"{now:%Y-%m-%d %H:%M}"
    )
