"""The YooKassa emulator: /v3/payments (create, read, capture, cancel) and /v3/refunds with
Basic auth and Idempotence-Key semantics, as the official SDK expects; a confirmation page;
notifications sent to kassa after Pay or Decline, from loopback as a sandbox may."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kassa.sandbox.amounts import NotAnAmount, to_minor
from kassa.sandbox.base import (
    Control,
    EmulatorContext,
    Faults,
    Outcome,
    Row,
    checkout_page,
    fault_controls,
    index_page,
    later,
    money,
    new_emulator,
    read_action,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _after(*, days: int) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The sandbox's shop, when kassa's settings name none (kassa's sandbox mode names the same).
SHOP_ID = "100500"
SECRET_KEY = "test_kassa_sandbox"  # noqa: S105 - a sandbox value, never production
# The sandbox shop's fee: income_amount is what the shop receives after it.
COMMISSION = Decimal("0.035")


def _error(status: int, code: str, description: str, parameter: str | None = None) -> JSONResponse:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


VAT_CODES = range(1, 13)
SUBJECTS = frozenset(
    {
        "commodity", "excise", "job", "service", "gambling_bet", "gambling_prize", "lottery",
        "lottery_prize", "intellectual_activity", "payment", "agent_commission",
        "property_right", "non_operating_gain", "insurance_premium", "sales_tax",
        "resort_fee", "composite", "another",
    }
)  # fmt: skip
MODES = frozenset(
    {
        "full_prepayment", "partial_prepayment", "advance", "full_payment", "partial_payment",
        "credit", "credit_payment",
    }
)  # fmt: skip
RECEIPT_REFUSED = "Receipt is missing or illegal"  # YooKassa's words for every receipt fault


def _receipt_problem(receipt: Any, amount: Decimal) -> bool:
    """True when YooKassa would refuse the receipt: no customer e-mail or phone, no items,
    an item without its 54-FZ fields (https://yookassa.ru/developers/54fz/parameters-values),
    or items that do not add up to the amount."""
    if not isinstance(receipt, dict):
        return True
    customer = receipt.get("customer") or {}
    if not isinstance(customer, dict) or not (customer.get("email") or customer.get("phone")):
        return True
    phone = str(customer.get("phone") or "")
    if phone and not (phone.isdigit() and 11 <= len(phone) <= 15):
        return True  # E.164 digits only, as YooKassa wants them
    items = receipt.get("items")
    if not isinstance(items, list) or not items:
        return True
    total = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or not 0 < len(str(item.get("description") or "")) <= 128:
            return True
        try:
            quantity = Decimal(str(item["quantity"]))
            price = Decimal(str(item["amount"]["value"]))
        except (KeyError, TypeError, InvalidOperation):
            return True
        if quantity <= 0 or item.get("vat_code") not in VAT_CODES:
            return True
        if item.get("payment_subject", "commodity") not in SUBJECTS:
            return True
        if item.get("payment_mode", "full_payment") not in MODES:
            return True
        total += quantity * price
    return total != amount


def shown(amount: dict[str, Any]) -> str:
    """YooKassa's `{"value": "5000.00", "currency": "RUB"}` as the admin writes an amount."""
    try:
        return money(to_minor(amount["value"], amount["currency"]), amount["currency"])
    except NotAnAmount:
        return f"{amount['value']} {amount['currency']}"


CONTROLS = [
    Control("GET", "/_receipts", "the 54-FZ receipts made apart from their payments"),
    Control(
        "POST",
        "/_cabinet/refund",
        '{"payment_id", "amount"?}: a refund made in YooKassa\'s cabinet, outside kassa',
    ),
    Control("PUT", "/_shop", '{"receipts_required": true}: the shop\'s 54-FZ receipts on'),
    Control("POST", "/_methods/{id}/decline", "later charges of this saved method are declined"),
    Control(
        "POST",
        "/_notify/{payment_id}",
        '{"event", "object"}: a notification claiming anything (kassa re-reads, never believes)',
    ),
    *fault_controls(),
]


@dataclass
class YooKassaSandboxState:
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)  # POST /v3/receipts
    # payment methods saved for autopayments: the `payment_method` object of the payment
    # that saved them, and whether charges with them are declined (sandbox control)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    declining: set[str] = field(default_factory=set)
    receipts_required: bool = False  # the shop has 54-FZ receipts on (sandbox control)
    keys: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)


def build(ctx: EmulatorContext) -> FastAPI:
    state = YooKassaSandboxState()
    app = new_emulator("yookassa", state.faults)
    app.state.yookassa = state
    shop = ctx.settings.value("YOOKASSA_SHOP_ID") or SHOP_ID
    key = ctx.settings.value("YOOKASSA_SECRET_KEY") or SECRET_KEY
    expected_auth = "Basic " + base64.b64encode(f"{shop}:{key}".encode()).decode()
    notify_url = f"{ctx.settings.public_url.rstrip('/')}/webhooks/yookassa"

    async def gate(request: Request) -> tuple[Any, JSONResponse | None, int | None]:
        await state.faults.delay()
        if request.headers.get("authorization") != expected_auth:
            return (
                None,
                _error(401, "invalid_credentials", "Authentication by given credentials failed"),
                None,
            )
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        failure = state.faults.take_failure(path)
        if failure and not state.faults.lose_answers:
            return None, _error(failure, "internal_server_error", "Internal server error"), None
        body = None
        if request.method == "POST":
            if not request.headers.get("idempotence-key"):
                return (
                    None,
                    _error(400, "invalid_request", "Idempotence key is missing", "Idempotence-Key"),
                    None,
                )
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return None, _error(400, "invalid_request", "Invalid JSON"), None
        return body, None, failure

    def replay(request: Request, body: Any) -> JSONResponse | None:
        idem = request.headers.get("idempotence-key", "")
        digest = hashlib.sha256(
            json.dumps([request.url.path, body], sort_keys=True).encode()
        ).hexdigest()
        seen = state.keys.get(idem)
        if seen is None:
            return None
        if seen[0] != digest:
            return _error(400, "invalid_request", "Idempotence key duplicated with another request")
        return JSONResponse(json.loads(seen[2]), status_code=seen[1])

    def keep(
        request: Request, body: Any, response: JSONResponse, failure: int | None
    ) -> JSONResponse:
        digest = hashlib.sha256(
            json.dumps([request.url.path, body], sort_keys=True).encode()
        ).hexdigest()
        state.keys[request.headers["idempotence-key"]] = (
            digest,
            response.status_code,
            bytes(response.body).decode(),
        )
        if failure:  # the work is done, the answer is lost
            return _error(failure, "internal_server_error", "Internal server error")
        return response

    async def notify(event: str, obj: dict[str, Any]) -> None:
        body = {"type": "notification", "event": event, "object": obj}
        copies = 2 if state.faults.duplicate_callbacks else 1
        for _ in range(copies):
            async with ctx.callbacks:
                await ctx.call_kassa(
                    notify_url,
                    body=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                )

    def money(value: Any) -> tuple[Decimal, str] | None:
        try:
            return Decimal(str(value["value"])), str(value["currency"])
        except (KeyError, TypeError, InvalidOperation):
            return None

    @app.post("/v3/payments")
    async def create(request: Request) -> JSONResponse:
        body, denied, failure = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, body)) is not None:
            return seen
        amount = money(body.get("amount"))
        if amount is None or amount[0] <= 0:
            return keep(
                request, body, _error(400, "invalid_request", "Invalid amount", "amount"), None
            )
        save = body.get("save_payment_method", False)
        if not isinstance(save, bool):
            return keep(
                request,
                body,
                _error(
                    400, "invalid_request", "Invalid save_payment_method", "save_payment_method"
                ),
                None,
            )
        receipt = body.get("receipt")
        if (state.receipts_required or receipt is not None) and _receipt_problem(
            receipt, amount[0]
        ):
            return keep(
                request, body, _error(400, "invalid_request", RECEIPT_REFUSED, "receipt"), None
            )
        method_id = body.get("payment_method_id")
        if method_id is not None:
            return autopayment(request, body, amount, str(method_id), failure)
        pid = f"{uuid.uuid4()}"
        payment = {
            "id": pid,
            "status": "pending",
            "paid": False,
            "amount": {"value": f"{amount[0]:.2f}", "currency": amount[1]},
            "description": body.get("description"),
            "metadata": body.get("metadata") or {},
            "confirmation": {
                "type": "redirect",
                "confirmation_url": f"{ctx.settings.sandbox_url}/yookassa/confirm/{pid}",
                "return_url": (body.get("confirmation") or {}).get("return_url"),
            },
            "created_at": _now(),
            "test": True,
            "refundable": False,
            "recipient": {"account_id": shop, "gateway_id": "1"},
            "_capture": bool(body.get("capture", False)),
            "_save": save,
        }
        state.payments[pid] = payment
        return keep(request, body, JSONResponse(public(payment)), failure)

    def autopayment(
        request: Request,
        body: dict[str, Any],
        amount: tuple[Decimal, str],
        method_id: str,
        failure: int | None,
    ) -> JSONResponse:
        """A charge of a saved method, without the customer: no confirmation; paid (or
        declined) at once ("Проведение автоплатежа",
        https://yookassa.ru/developers/payment-acceptance/scenario-extensions/recurring-payments/pay-with-saved).
        Only a method saved by a succeeded payment can be charged."""
        method = state.methods.get(method_id)
        if method is None:
            return keep(
                request,
                body,
                _error(
                    400,
                    "invalid_request",
                    "Payment method with this id doesn't exist or can't be used for payments",
                    "payment_method_id",
                ),
                None,
            )
        pid = f"{uuid.uuid4()}"
        payment = {
            "id": pid,
            "status": "pending",
            "paid": False,
            "amount": {"value": f"{amount[0]:.2f}", "currency": amount[1]},
            "description": body.get("description"),
            "metadata": body.get("metadata") or {},
            "payment_method": json.loads(json.dumps(method)),
            "created_at": _now(),
            "test": True,
            "refundable": False,
            "recipient": {"account_id": shop, "gateway_id": "1"},
            "_capture": bool(body.get("capture", False)),
            "_save": False,
        }
        state.payments[pid] = payment
        if method_id in state.declining:
            payment.update(
                status="canceled",
                cancellation_details={"party": "payment_network", "reason": "insufficient_funds"},
            )
            later(state.tasks, notify("payment.canceled", public(payment)))
        else:
            payment["paid"] = True
            if payment["_capture"]:
                succeed(payment)
                later(state.tasks, notify("payment.succeeded", public(payment)))
            else:
                payment.update(status="waiting_for_capture", expires_at=_after(days=7))
                later(state.tasks, notify("payment.waiting_for_capture", public(payment)))
        return keep(request, body, JSONResponse(public(payment)), failure)

    def authorise(payment: dict[str, Any]) -> None:
        """The customer paid: the card and the authorisation, as YooKassa reports them on a
        paid payment (the `payment.waiting_for_capture` example of
        https://yookassa.ru/developers/using-api/webhooks; the SDK's PaymentResponse)."""
        payment.update(
            paid=True,
            payment_method={
                "type": "bank_card",
                "id": payment["id"],
                "saved": False,
                "title": "Bank card *4477",
                "card": {
                    "first6": "555555",
                    "last4": "4477",
                    "expiry_month": "01",
                    "expiry_year": "2030",
                    "card_type": "MasterCard",
                    "issuer_country": "RU",
                },
            },
            authorization_details={
                "rrn": f"{uuid.uuid4().int % 10**12:012d}",
                "auth_code": f"{uuid.uuid4().int % 10**6:06d}",
                "three_d_secure": {"applied": False},
            },
        )

    def succeed(payment: dict[str, Any]) -> None:
        value = Decimal(payment["amount"]["value"])
        fee = (value * COMMISSION).quantize(Decimal("0.01"))
        payment.pop("expires_at", None)
        method = payment.get("payment_method")
        if payment.get("_save") and method:
            # saved only by a payment that succeeded and asked for it (`saved` on the
            # payment_method object, https://yookassa.ru/developers/api#payment_object)
            method["saved"] = True
            state.methods[method["id"]] = json.loads(json.dumps(method))
        payment.update(
            status="succeeded",
            refundable=True,
            captured_at=_now(),
            income_amount={
                "value": f"{value - fee:.2f}",
                "currency": payment["amount"]["currency"],
            },
        )

    def public(payment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payment.items() if not k.startswith("_")}

    @app.get("/v3/payments/{pid}")
    async def read(request: Request, pid: str) -> JSONResponse:
        _, denied, failure = await gate(request)
        if denied:
            return denied
        payment = state.payments.get(pid)
        if payment is None:
            return _error(404, "not_found", "Payment not found")
        return (
            _error(failure, "internal_server_error", "Internal server error")
            if failure
            else JSONResponse(public(payment))
        )

    @app.post("/v3/payments/{pid}/capture")
    async def capture(request: Request, pid: str) -> JSONResponse:
        body, denied, failure = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, body)) is not None:
            return seen
        payment = state.payments.get(pid)
        if payment is None:
            return _error(404, "not_found", "Payment not found")
        if payment["status"] != "waiting_for_capture":
            return keep(
                request,
                body,
                _error(400, "invalid_request", "Payment is not waiting for capture"),
                None,
            )
        authorised = Decimal(payment["amount"]["value"])
        asked = money((body or {}).get("amount")) if (body or {}).get("amount") else None
        if asked is not None and (
            asked[1] != payment["amount"]["currency"] or not 0 < asked[0] <= authorised
        ):
            return keep(
                request,
                body,
                _error(400, "invalid_request", "Invalid capture amount", "amount"),
                None,
            )
        if asked is not None:
            # A partial capture: the rest goes back to the payer, and the payment's amount
            # becomes what was captured (https://yookassa.ru/developers/api#capture_payment).
            payment["amount"] = {"value": f"{asked[0]:.2f}", "currency": asked[1]}
        succeed(payment)
        later(state.tasks, notify("payment.succeeded", public(payment)))
        return keep(request, body, JSONResponse(public(payment)), failure)

    @app.post("/v3/payments/{pid}/cancel")
    async def cancel(request: Request, pid: str) -> JSONResponse:
        body, denied, failure = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, body)) is not None:
            return seen
        payment = state.payments.get(pid)
        if payment is None:
            return _error(404, "not_found", "Payment not found")
        if payment["status"] != "waiting_for_capture":
            # YooKassa cancels only authorised two-step payments; an unpaid one expires by
            # itself ("Отмена платежа": only `waiting_for_capture`,
            # https://yookassa.ru/developers/api#cancel_payment).
            return keep(
                request,
                body,
                _error(
                    400,
                    "invalid_request",
                    f"Payment in status {payment['status']} can't be canceled. "
                    "Only payments in status waiting_for_capture can be canceled",
                ),
                None,
            )
        payment.update(
            status="canceled",
            cancellation_details={"party": "merchant", "reason": "canceled_by_merchant"},
        )
        return keep(request, body, JSONResponse(public(payment)), failure)

    @app.post("/v3/refunds")
    async def refund(request: Request) -> JSONResponse:
        body, denied, failure = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, body)) is not None:
            return seen
        payment = state.payments.get(str(body.get("payment_id")))
        amount = money(body.get("amount"))
        if payment is None or amount is None or payment["status"] != "succeeded":
            return keep(
                request, body, _error(400, "invalid_request", "Payment cannot be refunded"), None
            )
        receipt = body.get("receipt")
        if (state.receipts_required or receipt is not None) and _receipt_problem(
            receipt, amount[0]
        ):
            return keep(
                request, body, _error(400, "invalid_request", RECEIPT_REFUSED, "receipt"), None
            )
        made = give_back(payment, amount, receipt is not None)
        if isinstance(made, JSONResponse):
            return keep(request, body, made, None)
        later(state.tasks, notify("refund.succeeded", dict(made)))
        return keep(request, body, JSONResponse(made), failure)

    def give_back(
        payment: dict[str, Any], amount: tuple[Decimal, str], with_receipt: bool
    ) -> dict[str, Any] | JSONResponse:
        """A refund of the payment, from the API or the cabinet: its `refunded_amount`
        grows (the caller sends YooKassa's `refund.succeeded` notification with the refund
        object, https://yookassa.ru/developers/using-api/webhooks). `receipt_registration` is set
        when a receipt is registered with it: one sent with the refund, or YooKassa's own
        for a full refund in a shop with receipts on
        (https://yookassa.ru/developers/payment-acceptance/scenario-extensions/54fz/refunds)."""
        paid = Decimal(payment["amount"]["value"])
        refunded = Decimal((payment.get("refunded_amount") or {}).get("value", "0"))
        if amount[0] <= 0 or amount[1] != payment["amount"]["currency"]:
            return _error(400, "invalid_request", "Invalid amount", "amount")
        if refunded + amount[0] > paid:
            return _error(400, "invalid_request", "Refund exceeds the payment")
        payment["refunded_amount"] = {"value": f"{refunded + amount[0]:.2f}", "currency": amount[1]}
        rid = str(uuid.uuid4())
        refund: dict[str, Any] = {
            "id": rid,
            "payment_id": payment["id"],
            "status": "succeeded",
            "created_at": _now(),
            "amount": {"value": f"{amount[0]:.2f}", "currency": amount[1]},
        }
        whole = refunded == 0 and amount[0] == paid
        if with_receipt or (state.receipts_required and whole):
            refund["receipt_registration"] = "succeeded"
        state.refunds[rid] = refund
        return refund

    @app.get("/v3/refunds/{rid}")
    async def read_refund(request: Request, rid: str) -> JSONResponse:
        _, denied, failure = await gate(request)
        if denied:
            return denied
        refund = state.refunds.get(rid)
        if refund is None:
            return _error(404, "not_found", "Refund not found")
        if failure:
            return _error(failure, "internal_server_error", "Internal server error")
        return JSONResponse(refund)

    @app.get("/v3/refunds")
    async def list_refunds(request: Request) -> JSONResponse:
        """YooKassa's refund list ("Список возвратов",
        https://yookassa.ru/developers/api#get_refunds_list): newest
        first, `limit` (1-100, default 10) a page, `next_cursor` to the next; filtered by
        `payment_id` and `status`."""
        _, denied, failure = await gate(request)
        if denied:
            return denied
        query = request.query_params
        try:
            limit = int(query.get("limit", "10"))
            start = int(query.get("cursor") or 0)
        except ValueError:
            return _error(400, "invalid_request", "Invalid list parameters")
        if not 1 <= limit <= 100 or start < 0:
            return _error(400, "invalid_request", "Invalid limit", "limit")
        found = [
            r
            for r in reversed(state.refunds.values())
            if query.get("payment_id") in (None, r["payment_id"])
            and query.get("status") in (None, r["status"])
        ]
        body: dict[str, Any] = {"type": "list", "items": found[start : start + limit]}
        if start + limit < len(found):
            body["next_cursor"] = str(start + limit)
        if failure:
            return _error(failure, "internal_server_error", "Internal server error")
        return JSONResponse(body)

    @app.post("/v3/receipts")
    async def create_receipt(request: Request) -> JSONResponse:
        """A receipt made apart from its payment or refund ("Создание чека",
        https://yookassa.ru/developers/api#create_receipt): `type` payment or refund, the
        payment's or refund's id, `send`, the customer's e-mail or phone, items as in any
        receipt, and `settlements` adding up to the items. Registered at once here."""
        body, denied, failure = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, body)) is not None:
            return seen
        kind = body.get("type")
        refund = state.refunds.get(str(body.get("refund_id"))) if kind == "refund" else None
        payment = state.payments.get(str(body.get("payment_id"))) if kind == "payment" else None
        if refund is None and payment is None:
            unknown = "Receipt's payment or refund not found"
            return keep(request, body, _error(400, "invalid_request", unknown, "type"), None)
        settled = body.get("settlements")
        parts = [money((p or {}).get("amount")) for p in settled or [None]]
        if (
            not isinstance(settled, list)
            or not isinstance(body.get("send"), bool)
            or any(part is None for part in parts)
            or _receipt_problem(body, sum((part[0] for part in parts if part), Decimal(0)))
        ):
            return keep(request, body, _error(400, "invalid_request", RECEIPT_REFUSED), None)
        named = (
            {"refund_id": refund["id"]}
            if refund is not None
            else {"payment_id": str(body.get("payment_id"))}
        )
        rid = f"rt-{uuid.uuid4()}"
        receipt = {
            "id": rid,
            "type": kind,
            **named,
            "status": "succeeded",
            "fiscal_document_number": str(uuid.uuid4().int % 10**5),
            "fiscal_storage_number": "9288000100115785",
            "fiscal_attribute": str(uuid.uuid4().int % 10**10),
            "registered_at": _now(),
            "fiscal_provider_id": "fd9e9ab0-0000-0000-0000-000000000000",
            "items": body["items"],
            "settlements": settled,
        }
        state.receipts[rid] = {**receipt, "_customer": body.get("customer")}
        return keep(request, body, JSONResponse(receipt), failure)

    @app.get("/_receipts")
    async def receipts_made() -> dict[str, Any]:
        """Sandbox view (not YooKassa's API): the receipts made apart from their payments,
        with the customer each was sent to (`_customer`)."""
        return {"receipts": list(state.receipts.values())}

    @app.post("/_cabinet/refund")
    async def cabinet_refund(request: Request) -> JSONResponse:
        """Sandbox control (not YooKassa's API): a refund an operator makes in YooKassa's
        cabinet — `{"payment_id", "amount"?}` (a decimal string; default: what is left).
        YooKassa notifies it as any refund; a partial one there carries no receipt."""
        body = await request.json()
        payment = state.payments.get(str(body.get("payment_id")))
        if payment is None or payment["status"] != "succeeded":
            return JSONResponse({"error": "not refundable"}, status_code=400)
        paid = Decimal(payment["amount"]["value"])
        refunded = Decimal((payment.get("refunded_amount") or {}).get("value", "0"))
        try:
            value = Decimal(str(body["amount"])) if body.get("amount") else paid - refunded
        except InvalidOperation:
            return JSONResponse({"error": "bad amount"}, status_code=400)
        made = give_back(payment, (value, payment["amount"]["currency"]), False)
        if isinstance(made, JSONResponse):
            return made
        await notify("refund.succeeded", dict(made))  # answered once kassa was told
        return JSONResponse(made)

    def page(
        request: Request, payment: dict[str, Any], result: Outcome | None = None
    ) -> HTMLResponse:
        return checkout_page(
            request,
            provider="yookassa",
            name="YooKassa",
            title=payment.get("description") or "Payment",
            amount=shown(payment["amount"]),
            reference=payment["id"],
            result=result,
            return_url=(payment.get("confirmation") or {}).get("return_url"),
        )

    def status_of(payment: dict[str, Any]) -> Outcome:
        status = payment["status"]
        if status == "canceled":
            return Outcome("Status: canceled", "error")
        return Outcome(f"Status: {status}", "success" if status == "succeeded" else "info")

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Sandbox page (YooKassa's API has none such): the payments, each with its
        confirmation page while it waits for the customer."""
        rows = [
            Row(
                pid,
                shown(p["amount"]),
                p["status"],
                page=f"/confirm/{pid}"
                if p["status"] == "pending" and p.get("confirmation")
                else None,
                detail=" · ".join(
                    x
                    for x in (
                        p.get("description") or "",
                        "" if p.get("confirmation") else "a saved method, charged at once",
                        shown(p["refunded_amount"]) + " refunded"
                        if p.get("refunded_amount")
                        else "",
                    )
                    if x
                ),
            )
            for pid, p in state.payments.items()
        ]
        return index_page(
            request,
            provider="yookassa",
            name="YooKassa",
            about="YooKassa's API v3 as the official SDK reaches it (payments, capture, "
            "cancel, refunds, receipts) with Basic auth and Idempotence-Key; the confirmation "
            "page (a payment's checkout_url) notifies kassa, which re-reads the payment.",
            payments=rows,
            controls=CONTROLS,
            faults=state.faults,
        )

    @app.get("/confirm/{pid}", response_class=HTMLResponse)
    async def confirm_page(request: Request, pid: str) -> HTMLResponse:
        payment = state.payments.get(pid)
        if payment is None:
            return HTMLResponse("<h1>Payment not found</h1>", status_code=404)
        return page(
            request, payment, None if payment["status"] == "pending" else status_of(payment)
        )

    @app.post("/confirm/{pid}", response_class=HTMLResponse)
    async def confirm(request: Request, pid: str) -> HTMLResponse:
        payment = state.payments.get(pid)
        action = await read_action(request)
        if payment is None or action is None:
            return HTMLResponse("<h1>Payment not found</h1>", status_code=404)
        if payment["status"] != "pending":
            return page(request, payment, status_of(payment))
        if action == "decline":
            payment.update(
                status="canceled",
                cancellation_details={"party": "payment_network", "reason": "insufficient_funds"},
            )
            await notify("payment.canceled", public(payment))
            return page(request, payment, Outcome("Payment declined: insufficient funds.", "error"))
        authorise(payment)
        if payment["_capture"]:
            succeed(payment)
            await notify("payment.succeeded", public(payment))
            return page(request, payment, Outcome("Payment successful."))
        payment.update(status="waiting_for_capture", expires_at=_after(days=7))
        await notify("payment.waiting_for_capture", public(payment))
        return page(request, payment, Outcome("Payment authorised; awaiting capture."))

    @app.put("/_shop")
    async def shop_settings(request: Request) -> JSONResponse:
        """Sandbox control (the shop's settings in YooKassa's cabinet): receipts on or off."""
        body = await request.json()
        state.receipts_required = bool(body.get("receipts_required"))
        return JSONResponse({"receipts_required": state.receipts_required})

    @app.post("/_methods/{method_id}/decline")
    async def decline_method(method_id: str) -> JSONResponse:
        """Sandbox control (not YooKassa's API): later charges of this saved method are
        declined, as a card with no funds left would be."""
        if method_id not in state.methods:
            return JSONResponse({"error": "not found"}, status_code=404)
        state.declining.add(method_id)
        return JSONResponse({"declining": True})

    @app.post("/_notify/{pid}")
    async def forge(pid: str, request: Request) -> JSONResponse:
        """Send a notification claiming any status: kassa must re-read and not believe it."""
        payment = state.payments.get(pid)
        if payment is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        claimed = await request.json()
        await notify(
            str(claimed.get("event", "payment.succeeded")),
            {**public(payment), **claimed.get("object", {})},
        )
        return JSONResponse({"sent": True})

    return app
