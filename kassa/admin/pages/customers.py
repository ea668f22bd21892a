"""A customer's whole account: subscriptions, payments, cards, invoices, wallet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import render, runtime, signed_in, to_login
from kassa.services.ops import operations

router = APIRouter()


@router.get("/customers", response_class=HTMLResponse)
async def customer_page(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    who = (request.query_params.get("q") or "").strip()[:200]
    overview = await operations.customer(runtime(request), who) if who else None
    return render(
        request, "customer.html", me, title="Customers", nav="Customers", q=who, c=overview
    )
