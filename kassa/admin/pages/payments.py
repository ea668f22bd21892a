"""The payments: the filtered list, one payment's page with its trail, and its status for
the page to poll while the payment moves."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kassa.admin import i18n
from kassa.admin.common import PROVIDERS, render, runtime, signed_in, speak, to_login
from kassa.admin.forms import day
from kassa.domain.paging import PageParams
from kassa.domain.states import PaymentStatus
from kassa.providers import plugins
from kassa.services.ops import operations

PAGE_SIZE = 50
router = APIRouter()


def search(request: Request) -> tuple[operations.PaymentSearch, dict[str, str]]:
    """The filters from the query string; dates as YYYY-MM-DD (the end day included)."""
    given = {
        k: (request.query_params.get(k) or "").strip()[:100]
        for k in ("q", "status", "provider", "shop", "from", "to")
    }

    found = operations.PaymentSearch(
        text=given["q"] or None,
        status=given["status"] or None,
        provider=given["provider"] or None,
        shop_id=given["shop"] or None,
        start=day(given["from"]),
        end=day(given["to"], 1),
    )
    return found, given


@router.get("/payments", response_class=HTMLResponse)
async def payment_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    wanted, given = search(request)
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    rows, total = await operations.search_payments(
        runtime(request), wanted, PageParams(page=page, page_size=PAGE_SIZE)
    )
    kept = urlencode({k: v for k, v in given.items() if v})
    return render(
        request,
        "payments.html",
        me,
        title="Payments",
        nav="Payments",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        query=kept,
        f=given,
        statuses=[s.value for s in PaymentStatus],
        providers=PROVIDERS,
    )


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
async def payment_detail(request: Request, payment_id: str) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    trail = await operations.payment_trail(runtime(request), payment_id[:64])
    if trail is None:
        return render(
            request,
            "payments.html",
            me,
            http_status=404,
            title="Not found",
            nav="Payments",
            rows=[],
            total=0,
            page=1,
            pages=1,
            query="",
            f={"q": payment_id[:64]},
            statuses=[],
            providers=PROVIDERS,
        )
    payment, events, refund_rows = trail.payment, trail.events, trail.refunds
    return render(
        request,
        "payment.html",
        me,
        title="Payment",
        nav="Payments",
        p=payment,
        events=events,
        refunds=refund_rows,
        fiscal=trail.fiscal,
        invoice=trail.invoice,
        tariff=trail.tariff,
        credit_notes=trail.credit_notes,
        cabinet=cabinet_refunds(payment),
        sandbox=runtime(request).settings.is_sandbox,
    )


def cabinet_refunds(payment: Any) -> str | None:
    """Why this payment has no Refund button: its provider refunds it in its own cabinet."""
    declared = plugins.plugin(payment.provider)
    if payment.payment_method_id is not None or declared is None:
        return None
    return declared.cabinet_refunds


@router.get("/payments/{payment_id}/status.json")
async def payment_status(request: Request, payment_id: str) -> Response:
    me = await signed_in(request)
    if me is None:
        return JSONResponse({"error": "sign in"}, status_code=401)
    payment = await operations.payment(runtime(request), payment_id[:64])
    if payment is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    speak(request, me)
    return JSONResponse(
        {
            "status": payment.status,
            "label": i18n.state(payment.status),
            "refunded_amount": payment.refunded_amount,
        }
    )
