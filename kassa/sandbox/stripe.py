"""The Stripe emulator: the REST endpoints kassa's SDK calls (customers, payment_intents,
payment_methods, refunds) with Stripe's objects, errors and Idempotency-Key semantics; a
checkout page standing in for Stripe.js; and events sent to kassa signed as Stripe signs
them. Fault switches duplicate events and deliver them out of order; a "dashboard" refund
shows that refunds made outside kassa reach it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from kassa.money import to_decimal_string
from kassa.runtime import Runtime
from kassa.sandbox.base import Faults, checkout_page, later, new_emulator, read_action
from kassa.sandbox.stripe_forms import decode

TEST_CARDS = {
    "pm_card_visa": ("visa", "4242", True),
    "pm_card_mastercard": ("mastercard", "4444", True),
    "pm_card_chargeDeclined": ("visa", "0002", False),
}


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _error(
    status: int, kind: str, message: str, code: str | None = None, **extra: Any
) -> JSONResponse:
    error: dict[str, Any] = {"type": kind, "message": message, **extra}
    if code:
        error["code"] = code
    return JSONResponse({"error": error}, status_code=status)


def _missing(kind: str, object_id: str) -> JSONResponse:
    return _error(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing"
    )


@dataclass
class StripeSandboxState:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    declining: set[str] = field(default_factory=set)  # payment methods whose charges fail
    faults: Faults = field(default_factory=Faults)


class DashboardRefund(BaseModel):
    payment_intent: str = Field(max_length=64)
    amount: int | None = Field(default=None, ge=1)


def build(rt: Runtime) -> FastAPI:
    state = StripeSandboxState()
    app = new_emulator("stripe", state.faults)
    app.state.stripe = state
    secret_key = (
        rt.settings.stripe_secret_key.get_secret_value() if rt.settings.stripe_secret_key else ""
    )
    webhook_secret = (
        rt.settings.stripe_webhook_secret.get_secret_value()
        if rt.settings.stripe_webhook_secret
        else ""
    )
    webhook_url = f"{rt.settings.public_url.rstrip('/')}/webhooks/stripe"

    def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        evt = {
            "id": _id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": dict(obj)},
        }
        state.events.append(evt)
        return evt

    async def send(evt: dict[str, Any]) -> int:
        payload = json.dumps(evt).encode()
        t = int(time.time())
        mac = hmac.new(
            webhook_secret.encode(), f"{t}.".encode() + payload, hashlib.sha256
        ).hexdigest()
        await state.faults.delay()
        response = await rt.http.post(
            webhook_url,
            content=payload,
            headers={"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"},
        )
        return response.status_code

    async def deliver(events: list[dict[str, Any]]) -> None:
        """As Stripe delivers: at least once, in no guaranteed order."""
        batch = list(reversed(events)) if state.faults.reverse_callbacks else events
        for evt in batch:
            copies = 3 if state.faults.duplicate_callbacks else 1
            await asyncio.gather(*(send(evt) for _ in range(copies)))

    async def form(request: Request) -> tuple[dict[str, Any], JSONResponse | None]:
        await state.faults.delay()
        if request.headers.get("authorization") != f"Bearer {secret_key}":
            return {}, _error(401, "invalid_request_error", "Invalid API Key provided")
        failure = state.faults.take_failure(
            request.url.path.removeprefix(request.scope.get("root_path", ""))
        )
        if failure:
            return {}, _error(failure, "api_error", "Stripe is having a bad day")
        return decode(await request.body()), None

    def idempotent(request: Request, params: dict[str, Any]) -> JSONResponse | None:
        key = request.headers.get("idempotency-key")
        if not key:
            return None
        digest = hashlib.sha256(
            json.dumps([request.url.path, params], sort_keys=True).encode()
        ).hexdigest()
        seen = state.idempotency.get(key)
        if seen is None:
            return None
        if seen[0] != digest:
            return _error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters",
            )
        return JSONResponse(
            json.loads(seen[2]), status_code=seen[1], headers={"Idempotent-Replayed": "true"}
        )

    def remember(request: Request, params: dict[str, Any], response: JSONResponse) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        if key:
            digest = hashlib.sha256(
                json.dumps([request.url.path, params], sort_keys=True).encode()
            ).hexdigest()
            state.idempotency[key] = (digest, response.status_code, bytes(response.body).decode())
        return response

    def method_for(pm_id: str) -> dict[str, Any] | None:
        if pm_id not in state.methods and pm_id in TEST_CARDS:
            brand, last4, _ = TEST_CARDS[pm_id]
            state.methods[pm_id] = {
                "id": pm_id,
                "object": "payment_method",
                "type": "card",
                "customer": None,
                "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
                "created": int(time.time()),
                "livemode": False,
            }
        return state.methods.get(pm_id)

    def charge(intent: dict[str, Any]) -> dict[str, Any]:
        ch = {
            "id": _id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": 0,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
            "metadata": intent["metadata"],
        }
        state.charges[ch["id"]] = ch
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=ch["id"],
            last_payment_error=None,
        )
        return ch

    def decline(intent: dict[str, Any]) -> None:
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            },
        )

    @app.post("/v1/customers")
    async def create_customer(request: Request) -> JSONResponse:
        params, denied = await form(request)
        if denied:
            return denied
        if (replay := idempotent(request, params)) is not None:
            return replay
        customer = {
            "id": _id("cus"),
            "object": "customer",
            "metadata": params.get("metadata", {}),
            "email": params.get("email"),
            "created": int(time.time()),
            "livemode": False,
        }
        state.customers[customer["id"]] = customer
        return remember(request, params, JSONResponse(customer))

    @app.post("/v1/payment_intents")
    async def create_intent(request: Request) -> JSONResponse:
        params, denied = await form(request)
        if denied:
            return denied
        if (replay := idempotent(request, params)) is not None:
            return replay
        try:
            amount = int(params["amount"])
            currency = str(params["currency"])
        except (KeyError, ValueError):
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    "Missing required param: amount.",
                    "parameter_missing",
                    param="amount",
                ),
            )
        if amount < 1 or amount > 99_999_999:
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    "Invalid amount.",
                    "amount_too_large" if amount > 1 else "amount_too_small",
                ),
            )
        customer = params.get("customer")
        if customer and customer not in state.customers:
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    f"No such customer: '{customer}'",
                    "resource_missing",
                ),
            )
        pi_id = _id("pi")
        intent: dict[str, Any] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "customer": customer,
            "metadata": params.get("metadata", {}),
            "description": params.get("description"),
            "status": "requires_payment_method",
            "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "last_payment_error": None,
            "latest_charge": None,
            "cancellation_reason": None,
            "created": int(time.time()),
            "livemode": False,
        }
        state.intents[pi_id] = intent
        pm_id = params.get("payment_method")
        if pm_id:
            method = method_for(pm_id)
            if method is None:
                return remember(
                    request,
                    params,
                    _error(
                        400,
                        "invalid_request_error",
                        f"No such PaymentMethod: '{pm_id}'",
                        "resource_missing",
                    ),
                )
            intent["payment_method"] = pm_id
            intent["status"] = "requires_confirmation"
            if params.get("confirm") == "true":
                if pm_id not in state.declining and TEST_CARDS.get(pm_id, ("", "", True))[2]:
                    charge(intent)
                    response = remember(request, params, JSONResponse(intent))
                    later(state.tasks, deliver([event("payment_intent.succeeded", intent)]))
                    return response
                decline(intent)
                later(state.tasks, deliver([event("payment_intent.payment_failed", intent)]))
                return remember(
                    request,
                    params,
                    _error(
                        402,
                        "card_error",
                        "Your card was declined.",
                        "card_declined",
                        decline_code="generic_decline",
                        payment_intent=intent,
                    ),
                )
        return remember(request, params, JSONResponse(intent))

    @app.get("/v1/payment_intents/{pi_id}")
    async def retrieve_intent(request: Request, pi_id: str) -> JSONResponse:
        _, denied = await form(request)
        if denied:
            return denied
        intent = state.intents.get(pi_id)
        if intent is None:
            return _missing("payment_intent", pi_id)
        return JSONResponse(intent)

    @app.post("/v1/payment_intents/{pi_id}/cancel")
    async def cancel_intent(request: Request, pi_id: str) -> JSONResponse:
        params, denied = await form(request)
        if denied:
            return denied
        intent = state.intents.get(pi_id)
        if intent is None:
            return _missing("payment_intent", pi_id)
        if intent["status"] in ("succeeded", "canceled"):
            return _error(
                400,
                "invalid_request_error",
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
                payment_intent=intent,
            )
        intent.update(
            status="canceled",
            cancellation_reason=params.get("cancellation_reason", "requested_by_customer"),
        )
        later(state.tasks, deliver([event("payment_intent.canceled", intent)]))
        return JSONResponse(intent)

    @app.post("/v1/refunds")
    async def create_refund(request: Request) -> JSONResponse:
        params, denied = await form(request)
        if denied:
            return denied
        if (replay := idempotent(request, params)) is not None:
            return replay
        intent = state.intents.get(str(params.get("payment_intent")))
        if intent is None or intent["status"] != "succeeded":
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    "This PaymentIntent has no successful charge to refund.",
                    "charge_not_refundable",
                ),
            )
        ch = state.charges[intent["latest_charge"]]
        left = ch["amount"] - ch["amount_refunded"]
        amount = int(params.get("amount", left))
        if amount < 1 or amount > left:
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({left})",
                    "amount_too_large",
                ),
            )
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": ch["id"],
            "payment_intent": intent["id"],
            "currency": ch["currency"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        state.refunds[refund["id"]] = refund
        later(state.tasks, deliver([event("charge.refunded", ch)]))
        return remember(request, params, JSONResponse(refund))

    @app.post("/v1/payment_methods/{pm_id}/attach")
    async def attach(request: Request, pm_id: str) -> JSONResponse:
        params, denied = await form(request)
        if denied:
            return denied
        method = method_for(pm_id)
        if method is None:
            return _missing("PaymentMethod", pm_id)
        if params.get("customer") not in state.customers:
            return _error(400, "invalid_request_error", "No such customer", "resource_missing")
        if (
            pm_id in TEST_CARDS
        ):  # each attach of a test card makes a new card, as Stripe's tokens do
            method_id = _id("pm")
            if not TEST_CARDS[pm_id][2]:
                state.declining.add(method_id)
            method = {**method, "id": method_id}
            state.methods[method["id"]] = method
        method["customer"] = params["customer"]
        return JSONResponse(method)

    @app.post("/v1/payment_methods/{pm_id}/detach")
    async def detach(request: Request, pm_id: str) -> JSONResponse:
        _, denied = await form(request)
        if denied:
            return denied
        method = state.methods.get(pm_id)
        if method is None:
            return _missing("PaymentMethod", pm_id)
        method["customer"] = None
        return JSONResponse(method)

    @app.post("/_dashboard/refund")
    async def dashboard_refund(body: DashboardRefund) -> JSONResponse:
        intent = state.intents.get(body.payment_intent)
        if intent is None or intent["status"] != "succeeded":
            return JSONResponse({"error": "not refundable"}, status_code=400)
        ch = state.charges[intent["latest_charge"]]
        amount = body.amount or ch["amount"] - ch["amount_refunded"]
        ch["amount_refunded"] = min(ch["amount"], ch["amount_refunded"] + amount)
        ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        await deliver([event("charge.refunded", ch)])
        return JSONResponse(ch)

    @app.post("/_events/{pi_id}/resend")
    async def resend(pi_id: str) -> JSONResponse:
        """Deliver every event of an intent again, as Stripe's retries do."""
        mine = [
            e
            for e in state.events
            if e["data"]["object"].get("id") == pi_id
            or e["data"]["object"].get("payment_intent") == pi_id
        ]
        await deliver(mine)
        return JSONResponse({"resent": len(mine)})

    def page(request: Request, intent: dict[str, Any], result: str | None = None) -> HTMLResponse:
        amount = to_decimal_string(intent["amount"], intent["currency"].upper())
        return checkout_page(
            request,
            provider="stripe",
            title=intent.get("description") or "Payment",
            amount=f"{amount} {intent['currency'].upper()}",
            reference=intent["id"],
            note="Card 4242 4242 4242 4242",
            result=result,
        )

    @app.get("/checkout/{pi_id}", response_class=HTMLResponse)
    async def checkout(request: Request, pi_id: str) -> HTMLResponse:
        intent = state.intents.get(pi_id)
        if intent is None:
            return HTMLResponse("<h1>No such PaymentIntent</h1>", status_code=404)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            return page(request, intent, f"Status: {intent['status']}")
        return page(request, intent)

    @app.post("/checkout/{pi_id}", response_class=HTMLResponse)
    async def confirm(request: Request, pi_id: str) -> HTMLResponse:
        """What Stripe.js does on confirmCardPayment, then Stripe's events."""
        intent = state.intents.get(pi_id)
        action = await read_action(request)
        if intent is None or action is None:
            return HTMLResponse("<h1>No such PaymentIntent</h1>", status_code=404)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            return page(request, intent, f"Status: {intent['status']}")
        if action == "pay":
            processing = event("payment_intent.processing", {**intent, "status": "processing"})
            charge(intent)
            await deliver([processing, event("payment_intent.succeeded", intent)])
            return page(request, intent, "Payment successful.")
        decline(intent)
        await deliver([event("payment_intent.payment_failed", intent)])
        return page(request, intent, "Your card was declined.")

    return app
