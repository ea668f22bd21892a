"""The Stripe emulator: the part of Stripe's API kassa's SDK reaches (customers, payment
methods, payment intents with confirm, capture and cancel, charges, refunds, events,
Checkout Sessions), with Stripe's objects (see `objects`), refusals and error shapes; a
hosted Checkout page and a stand-in for Stripe.js; events signed as Stripe signs them.

As strict as Stripe where kassa could be wrong: per-currency minimum amounts
(`amount_too_small`), the PaymentIntent state graph (confirm only from
requires_payment_method/_confirmation/_action; capture only from requires_capture; cancel
not once succeeded or canceled), manual capture, a declined attempt leaving the intent
retryable, refunds no larger than what is left, Idempotency-Key replays and conflicts,
and every unknown route answered as Stripe does. Sources: Stripe's API reference and its
OpenAPI spec (stripe/openapi); minimums from https://docs.stripe.com/currencies.
Fault switches duplicate events and deliver them out of order; a "dashboard" refund shows
that refunds made outside kassa reach it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.sandbox.amounts import to_major
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
from kassa.sandbox.stripe import objects as o
from kassa.sandbox.stripe.forms import decode

# The sandbox's account keys, when kassa's settings give none (kassa's sandbox mode names
# the same).
SECRET_KEY = "sk_test_kassa_sandbox"  # noqa: S105 - a sandbox value, never production
WEBHOOK_SECRET = "whsec_kassa_sandbox"  # noqa: S105 - a sandbox value, never production
# Stripe's test cards (https://docs.stripe.com/testing): brand, last4, funding, succeeds
TEST_CARDS = {
    "pm_card_visa": ("visa", "4242", "credit", True),
    "pm_card_visa_debit": ("visa", "5556", "debit", True),
    "pm_card_mastercard": ("mastercard", "4444", "credit", True),
    "pm_card_chargeDeclined": ("visa", "0002", "credit", False),
    # attaches to a Customer, then every charge is declined
    "pm_card_chargeCustomerFail": ("visa", "0341", "credit", False),
    # needs 3-D Secure on every payment: off-session it is declined, authentication_required
    "pm_card_authenticationRequired": ("visa", "3184", "credit", False),
}
DECLINE_CODES = {"pm_card_authenticationRequired": "authentication_required"}
# refused already when attached: Stripe checks the card then (a declined card is not saved)
REFUSED_ON_ATTACH = frozenset({"pm_card_chargeDeclined"})
# Smallest chargeable amounts, minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts)
MINIMUMS = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50,
    "thb": 1000,
}  # fmt: skip
MAXIMUM = 99_999_999
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (*CONFIRMABLE, "requires_capture", "processing")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
SESSION_LIFETIME = 24 * 3600


def _error(status: int, kind: str, message: str, **fields: Any) -> JSONResponse:
    """Stripe's error envelope: {"error": {type, message, code?, param?, doc_url?, …}}."""
    error: dict[str, Any] = {"type": kind, "message": message}
    error.update({k: v for k, v in fields.items() if v is not None})
    if "code" in error:
        error.setdefault("doc_url", f"{o.DOCS}/{str(error['code']).replace('_', '-')}")
    error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{o.new_id('req')}"
    return JSONResponse({"error": error}, status_code=status)


def _invalid(message: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    return _error(400, "invalid_request_error", message, param=param, code=code)


def _missing(kind: str, object_id: str, param: str = "id") -> JSONResponse:
    message = f"No such {kind}: '{object_id}'"
    return _error(404, "invalid_request_error", message, code="resource_missing", param=param)


def _unexpected_state(intent: dict[str, Any], action: str) -> JSONResponse:
    return _error(
        400,
        "invalid_request_error",
        f"This PaymentIntent's {action} could not be performed because it has a status of "
        f"{intent['status']}.",
        code="payment_intent_unexpected_state",
        payment_intent=intent,
    )


# The events kassa's webhook endpoint is set up to receive (kassa/providers/stripe/README.md
# tells an operator which to enable in the Dashboard). Stripe sends an endpoint only the
# events in its `enabled_events` ("['*'] indicates that all events are enabled";
# docs.stripe.com/api/webhook_endpoints/object); the sandbox's endpoint is set up as the
# README says, and `PUT /_webhook_endpoint` widens it to every event.
ENABLED_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.amount_capturable_updated",
        "checkout.session.completed",
        "checkout.session.expired",
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "refund.failed",
    }
)


CONTROLS = [
    Control(
        "POST",
        "/_dashboard/refund",
        '{"payment_intent", "amount"?}: a refund made in Stripe\'s Dashboard, outside kassa',
    ),
    Control("POST", "/_events/{payment_intent}/resend", "deliver its events again, as retries do"),
    Control(
        "PUT",
        "/_webhook_endpoint",
        '{"enabled_events": ["*"]}: send kassa every event, not only those it handles',
    ),
    *fault_controls(),
]


class WebhookEndpointSettings(BaseModel):
    enabled_events: list[str] = Field(min_length=1, max_length=100)


@dataclass
class StripeSandboxState:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    session_intent_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    declining: set[str] = field(default_factory=set)  # payment methods whose charges fail
    decline_codes: dict[str, str] = field(default_factory=dict)  # when not generic_decline
    faults: Faults = field(default_factory=Faults)
    enabled_events: frozenset[str] = ENABLED_EVENTS  # {"*"}: every event


class DashboardRefund(BaseModel):
    payment_intent: str = Field(max_length=64)
    amount: int | None = Field(default=None, ge=1)


def _amount_problem(params: dict[str, Any], name: str = "amount") -> JSONResponse | None:
    raw = params.get(name)
    if raw is None:
        return _invalid(f"Missing required param: {name}.", name, "parameter_missing")
    if not str(raw).isdigit():
        return _invalid(f"Invalid integer: {raw}", name, "parameter_invalid_integer")
    return None


def build(ctx: EmulatorContext) -> FastAPI:
    state = StripeSandboxState()
    app = new_emulator("stripe", state.faults)
    app.state.stripe = state
    secret_key = ctx.settings.value("STRIPE_SECRET_KEY") or SECRET_KEY
    webhook_secret = ctx.settings.value("STRIPE_WEBHOOK_SECRET") or WEBHOOK_SECRET
    webhook_url = f"{ctx.settings.public_url.rstrip('/')}/webhooks/stripe"
    base_url = f"{ctx.settings.sandbox_url}/stripe"

    @app.exception_handler(StarletteHTTPException)
    async def unrecognised(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Unknown routes and methods answer as Stripe's API does, not as FastAPI does."""
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        return _error(
            404 if exc.status_code == 404 else exc.status_code,
            "invalid_request_error",
            f"Unrecognized request URL ({request.method}: {path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    def event(kind: str, obj: dict[str, Any], request: Request | None = None) -> dict[str, Any]:
        key = request.headers.get("idempotency-key") if request is not None else None
        request_id = o.new_id("req") if request is not None else None
        evt = o.event(kind, json.loads(json.dumps(obj)), request_id, key)
        state.events.append(evt)
        return evt

    async def send(evt: dict[str, Any]) -> int:
        payload = json.dumps(evt).encode()
        t = int(time.time())
        mac = hmac.new(
            webhook_secret.encode(), f"{t}.".encode() + payload, hashlib.sha256
        ).hexdigest()
        await state.faults.delay()
        async with ctx.callbacks:
            response = await ctx.call_kassa(
                webhook_url,
                body=payload,
                headers={"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"},
            )
        return response.status

    def subscribed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events the webhook endpoint is set up to receive."""
        if "*" in state.enabled_events:
            return events
        return [e for e in events if e["type"] in state.enabled_events]

    async def deliver(events: list[dict[str, Any]]) -> None:
        """As Stripe delivers: at least once, in no guaranteed order."""
        sent = subscribed(events)
        batch = list(reversed(sent)) if state.faults.reverse_callbacks else sent
        for evt in batch:
            copies = 3 if state.faults.duplicate_callbacks else 1
            await asyncio.gather(*(send(evt) for _ in range(copies)))

    async def gate(request: Request) -> tuple[dict[str, Any], JSONResponse | None]:
        await state.faults.delay()
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {secret_key}":
            shown = auth.removeprefix("Bearer ")[:8] + "*" * 4 if auth else ""
            message = (
                f"Invalid API Key provided: {shown}" if auth else "You did not provide an API key."
            )
            return {}, _error(401, "invalid_request_error", message)
        failure = state.faults.take_failure(
            request.url.path.removeprefix(request.scope.get("root_path", ""))
        )
        if failure:
            return {}, _error(failure, "api_error", "Stripe is having a bad day")
        params = decode(await request.body()) if request.method == "POST" else {}
        if request.method == "GET":
            params = dict(request.query_params)
        return params, None

    def digest(request: Request, params: dict[str, Any]) -> str:
        return hashlib.sha256(
            json.dumps([request.url.path, params], sort_keys=True).encode()
        ).hexdigest()

    def replay(request: Request, params: dict[str, Any]) -> JSONResponse | None:
        key = request.headers.get("idempotency-key")
        seen = state.idempotency.get(key) if key else None
        if seen is None:
            return None
        if seen[0] != digest(request, params):
            return _error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with. Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
            )
        return JSONResponse(
            json.loads(seen[2]), status_code=seen[1], headers={"Idempotent-Replayed": "true"}
        )

    def remember(request: Request, params: dict[str, Any], response: JSONResponse) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        if key:
            state.idempotency[key] = (
                digest(request, params),
                response.status_code,
                bytes(response.body).decode(),
            )
        return response

    def method_for(pm_id: str) -> dict[str, Any] | None:
        if pm_id not in state.methods and pm_id in TEST_CARDS:
            brand, last4, funding, _ = TEST_CARDS[pm_id]
            state.methods[pm_id] = o.payment_method(pm_id, brand, last4, funding)
        return state.methods.get(pm_id)

    def new_card(test_card: str) -> dict[str, Any]:
        """A PaymentMethod of its own (a new pm_ id) made from one of Stripe's test cards,
        behaving as that card does: what attaching a test card makes, and what a card
        typed on Stripe's payment page is."""
        template = method_for(test_card)
        assert template is not None, test_card
        method = {**json.loads(json.dumps(template)), "id": o.new_id("pm")}
        if not TEST_CARDS[test_card][3]:
            state.declining.add(method["id"])
        if test_card in DECLINE_CODES:
            state.decline_codes[method["id"]] = DECLINE_CODES[test_card]
        state.methods[method["id"]] = method
        return method

    def succeeds(pm_id: str) -> bool:
        return pm_id not in state.declining and TEST_CARDS.get(pm_id, ("", "", "", True))[3]

    def attempt(
        intent: dict[str, Any], pm_id: str, request: Request | None
    ) -> tuple[bool, list[dict[str, Any]], JSONResponse | None]:
        """Confirm the intent with a payment method: charge it, or record the decline.
        Returns whether it succeeded, the events to send, and the 402 to answer if not."""
        method = state.methods[pm_id]
        intent["payment_method"] = pm_id
        ok = succeeds(pm_id)
        ch = o.charge(intent, method, paid=ok)
        ch["metadata"] = dict(intent["metadata"])
        state.charges[ch["id"]] = ch
        intent["latest_charge"] = ch["id"]
        if not ok:
            code = state.decline_codes.get(pm_id) or DECLINE_CODES.get(pm_id)
            error = o.card_error(method, ch, code)
            intent.update(status="requires_payment_method", last_payment_error=error)
            evt = event("payment_intent.payment_failed", intent, request)
            details = {k: v for k, v in error.items() if k not in ("type", "message")}
            answer = _error(402, "card_error", error["message"], **details, payment_intent=intent)
            return False, [evt], answer
        intent["last_payment_error"] = None
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
            return True, [event("payment_intent.amount_capturable_updated", intent, request)], None
        intent.update(status="succeeded", amount_received=intent["amount"])
        if intent["setup_future_usage"] and intent["customer"]:
            method["customer"] = intent["customer"]  # saved for later, as Stripe does
        events = [
            event("charge.succeeded", ch, request),
            event("payment_intent.succeeded", intent, request),
        ]
        return True, events, None

    # --- retrieving any object by its id ---------------------------------------------------

    def retrievable(
        path: str,
        kind: str,
        find: Callable[[str], dict[str, Any] | None],
        param: str = "id",
        expandable: dict[str, Callable[[str], dict[str, Any] | None]] | None = None,
    ) -> None:
        """GET of an object by its id, with `expand[]` as Stripe reads it: each field named
        (one marked expandable in the API reference) comes as the whole object instead of
        its id (docs.stripe.com/api/expanding_objects); any other is refused as Stripe
        refuses it. This emulator expands top-level fields only."""

        async def retrieve(request: Request, object_id: str) -> JSONResponse:
            _, denied = await gate(request)
            if denied:
                return denied
            found = find(object_id)
            if not found:
                return _missing(kind, object_id, param)
            asked = decode(request.url.query).get("expand") or []
            shown = dict(found)
            for name in asked if isinstance(asked, list) else [asked]:
                expand = (expandable or {}).get(str(name))
                if expand is None:
                    return _invalid(f"This property cannot be expanded ({name}).", "expand")
                if isinstance(shown.get(name), str):
                    shown[name] = expand(shown[name]) or shown[name]
            return JSONResponse(shown)

        app.add_api_route(path, retrieve, methods=["GET"])

    def event_by_id(evt_id: str) -> dict[str, Any] | None:
        return next((e for e in state.events if e["id"] == evt_id), None)

    retrievable("/v1/customers/{object_id}", "customer", state.customers.get)
    retrievable("/v1/payment_methods/{object_id}", "PaymentMethod", method_for)
    # the fields the API reference marks expandable, of the objects kassa expands
    retrievable(
        "/v1/payment_intents/{object_id}", "payment_intent", state.intents.get, "intent",
        {"payment_method": method_for, "customer": state.customers.get,
         "latest_charge": state.charges.get},
    )  # fmt: skip
    retrievable(
        "/v1/charges/{object_id}", "charge", state.charges.get, "id",
        {"payment_intent": state.intents.get, "customer": state.customers.get},
    )  # fmt: skip
    retrievable("/v1/refunds/{object_id}", "refund", state.refunds.get)
    retrievable("/v1/events/{object_id}", "event", event_by_id)
    retrievable("/v1/checkout/sessions/{object_id}", "checkout.session", state.sessions.get)

    # --- customers and payment methods -----------------------------------------------------

    @app.post("/v1/customers")
    async def create_customer(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        customer = o.customer(params)
        state.customers[customer["id"]] = customer
        return remember(request, params, JSONResponse(customer))

    @app.get("/v1/payment_methods")
    async def list_methods(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        customer = params.get("customer")
        found = [m for m in state.methods.values() if customer and m["customer"] == customer]
        return JSONResponse(o.listing("/v1/payment_methods", found))

    @app.post("/v1/payment_methods/{pm_id}/attach")
    async def attach(request: Request, pm_id: str) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        method = method_for(pm_id)
        if method is None:
            return _missing("PaymentMethod", pm_id)
        if not params.get("customer"):
            return _invalid("Missing required param: customer.", "customer", "parameter_missing")
        if params["customer"] not in state.customers:
            return _missing("customer", str(params["customer"]), "customer")
        if pm_id in REFUSED_ON_ATTACH:
            return _error(
                402,
                "card_error",
                "Your card was declined.",
                code="card_declined",
                decline_code="generic_decline",
            )
        if pm_id in TEST_CARDS:  # each attach of a test card makes a new card, as tokens do
            method = new_card(pm_id)
        method["customer"] = params["customer"]
        return JSONResponse(method)

    @app.post("/v1/payment_methods/{pm_id}/detach")
    async def detach(request: Request, pm_id: str) -> JSONResponse:
        _, denied = await gate(request)
        if denied:
            return denied
        method = state.methods.get(pm_id)
        if method is None:
            return _missing("PaymentMethod", pm_id)
        if method["customer"] is None:
            return _invalid(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        method["customer"] = None
        return JSONResponse(method)

    # --- payment intents -------------------------------------------------------------------

    def amount_refusal(amount: int, currency: str) -> JSONResponse | None:
        minimum = MINIMUMS.get(currency)
        if minimum is not None and amount < minimum:
            shown = to_major(minimum, currency)
            return _invalid(
                f"Amount must be at least {shown} {currency}", "amount", "amount_too_small"
            )
        if amount < 1:
            return _invalid("This value must be greater than or equal to 1.", "amount")
        if amount > MAXIMUM:
            return _invalid(
                f"Amount must be no more than {MAXIMUM} {currency}", "amount", "amount_too_large"
            )
        return None

    def validate_intent(params: dict[str, Any]) -> JSONResponse | None:
        if (problem := _amount_problem(params)) is not None:
            return problem
        currency = str(params.get("currency") or "")
        if not currency:
            return _invalid("Missing required param: currency.", "currency", "parameter_missing")
        if currency != currency.lower() or len(currency) != 3 or not currency.isalpha():
            return _invalid(f"Invalid currency: {currency}.", "currency", "invalid_currency")
        capture = params.get("capture_method")
        if capture is not None and capture not in ("automatic", "automatic_async", "manual"):
            return _invalid(
                "Invalid capture_method: must be one of automatic, automatic_async, or manual",
                "capture_method",
            )
        usage = params.get("setup_future_usage")
        if usage is not None and usage not in ("on_session", "off_session"):
            return _invalid("Invalid setup_future_usage", "setup_future_usage")
        customer = params.get("customer")
        if customer and customer not in state.customers:
            return _missing("customer", customer, "customer")
        return amount_refusal(int(params["amount"]), currency)

    @app.post("/v1/payment_intents")
    async def create_intent(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        if (problem := validate_intent(params)) is not None:
            return remember(request, params, problem)
        pm_id = params.get("payment_method")
        if pm_id and method_for(pm_id) is None:
            return remember(request, params, _missing("PaymentMethod", pm_id, "payment_method"))
        intent = o.payment_intent(params, int(params["amount"]), params["currency"])
        state.intents[intent["id"]] = intent
        events = [event("payment_intent.created", intent, request)]
        answer: JSONResponse | None = None
        if pm_id:
            intent.update(payment_method=pm_id, status="requires_confirmation")
            if params.get("confirm") == "true":
                _, more, answer = attempt(intent, pm_id, request)
                events += more
        later(state.tasks, deliver(events))
        return remember(request, params, answer or JSONResponse(intent))

    @app.get("/v1/payment_intents")
    async def list_intents(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        found = [
            i
            for i in reversed(state.intents.values())
            if not params.get("customer") or i["customer"] == params["customer"]
        ]
        limit = (
            min(int(params.get("limit", "10")), 100)
            if str(params.get("limit", "10")).isdigit()
            else 10
        )
        return JSONResponse(o.listing("/v1/payment_intents", found[:limit]))

    @app.post("/v1/payment_intents/{pi_id}/confirm")
    async def confirm_intent(request: Request, pi_id: str) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        intent = state.intents.get(pi_id)
        if intent is None:
            return _missing("payment_intent", pi_id, "intent")
        if intent["status"] not in CONFIRMABLE:
            return remember(request, params, _unexpected_state(intent, "confirm"))
        pm_id = params.get("payment_method") or intent["payment_method"]
        if not pm_id:
            return remember(
                request,
                params,
                _invalid(
                    "You cannot confirm this PaymentIntent because it's missing a payment "
                    "method. To confirm the PaymentIntent with "
                    f"{intent['customer'] or 'a customer'}, specify a payment method attached "
                    "to this customer along with the customer ID.",
                    code="payment_intent_unexpected_state",
                ),
            )
        if method_for(pm_id) is None:
            return remember(request, params, _missing("PaymentMethod", pm_id, "payment_method"))
        _, events, answer = attempt(intent, pm_id, request)
        later(state.tasks, deliver(events))
        return remember(request, params, answer or JSONResponse(intent))

    @app.post("/v1/payment_intents/{pi_id}/capture")
    async def capture_intent(request: Request, pi_id: str) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        intent = state.intents.get(pi_id)
        if intent is None:
            return _missing("payment_intent", pi_id, "intent")
        if intent["status"] != "requires_capture":
            return remember(request, params, _unexpected_state(intent, "capture"))
        asked = params.get("amount_to_capture")
        if asked is not None and (
            not str(asked).isdigit() or not 0 < int(asked) <= intent["amount_capturable"]
        ):
            return remember(
                request,
                params,
                _invalid(
                    "The amount to capture must be no more than the amount capturable",
                    "amount_to_capture",
                    "amount_too_large",
                ),
            )
        captured = int(asked) if asked is not None else intent["amount_capturable"]
        ch = state.charges[intent["latest_charge"]]
        ch.update(captured=True, amount_captured=captured, balance_transaction=o.new_id("txn"))
        intent.update(status="succeeded", amount_received=captured, amount_capturable=0)
        later(
            state.tasks,
            deliver(
                [
                    event("charge.captured", ch, request),
                    event("payment_intent.succeeded", intent, request),
                ]
            ),
        )
        return remember(request, params, JSONResponse(intent))

    @app.post("/v1/payment_intents/{pi_id}/cancel")
    async def cancel_intent(request: Request, pi_id: str) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        intent = state.intents.get(pi_id)
        if intent is None:
            return _missing("payment_intent", pi_id, "intent")
        if intent["status"] not in CANCELABLE:
            return remember(
                request,
                params,
                _error(
                    400,
                    "invalid_request_error",
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{intent['status']}. Only a PaymentIntent with one of the following "
                    "statuses may be canceled: requires_payment_method, requires_capture, "
                    "requires_confirmation, requires_action, processing.",
                    code="payment_intent_unexpected_state",
                    payment_intent=intent,
                ),
            )
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            return remember(
                request, params, _invalid("Invalid cancellation_reason", "cancellation_reason")
            )
        intent.update(
            status="canceled", cancellation_reason=reason, canceled_at=o.now(), amount_capturable=0
        )
        later(state.tasks, deliver([event("payment_intent.canceled", intent, request)]))
        return remember(request, params, JSONResponse(intent))

    # --- charges, refunds, events ----------------------------------------------------------

    def refund_charge(
        ch: dict[str, Any], amount: int | None, reason: str | None, request: Request | None
    ) -> tuple[dict[str, Any] | None, JSONResponse | None, list[dict[str, Any]]]:
        """Refund part or all of a charge; returns the refund, or Stripe's refusal, and the
        events to send."""
        left = ch["amount_captured"] - ch["amount_refunded"]
        if left <= 0:
            message = f"Charge {ch['id']} has already been refunded."
            return None, _invalid(message, code="charge_already_refunded"), []
        amount = left if amount is None else amount
        if amount > left:
            message = (
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            )
            return None, _invalid(message, "amount", "amount_too_large"), []
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] == ch["amount_captured"]
        refund = o.refund(ch, amount, reason)
        state.refunds[refund["id"]] = refund
        ch["refunds"]["data"].insert(0, refund)
        events = [event("charge.refunded", ch, request), event("refund.created", refund, request)]
        return refund, None, events

    @app.post("/v1/refunds")
    async def create_refund(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        ch: dict[str, Any] | None = None
        if params.get("charge"):
            ch = state.charges.get(str(params["charge"]))
            if ch is None:
                return remember(request, params, _missing("charge", params["charge"], "charge"))
        elif params.get("payment_intent"):
            intent = state.intents.get(str(params["payment_intent"]))
            if intent is None:
                return remember(
                    request,
                    params,
                    _missing("payment_intent", params["payment_intent"], "payment_intent"),
                )
            if intent["status"] != "succeeded":
                return remember(
                    request,
                    params,
                    _invalid(
                        f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                        "to refund.",
                        "payment_intent",
                        "charge_not_refundable" if intent["status"] == "canceled" else None,
                    ),
                )
            ch = state.charges[intent["latest_charge"]]
        else:
            return remember(
                request,
                params,
                _invalid(
                    "One of the following params should be provided for this request: "
                    "payment_intent or charge.",
                    code="parameter_missing",
                ),
            )
        raw = params.get("amount")
        if raw is not None and (problem := _amount_problem(params)) is not None:
            return remember(request, params, problem)
        reason = params.get("reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ):
            return remember(request, params, _invalid("Invalid reason", "reason"))
        refund, problem, events = refund_charge(
            ch, int(raw) if raw is not None else None, reason, request
        )
        later(state.tasks, deliver(events))
        return remember(request, params, problem or JSONResponse(refund))

    @app.get("/v1/refunds")
    async def list_refunds(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        found = [
            r
            for r in reversed(state.refunds.values())
            if not params.get("payment_intent") or r["payment_intent"] == params["payment_intent"]
        ]
        return JSONResponse(o.listing("/v1/refunds", found))

    # --- Checkout Sessions: Stripe's hosted payment page ----------------------------------

    def session_amount(params: dict[str, Any]) -> tuple[int, str] | JSONResponse:
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            return _invalid("You must specify `line_items` in `payment` mode.", "line_items")
        total, currency = 0, ""
        for index, item in enumerate(items):
            data = (item or {}).get("price_data") or {}
            where = f"line_items[{index}][price_data]"
            for name in ("unit_amount", "currency"):
                if not str(data.get(name, "")).strip() or (
                    name == "unit_amount" and not str(data[name]).isdigit()
                ):
                    param = f"{where}[{name}]"
                    return _invalid(f"Missing required param: {name}.", param, "parameter_missing")
            if currency and data["currency"] != currency:
                return _invalid("All line items must have the same currency.", where)
            quantity = str((item or {}).get("quantity", ""))
            if not quantity.isdigit() or int(quantity) < 1:
                param = f"line_items[{index}][quantity]"
                return _invalid("Missing required param: quantity.", param, "parameter_missing")
            currency = str(data["currency"])
            total += int(data["unit_amount"]) * int(quantity)
        return total, currency

    @app.post("/v1/checkout/sessions")
    async def create_session(request: Request) -> JSONResponse:
        params, denied = await gate(request)
        if denied:
            return denied
        if (seen := replay(request, params)) is not None:
            return seen
        if params.get("mode") != "payment":
            message = (
                "This emulator speaks Checkout in payment mode only."
                if params.get("mode")
                else "Missing required param: mode."
            )
            return remember(request, params, _invalid(message, "mode"))
        if not params.get("success_url"):
            missing = _invalid("Missing required param: success_url.", "success_url")
            return remember(request, params, missing)
        total = session_amount(params)
        if isinstance(total, JSONResponse):
            return remember(request, params, total)
        amount, currency = total
        if (problem := amount_refusal(amount, currency)) is not None:
            return remember(request, params, problem)
        customer = params.get("customer")
        if customer and customer not in state.customers:
            return remember(request, params, _missing("customer", customer, "customer"))
        session = o.checkout_session(params, amount, currency, "", o.now() + SESSION_LIFETIME)
        session["url"] = f"{base_url}/c/pay/{session['id']}"
        state.sessions[session["id"]] = session
        state.session_intent_data[session["id"]] = params.get("payment_intent_data") or {}
        return remember(request, params, JSONResponse(session))

    @app.post("/v1/checkout/sessions/{cs_id}/expire")
    async def expire_session(request: Request, cs_id: str) -> JSONResponse:
        _, denied = await gate(request)
        if denied:
            return denied
        session = state.sessions.get(cs_id)
        if session is None:
            return _missing("checkout.session", cs_id)
        if session["status"] != "open":
            return _invalid(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".'
            )
        session.update(status="expired", url=None)
        events = [event("checkout.session.expired", session, request)]
        intent = state.intents.get(session["payment_intent"] or "")
        if intent is not None and intent["status"] in CANCELABLE:
            intent.update(status="canceled", canceled_at=o.now(), cancellation_reason="abandoned")
            events.append(event("payment_intent.canceled", intent, request))
        later(state.tasks, deliver(events))
        return JSONResponse(session)

    # --- sandbox-only: a dashboard refund, resent events, the pages ------------------------

    @app.post("/_dashboard/refund")
    async def dashboard_refund(body: DashboardRefund) -> JSONResponse:
        intent = state.intents.get(body.payment_intent)
        if intent is None or intent["status"] != "succeeded":
            return JSONResponse({"error": "not refundable"}, status_code=400)
        refund, problem, events = refund_charge(
            state.charges[intent["latest_charge"]], body.amount, "requested_by_customer", None
        )
        await deliver(events)  # the dashboard answers once Stripe has told kassa
        return problem or JSONResponse(refund)

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
        return JSONResponse({"resent": len(subscribed(mine))})

    @app.put("/_webhook_endpoint")
    async def set_webhook_endpoint(settings: WebhookEndpointSettings) -> JSONResponse:
        """What the Dashboard's endpoint settings change: the events sent to kassa."""
        state.enabled_events = frozenset(settings.enabled_events)
        return JSONResponse({"enabled_events": sorted(state.enabled_events)})

    def page(
        request: Request, title: str, amount: int, currency: str, reference: str,
        result: Outcome | None = None, return_url: str | None = None,
    ) -> HTMLResponse:  # fmt: skip
        return checkout_page(
            request,
            provider="stripe",
            title=title,
            amount=money(amount, currency),
            reference=reference,
            note="Card 4242 4242 4242 4242",
            result=result,
            return_url=return_url,
        )

    async def pay_intent(intent: dict[str, Any], action: str) -> Outcome:
        """What Stripe.js does on confirmCardPayment with a good or a declined card: the
        card details typed become a new PaymentMethod (docs.stripe.com/api/payment_methods/create:
        PaymentMethods are made from the details Stripe.js collects; the stripe-node SDK's
        PaymentMethods.create says the same), never a test card's shared id, so two
        customers paying on the page never share a saved card."""
        pm_id = new_card("pm_card_visa" if action == "pay" else "pm_card_chargeDeclined")["id"]
        events = [event("payment_intent.processing", {**intent, "status": "processing"})]
        ok, more, _ = attempt(intent, pm_id, None)
        await deliver(events + more if ok else more)
        return Outcome("Payment successful.") if ok else declined(intent)

    def declined(intent: dict[str, Any]) -> Outcome:
        """A declined card leaves the PaymentIntent open for another (requires_payment_method):
        the page says why, as an error, and offers Pay again, as Stripe's page does."""
        error = intent.get("last_payment_error") or {}
        return Outcome(error.get("message") or "Your card was declined.", "error", retry=True)

    def status_of(intent: dict[str, Any]) -> Outcome | None:
        """What the page says when opened: nothing while it can be paid, the last decline
        while another card may still pay, else the intent's status."""
        if intent["status"] in CONFIRMABLE:
            return declined(intent) if intent.get("last_payment_error") else None
        if intent["status"] in ("succeeded", "requires_capture"):
            return Outcome(f"Status: {intent['status']}")
        return Outcome(f"Status: {intent['status']}", "info")

    def session_intent(session: dict[str, Any]) -> list[str]:
        """The session's PaymentIntent and its status, once the customer has tried to pay."""
        intent = state.intents.get(session["payment_intent"] or "")
        return [f"{intent['id']}: {intent['status']}"] if intent else []

    def session_status(session: dict[str, Any]) -> Outcome:
        return Outcome(
            f"Status: {session['status']}", "success" if session["status"] == "complete" else "info"
        )

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Sandbox page (Stripe's API has none at its root): the PaymentIntents and
        Checkout Sessions, each with its page while it can be paid."""
        of_sessions = {s["payment_intent"] for s in state.sessions.values()}
        made = [
            (
                intent["created"],
                Row(
                    pi_id,
                    money(intent["amount"], intent["currency"]),
                    intent["status"],
                    page=f"/checkout/{pi_id}" if intent["status"] in CONFIRMABLE else None,
                    detail=" · ".join(
                        str(x) for x in (intent.get("description"), intent["customer"]) if x
                    ),
                ),
            )
            for pi_id, intent in state.intents.items()
            if pi_id not in of_sessions  # listed with its session
        ]
        made += [
            (
                session["created"],
                Row(
                    cs_id,
                    money(session["amount_total"], session["currency"]),
                    session["status"],
                    page=f"/c/pay/{cs_id}" if session["status"] == "open" else None,
                    detail=" · ".join(["Checkout Session", *session_intent(session)]),
                ),
            )
            for cs_id, session in state.sessions.items()
        ]
        return index_page(
            request,
            provider="stripe",
            about="The part of Stripe's API kassa's SDK reaches (customers, payment methods, "
            "PaymentIntents, refunds, Checkout Sessions), with Stripe's refusals; events are "
            "signed and sent to kassa's webhook as Stripe sends them. Card 4242 4242 4242 4242 "
            "pays on the pages; Decline is a declined card, and the customer may try again.",
            payments=[row for _, row in sorted(made, key=lambda pair: pair[0])],
            controls=CONTROLS,
            faults=state.faults,
        )

    @app.get("/checkout/{pi_id}", response_class=HTMLResponse)
    async def intent_page(request: Request, pi_id: str) -> HTMLResponse:
        intent = state.intents.get(pi_id)
        if intent is None:
            return HTMLResponse("<h1>No such PaymentIntent</h1>", status_code=404)
        title = intent.get("description") or "Payment"
        return page(request, title, intent["amount"], intent["currency"], pi_id, status_of(intent))

    @app.post("/checkout/{pi_id}", response_class=HTMLResponse)
    async def intent_confirm(request: Request, pi_id: str) -> HTMLResponse:
        intent = state.intents.get(pi_id)
        action = await read_action(request)
        if intent is None or action is None:
            return HTMLResponse("<h1>No such PaymentIntent</h1>", status_code=404)
        title = intent.get("description") or "Payment"
        if intent["status"] not in CONFIRMABLE:
            result = status_of(intent)
        else:
            result = await pay_intent(intent, action)
        return page(request, title, intent["amount"], intent["currency"], pi_id, result)

    @app.get("/c/pay/{cs_id}", response_class=HTMLResponse)
    async def session_page(request: Request, cs_id: str) -> HTMLResponse:
        session = state.sessions.get(cs_id)
        if session is None:
            return HTMLResponse("<h1>No such Checkout Session</h1>", status_code=404)
        intent = state.intents.get(session["payment_intent"] or "")
        if session["status"] != "open":
            result: Outcome | None = session_status(session)
        else:
            result = status_of(intent) if intent is not None else None
        return page(
            request, "Checkout", session["amount_total"], session["currency"], cs_id, result,
            session["cancel_url"],
        )  # fmt: skip

    @app.post("/c/pay/{cs_id}", response_class=HTMLResponse)
    async def session_pay(request: Request, cs_id: str) -> HTMLResponse:
        """The customer pays on Stripe's page: the session's PaymentIntent is made (with
        `payment_intent_data`) and confirmed; a decline leaves the session open to retry."""
        session = state.sessions.get(cs_id)
        action = await read_action(request)
        if session is None or action is None:
            return HTMLResponse("<h1>No such Checkout Session</h1>", status_code=404)
        args = (request, "Checkout", session["amount_total"], session["currency"], cs_id)
        if session["status"] != "open":
            return page(*args, session_status(session))
        intent = state.intents.get(session["payment_intent"] or "")
        if intent is None:
            data = state.session_intent_data[cs_id]
            intent = o.payment_intent(
                {**data, "customer": session["customer"]},
                session["amount_total"],
                session["currency"],
            )
            state.intents[intent["id"]] = intent
            session["payment_intent"] = intent["id"]
        result = await pay_intent(intent, action)
        if intent["status"] in ("succeeded", "requires_capture"):
            session.update(status="complete", payment_status="paid", url=None)
            await deliver([event("checkout.session.completed", session)])
            return page(*args, result, session["success_url"])
        return page(*args, result)

    return app
