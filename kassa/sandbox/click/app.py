"""The Click emulator: the checkout page at `/services/pay` (as my.click.uz serves it), which
calls the merchant's SHOP API exactly as Click does — Prepare (`action=0`), then Complete
(`action=1`), form-encoded and signed with `sign_string` (MD5 of click_trans_id,
service_id, the secret key, merchant_trans_id, merchant_prepare_id on Complete, amount,
action and sign_time) — and a Complete carrying Click's own error (-5017, insufficient
funds) when the customer's card is declined; and the Merchant API's payment status and
reversal (`Auth: merchant_user_id:sha1(timestamp + secret_key):timestamp`). Sources:
docs.click.uz ("Click API", "Merchant API"), and the public integrations paytechuz and
click-up. Its own state, its own parsing; kassa is reached over HTTP only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kassa.sandbox.amounts import to_minor
from kassa.sandbox.base import (
    Control,
    EmulatorContext,
    Faults,
    Outcome,
    Row,
    checkout_page,
    fault_controls,
    index_page,
    money,
    new_emulator,
    read_action,
)

# The sandbox's Click cabinet (kassa's sandbox settings name the same service).
SERVICE_ID, MERCHANT_ID, MERCHANT_USER_ID = "10001", "20002", "30003"
SECRET_KEY = "click-sandbox-secret"  # noqa: S105 - a sandbox value, never production
INSUFFICIENT_FUNDS = -5017
AUTH_WINDOW_SECONDS = 300


@dataclass
class ClickSandboxState:
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # by click_trans_id
    calls: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)


def _sign(fields: dict[str, str], secret: str) -> str:
    parts = [fields["click_trans_id"], fields["service_id"], secret, fields["merchant_trans_id"]]
    if fields["action"] == "1":
        parts.append(fields["merchant_prepare_id"])
    parts += [fields["amount"], fields["action"], fields["sign_time"]]
    return hashlib.md5("".join(parts).encode(), usedforsecurity=False).hexdigest()


def _sums(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value > 0 and value == value.quantize(Decimal("0.01")) else None


def _refused(answer: dict[str, Any]) -> Outcome:
    note = f"The shop refused the payment: {answer.get('error_note')} ({answer.get('error')})"
    return Outcome(note, "error")


def _sums_shown(amount: str | Decimal) -> str:
    """Click's amount (sums, a decimal string `_sums` took) as the admin writes it."""
    return money(to_minor(Decimal(amount), "UZS"), "UZS")


CONTROLS = [
    Control("GET", "/_payments", "the payments and the SHOP API calls made"),
    *fault_controls(),
]


def _accepted(answer: dict[str, Any], fields: dict[str, str], id_field: str) -> bool:
    """Whether Click takes the merchant's answer as a yes: `error` 0, the call's
    click_trans_id and merchant_trans_id given back, and the merchant's id of the payment
    (`merchant_prepare_id` to Prepare, `merchant_confirm_id` to Complete) a number
    (docs.click.uz/en/click-api-request, "Options of the reply"; click-api-error: "If
    successful, the operation code must be equal to 0"). Anything else is a refusal: Click
    does not charge after a Prepare so answered, and cancels a payment whose Complete was."""
    merchant_id = answer.get(id_field)
    return (
        answer.get("error") == 0
        and str(answer.get("click_trans_id")) == fields["click_trans_id"]
        and answer.get("merchant_trans_id") == fields["merchant_trans_id"]
        and isinstance(merchant_id, int)
        and not isinstance(merchant_id, bool)
    )


def build(ctx: EmulatorContext) -> FastAPI:
    state = ClickSandboxState()
    app = new_emulator("click", state.faults)
    app.state.click = state
    settings = ctx.settings
    service_id = settings.value("CLICK_SERVICE_ID") or SERVICE_ID
    merchant_id = settings.value("CLICK_MERCHANT_ID") or MERCHANT_ID
    user_id = settings.value("CLICK_MERCHANT_USER_ID") or MERCHANT_USER_ID
    secret = settings.value("CLICK_SECRET_KEY") or SECRET_KEY
    shop_api = f"{settings.public_url.rstrip('/')}/webhooks/click"

    async def call_shop(fields: dict[str, str]) -> dict[str, Any]:
        await state.faults.delay()
        fields["sign_string"] = _sign(fields, secret)
        response = await ctx.call_kassa(shop_api, body=fields, headers={})
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            answer = {"error": -1000, "error_note": f"HTTP {response.status}"}
        state.calls.append({"request": fields, "answer": answer})
        del state.calls[:-1000]
        return answer

    async def pay(order: str, amount: str, action: str) -> Outcome:
        """Prepare, then Complete, as Click runs a customer's payment."""
        click_trans_id = str(2_000_000_000 + secrets.randbelow(10**9))
        fields = {
            "click_trans_id": click_trans_id,
            "service_id": service_id,
            "click_paydoc_id": str(3_000_000_000 + secrets.randbelow(10**9)),
            "merchant_trans_id": order,
            "amount": amount,
            "action": "0",
            "error": "0",
            "error_note": "Success",
            "sign_time": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        prepared = await call_shop(dict(fields))
        if not _accepted(prepared, fields, "merchant_prepare_id"):
            return _refused(prepared)
        ok = action == "pay"
        payment = {**fields, "status": "preparing"}
        state.payments[click_trans_id] = payment
        complete = {
            **fields,
            "action": "1",
            "merchant_prepare_id": str(prepared.get("merchant_prepare_id")),
            "error": "0" if ok else str(INSUFFICIENT_FUNDS),
            "error_note": "Success" if ok else "Insufficient funds",
            "sign_time": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        completed = await call_shop(dict(complete))
        if not ok:
            payment["status"] = "cancelled"
            return Outcome("Payment declined: insufficient funds.", "error")
        if not _accepted(completed, complete, "merchant_confirm_id"):
            payment["status"] = "cancelled"  # Click reverses what the shop would not confirm
            return _refused(completed)
        payment["status"] = "paid"
        return Outcome("Payment successful.")

    def link_of(request: Request) -> tuple[str, str, Decimal] | None:
        q = request.query_params
        amount = _sums(q.get("amount", ""))
        order = q.get("transaction_param", "")
        if q.get("service_id") != service_id or q.get("merchant_id") != merchant_id:
            return None  # Click: "service not found"
        if amount is None or not order:
            return None
        return order, q["amount"], amount

    def page(
        request: Request, link: tuple[str, str, Decimal], result: Outcome | None = None
    ) -> HTMLResponse:
        return checkout_page(
            request,
            provider="click",
            title="Payment",
            amount=_sums_shown(link[2]),
            reference=link[0],
            result=result,
            return_url=request.query_params.get("return_url"),
        )

    @app.get("/services/pay", response_class=HTMLResponse)
    async def checkout(request: Request) -> HTMLResponse:
        link = link_of(request)
        if link is None:
            return HTMLResponse("<h1>Invalid Click payment link</h1>", status_code=404)
        return page(request, link)

    @app.post("/services/pay", response_class=HTMLResponse)
    async def checkout_action(request: Request) -> HTMLResponse:
        link = link_of(request)
        action = await read_action(request)
        if link is None or action is None:
            return HTMLResponse("<h1>Invalid Click payment link</h1>", status_code=404)
        return page(request, link, await pay(link[0], link[1], action))

    def authorised(request: Request) -> bool:
        user, _, rest = request.headers.get("auth", "").partition(":")
        digest, _, timestamp = rest.partition(":")
        if user != user_id or not timestamp.isdigit():
            return False
        if abs(time.time() - int(timestamp)) > AUTH_WINDOW_SECONDS:
            return False
        expected = hashlib.sha1((timestamp + secret).encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(expected, digest)

    def merchant_answer(code: int, note: str, **fields: Any) -> JSONResponse:
        return JSONResponse({"error_code": code, "error_note": note, **fields})

    def merchant_payment(
        request: Request, sid: str, payment_id: str
    ) -> dict[str, Any] | JSONResponse:
        """The payment a Merchant API call names, or Click's refusal."""
        if not authorised(request):
            return merchant_answer(-16, "Authorization failed")
        payment = state.payments.get(payment_id)
        if sid != service_id or payment is None:
            return merchant_answer(-6, "Payment not found")
        return payment

    @app.get("/v2/merchant/payment/status/{sid}/{payment_id}")
    async def status(request: Request, sid: str, payment_id: str) -> JSONResponse:
        payment = merchant_payment(request, sid, payment_id)
        if isinstance(payment, JSONResponse):
            return payment
        code = {"paid": 2, "preparing": 1, "cancelled": -99, "reversed": -2}[payment["status"]]
        return merchant_answer(0, "Success", payment_id=int(payment_id), payment_status=code)

    @app.delete("/v2/merchant/payment/reversal/{sid}/{payment_id}")
    async def reversal(request: Request, sid: str, payment_id: str) -> JSONResponse:
        payment = merchant_payment(request, sid, payment_id)
        if isinstance(payment, JSONResponse):
            return payment
        if payment["status"] != "paid":
            return merchant_answer(-4011, "The payment cannot be reversed")
        payment["status"] = "reversed"
        return merchant_answer(0, "Success", payment_id=int(payment_id))

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Sandbox page (Click has none such): the payments run on the checkout page."""
        rows = [
            Row(
                p["merchant_trans_id"],
                _sums_shown(p["amount"]),
                p["status"],
                detail=f"click_trans_id {click_trans_id}",
            )
            for click_trans_id, p in state.payments.items()
        ]
        return index_page(
            request,
            provider="click",
            about="Click's checkout page (/services/pay, opened from a payment's checkout_url) "
            "calls kassa's SHOP API as Click does: Prepare, then Complete, signed with the "
            "service's secret key; a declined card completes with Click's error -5017.",
            payments=rows,
            controls=CONTROLS,
            faults=state.faults,
        )

    @app.get("/_payments")
    async def payments() -> dict[str, Any]:
        return {"payments": state.payments, "calls": state.calls[-100:]}

    return app
