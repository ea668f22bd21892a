"""The Stripe emulator held against Stripe's own definitions: every object kassa's flows
make it return has the fields Stripe always returns, with the types and enum values of the
official SDK's typed resources; every refusal has Stripe's error shape and codes.

Field sets: the resource fixtures of Stripe's OpenAPI spec (stripe/openapi,
openapi/fixtures3.json, commit f6c2a48f), which list the fields an object always carries.
Types and enums: stripe-python's annotated resources (`stripe.PaymentIntent`, …), generated
from the same spec; enums are checked strictly (the SDK also admits unknown strings for
forward compatibility, Stripe itself answers only the listed ones).
"""

from __future__ import annotations

import sys
import typing
from typing import Any, Literal, Union, get_args, get_origin

import httpx
import stripe

from kassa.providers.stripe.plugin import SANDBOX_STRIPE_SECRET_KEY
from tests.conftest import bearer, unique
from tests.providers.test_stripe import elements_shop, topup

API = "/sandbox/stripe/v1"
KEY = {"Authorization": f"Bearer {SANDBOX_STRIPE_SECRET_KEY}"}
ALWAYS = {
    'payment_intent': frozenset(['amount', 'amount_capturable', 'amount_details', 'amount_received', 'application', 'application_fee_amount', 'automatic_payment_methods', 'canceled_at', 'cancellation_reason', 'capture_method', 'client_secret', 'confirmation_method', 'created', 'currency', 'customer', 'customer_account', 'description', 'excluded_payment_method_types', 'id', 'last_payment_error', 'latest_charge', 'livemode', 'managed_payments', 'metadata', 'next_action', 'object', 'on_behalf_of', 'payment_method', 'payment_method_configuration_details', 'payment_method_options', 'payment_method_types', 'processing', 'receipt_email', 'review', 'setup_future_usage', 'shipping', 'source', 'statement_descriptor', 'statement_descriptor_suffix', 'status', 'transfer_data', 'transfer_group']),
    'payment_method': frozenset(['allow_redisplay', 'billing_details', 'card', 'created', 'customer', 'customer_account', 'id', 'livemode', 'metadata', 'object', 'type']),
    'customer': frozenset(['address', 'balance', 'created', 'currency', 'default_source', 'delinquent', 'description', 'discount', 'email', 'id', 'invoice_prefix', 'invoice_settings', 'livemode', 'metadata', 'name', 'next_invoice_sequence', 'object', 'phone', 'preferred_locales', 'shipping', 'tax_exempt', 'test_clock']),
    'refund': frozenset(['amount', 'balance_transaction', 'charge', 'created', 'currency', 'customer', 'customer_account', 'destination_details', 'id', 'metadata', 'object', 'payment_intent', 'payment_method', 'reason', 'receipt_number', 'source_transfer_reversal', 'status', 'transfer_reversal']),
    'event': frozenset(['api_version', 'created', 'data', 'id', 'livemode', 'object', 'pending_webhooks', 'request', 'type']),
    'charge': frozenset(['amount', 'amount_captured', 'amount_refunded', 'application', 'application_fee', 'application_fee_amount', 'balance_transaction', 'billing_details', 'calculated_statement_descriptor', 'captured', 'created', 'currency', 'customer', 'description', 'disputed', 'failure_balance_transaction', 'failure_code', 'failure_message', 'fraud_details', 'id', 'livemode', 'metadata', 'object', 'on_behalf_of', 'outcome', 'paid', 'payment_intent', 'payment_method', 'payment_method_details', 'receipt_email', 'receipt_number', 'receipt_url', 'refunded', 'refunds', 'review', 'shipping', 'source', 'source_transfer', 'statement_descriptor', 'statement_descriptor_suffix', 'status', 'transfer_data', 'transfer_group']),
    'checkout.session': frozenset(['adaptive_pricing', 'after_expiration', 'allow_promotion_codes', 'amount_subtotal', 'amount_total', 'automatic_tax', 'billing_address_collection', 'cancel_url', 'client_reference_id', 'client_secret', 'collected_information', 'consent', 'consent_collection', 'created', 'currency', 'currency_conversion', 'custom_fields', 'custom_text', 'customer', 'customer_account', 'customer_creation', 'customer_details', 'customer_email', 'discounts', 'expires_at', 'id', 'integration_identifier', 'invoice', 'invoice_creation', 'livemode', 'locale', 'managed_payments', 'metadata', 'mode', 'object', 'origin_context', 'payment_intent', 'payment_link', 'payment_method_collection', 'payment_method_configuration_details', 'payment_method_options', 'payment_method_types', 'payment_status', 'permissions', 'phone_number_collection', 'recovered_from', 'saved_payment_method_options', 'setup_intent', 'shipping_address_collection', 'shipping_cost', 'shipping_options', 'status', 'submit_type', 'subscription', 'success_url', 'total_details', 'ui_mode', 'url', 'wallet_options']),
}
RESOURCES = {
    "payment_intent": stripe.PaymentIntent, "payment_method": stripe.PaymentMethod,
    "customer": stripe.Customer, "refund": stripe.Refund, "event": stripe.Event,
    "charge": stripe.Charge, "checkout.session": stripe.checkout.Session,
}


class _Unknown:
    """A name the SDK imports only for type checking: some other Stripe object."""


class _Names(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return _Unknown


def sdk_fields(cls: type) -> dict[str, Any]:
    """The SDK's annotations of a resource, its own fields only."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("stripe"):
            continue
        names = _Names({**vars(typing), **vars(stripe), **vars(sys.modules[klass.__module__]),
                        **dict(vars(klass))})
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_"):
                continue
            resolved = eval(annotation, {}, names) if isinstance(annotation, str) else annotation
            if get_origin(resolved) is typing.ClassVar:
                continue
            out[name] = resolved
    return out


def mismatch(value: Any, annotation: Any, path: str) -> str | None:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation in (Any, _Unknown) or isinstance(annotation, typing.ForwardRef | typing.TypeVar):
        return None
    if origin is Union:
        if value is None:
            return None if type(None) in args else f"{path}: null where Stripe never sends null"
        literals = {v for a in args if get_origin(a) is Literal for v in get_args(a)}
        if literals and isinstance(value, str):
            return None if value in literals else f"{path}: {value!r} not in {sorted(literals)}"
        problems = [mismatch(value, a, path) for a in args if a is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is Literal:
        return None if value in args else f"{path}: {value!r} not in {list(args)}"
    if value is None:
        return f"{path}: null where Stripe never sends null"
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return f"{path}: not a list"
        return next((m for i, v in enumerate(value) if (m := mismatch(v, args[0], f"{path}[{i}]"))), None)
    if origin in (dict, typing.Dict, typing.Mapping) or (isinstance(origin, type) and issubclass(origin, dict)):  # noqa: UP006
        return None if isinstance(value, dict) else f"{path}: not an object"
    if annotation is bool:
        return None if isinstance(value, bool) else f"{path}: not a boolean"
    if annotation is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else f"{path}: not an integer"
    if annotation is float:
        return None if isinstance(value, int | float) else f"{path}: not a number"
    if annotation is str:
        return None if isinstance(value, str) else f"{path}: not a string"
    klass = origin or annotation
    if isinstance(klass, type) and issubclass(klass, stripe.StripeObject):
        if not isinstance(value, dict):
            return f"{path}: not an object"
        hints = sdk_fields(klass) if origin is None else {}
        return next((m for k, v in value.items() if k in hints
                     and (m := mismatch(v, hints[k], f"{path}.{k}"))), None)
    return None


def conforms(obj: dict[str, Any]) -> list[str]:
    kind = obj["object"]
    problems = [f"{kind}: missing {name}" for name in sorted(ALWAYS[kind] - set(obj))]
    hints = sdk_fields(RESOURCES[kind])
    problems += [f"{kind}: {name} is not a field Stripe has" for name in obj if name not in hints]
    problems += [m for name, value in obj.items() if name in hints
                 and (m := mismatch(value, hints[name], f"{kind}.{name}"))]
    return problems


def test_the_check_itself_finds_what_stripe_would_not_send() -> None:
    intent = {name: None for name in ALWAYS["payment_intent"]} | {"object": "payment_intent"}
    intent.update(id="pi_1", amount=100, amount_capturable=0, amount_received=0, capture_method="automatic",
                  confirmation_method="automatic", created=1, currency="usd", livemode=False, metadata={},
                  payment_method_types=["card"], status="requires_payment_method")
    assert conforms(intent) == []
    assert conforms({**intent, "status": "paid"}) == [
        "payment_intent.status: 'paid' not in ['canceled', 'processing', 'requires_action', 'requires_capture', "
        "'requires_confirmation', 'requires_payment_method', 'succeeded']"]
    assert conforms({k: v for k, v in intent.items() if k != "latest_charge"}) == ["payment_intent: missing latest_charge"]
    assert conforms({**intent, "amount": "100"}) == ["payment_intent.amount: not an integer"]
    assert conforms({**intent, "invented": 1}) == ["payment_intent: invented is not a field Stripe has"]
    assert conforms({**intent, "amount": None}) == ["payment_intent.amount: null where Stripe never sends null"]


def error_shape(response: httpx.Response, status: int, code: str | None, param: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] in ("invalid_request_error", "card_error", "idempotency_error", "api_error")
    assert isinstance(error["message"], str) and error["message"]
    assert error.get("code") == code and error.get("param") == param, error
    if code:
        assert error["doc_url"].startswith("https://stripe.com/docs/error-codes/")
    return error


async def test_every_object_kassas_flows_produce_is_shaped_as_stripes(client: httpx.AsyncClient) -> None:
    admin = bearer("admin-1", role="admin")
    paid, _org, user = await topup(client, 5_000)  # on Stripe's hosted Checkout page
    await client.post(paid["checkout_url"], data={"action": "decline"})
    await client.post(paid["checkout_url"], data={"action": "pay"})
    await client.post(f"/api/v1/payments/{paid['id']}/refunds", json={"amount": 1_000}, headers=admin)
    paid = (await client.get(f"/api/v1/payments/{paid['id']}", headers=admin)).json()
    cancelled, _, _ = await topup(client, 5_000, shop_id=await elements_shop(client))  # Stripe.js
    await client.post(f"/api/v1/payments/{cancelled['id']}/cancel", headers=admin)
    card = await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                             headers=bearer(user))
    assert card.status_code == 201, card.text

    objects: list[dict[str, Any]] = []
    for pi in (paid["provider_payment_id"], cancelled["provider_payment_id"]):
        intent = (await client.get(f"{API}/payment_intents/{pi}", headers=KEY)).json()
        objects.append(intent)
        charge = (await client.get(f"{API}/charges/{intent['latest_charge']}", headers=KEY)).json() \
            if intent["latest_charge"] else None
        if charge:
            objects.append(charge)
            objects += charge["refunds"]["data"]
    refunds = (await client.get(f"{API}/refunds", params={"payment_intent": paid["provider_payment_id"]},
                                headers=KEY)).json()
    assert refunds["object"] == "list" and refunds["data"]
    method = (await client.get(f"{API}/payment_methods/pm_card_visa", headers=KEY)).json()
    customer = (await client.post(f"{API}/customers", headers=KEY, data={"metadata[k]": "v"})).json()
    listed = (await client.get(f"{API}/payment_intents", params={"limit": "1"}, headers=KEY)).json()
    assert listed["object"] == "list" and len(listed["data"]) == 1
    objects += [method, customer, *refunds["data"], *listed["data"]]
    kinds = {obj["object"] for obj in objects}
    assert kinds >= {"payment_intent", "charge", "refund", "payment_method", "customer"}
    problems = [p for obj in objects for p in conforms(obj)]
    assert problems == [], problems
    assert objects[0]["status"] == "succeeded" and objects[0]["capture_method"] == "automatic_async"
    assert objects[0]["last_payment_error"] is None
    failed_attempts = [o for o in objects if o["object"] == "charge" and o["status"] == "failed"]
    assert failed_attempts == [] or failed_attempts[0]["failure_code"] == "card_declined"


async def test_events_and_sessions_are_shaped_as_stripes(client: httpx.AsyncClient) -> None:
    session = (await client.post(f"{API}/checkout/sessions", headers=KEY, data={
        "mode": "payment", "success_url": "https://shop.example/ok",
        "line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "2500",
        "line_items[0][price_data][product_data][name]": "Pro", "line_items[0][quantity]": "1",
        "payment_intent_data[metadata][payment_id]": "pay_x"})).json()
    assert conforms(session) == []
    assert session["status"] == "open" and session["payment_status"] == "unpaid" and session["amount_total"] == 2500
    page = await client.post(session["url"], data={"action": "pay"})
    assert "successful" in page.text
    done = (await client.get(f"{API}/checkout/sessions/{session['id']}", headers=KEY)).json()
    assert done["status"] == "complete" and done["payment_status"] == "paid" and done["payment_intent"]
    intent = (await client.get(f"{API}/payment_intents/{done['payment_intent']}", headers=KEY)).json()
    assert intent["metadata"] == {"payment_id": "pay_x"} and intent["status"] == "succeeded"
    assert conforms(done) == [] and conforms(intent) == []
    expired = await client.post(f"{API}/checkout/sessions/{session['id']}/expire", headers=KEY)
    error_shape(expired, 400, None)


async def test_refusals_are_stripes(client: httpx.AsyncClient) -> None:
    def form(**fields: str) -> dict[str, str]:
        return fields

    small = await client.post(f"{API}/payment_intents", headers=KEY, data=form(amount="1", currency="usd"))
    error_shape(small, 400, "amount_too_small", "amount")
    assert "at least 0.50 usd" in small.json()["error"]["message"]
    missing = await client.post(f"{API}/payment_intents", headers=KEY, data=form(currency="usd"))
    error_shape(missing, 400, "parameter_missing", "amount")
    nobody = await client.get(f"{API}/payment_intents/pi_nope", headers=KEY)
    error_shape(nobody, 404, "resource_missing", "intent")
    unknown = await client.post(f"{API}/payment_intents/pi_nope/explode", headers=KEY)
    assert unknown.status_code == 404 and "Unrecognized request URL" in unknown.json()["error"]["message"]
    assert (await client.get(f"{API}/payment_intents", headers={"Authorization": "Bearer sk_wrong"})).status_code == 401

    manual = (await client.post(f"{API}/payment_intents", headers=KEY, data=form(
        amount="5000", currency="usd", capture_method="manual", payment_method="pm_card_visa", confirm="true"))).json()
    assert manual["status"] == "requires_capture" and manual["amount_capturable"] == 5000 and manual["amount_received"] == 0
    assert conforms(manual) == []
    too_much = await client.post(f"{API}/payment_intents/{manual['id']}/capture", headers=KEY,
                                 data=form(amount_to_capture="5001"))
    error_shape(too_much, 400, "amount_too_large", "amount_to_capture")
    captured = (await client.post(f"{API}/payment_intents/{manual['id']}/capture", headers=KEY,
                                  data=form(amount_to_capture="3000"))).json()
    assert captured["status"] == "succeeded" and captured["amount_received"] == 3000
    again = await client.post(f"{API}/payment_intents/{manual['id']}/capture", headers=KEY)
    error_shape(again, 400, "payment_intent_unexpected_state")
    cancel_paid = await client.post(f"{API}/payment_intents/{manual['id']}/cancel", headers=KEY)
    error_shape(cancel_paid, 400, "payment_intent_unexpected_state")
    over = await client.post(f"{API}/refunds", headers=KEY, data=form(payment_intent=manual["id"], amount="3001"))
    error_shape(over, 400, "amount_too_large", "amount")
    by_charge = await client.post(f"{API}/refunds", headers=KEY, data=form(charge=captured["latest_charge"]))
    assert by_charge.status_code == 200 and by_charge.json()["amount"] == 3000 and conforms(by_charge.json()) == []
    twice = await client.post(f"{API}/refunds", headers=KEY, data=form(charge=captured["latest_charge"]))
    error_shape(twice, 400, "charge_already_refunded")

    declined = await client.post(f"{API}/payment_intents", headers=KEY, data=form(
        amount="5000", currency="usd", payment_method="pm_card_chargeDeclined", confirm="true"))
    error = error_shape(declined, 402, "card_declined")
    assert error["type"] == "card_error" and error["decline_code"] == "generic_decline"
    assert error["charge"].startswith("ch_") and error["payment_method"]["id"] == "pm_card_chargeDeclined"
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method" and intent["last_payment_error"]["charge"] == error["charge"]
    retried = (await client.post(f"{API}/payment_intents/{intent['id']}/confirm", headers=KEY,
                                 data=form(payment_method="pm_card_visa"))).json()
    assert retried["status"] == "succeeded" and retried["last_payment_error"] is None  # a decline is not final
    cancelled = (await client.post(f"{API}/payment_intents", headers=KEY, data=form(amount="900", currency="eur"))).json()
    cancelled = (await client.post(f"{API}/payment_intents/{cancelled['id']}/cancel", headers=KEY)).json()
    assert cancelled["cancellation_reason"] is None and cancelled["canceled_at"]  # nothing invented

    key = {**KEY, "Idempotency-Key": unique("k")}
    first = await client.post(f"{API}/customers", headers=key, data=form(email="a@shop.example"))
    replayed = await client.post(f"{API}/customers", headers=key, data=form(email="a@shop.example"))
    assert replayed.json()["id"] == first.json()["id"] and replayed.headers["idempotent-replayed"] == "true"
    conflict = await client.post(f"{API}/customers", headers=key, data=form(email="b@shop.example"))
    assert conflict.status_code == 400 and conflict.json()["error"]["type"] == "idempotency_error"
