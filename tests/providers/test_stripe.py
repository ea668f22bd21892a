"""Stripe through the official SDK against the emulator: top-ups, signed events, refunds, cards."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.providers.stripe.mapping import HANDLED_EVENTS
from kassa.providers.stripe.plugin import SANDBOX_STRIPE_WEBHOOK_SECRET
from kassa.runtime import Runtime
from kassa.sandbox.stripe.app import ENABLED_EVENTS
from tests.conftest import bearer, unique


async def topup(client: httpx.AsyncClient, amount: int = 5_000, **extra: Any) -> tuple[dict[str, Any], str, str]:
    org, user = unique("org"), unique("u")
    response = await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": amount, "currency": "USD", "purpose": "wallet_topup",
        "organization_id": org, **extra}, headers=bearer(user, orgs=[org]))
    assert response.status_code == 201, response.text
    return response.json(), org, user


async def settle() -> None:
    await asyncio.sleep(0.3)  # events the emulator sends after its API answers


async def wallet(client: httpx.AsyncClient, org: str, user: str) -> list[dict[str, Any]]:
    body = (await client.get(f"/api/v1/wallets/{org}", headers=bearer(user, orgs=[org]))).json()
    balances: list[dict[str, Any]] = body["balances"]
    return balances


async def status(client: httpx.AsyncClient, payment: dict[str, Any], user: str, org: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/payments/{payment['id']}",
                                             headers=bearer(user, orgs=[org] if org else None))).json()
    return body


def signed(event: dict[str, Any], *, secret: str = SANDBOX_STRIPE_WEBHOOK_SECRET, t: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    ts = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={ts},v1={mac}"


async def elements_shop(client: httpx.AsyncClient) -> str:
    """A shop that embeds Stripe.js: its payments are PaymentIntents with a client_secret."""
    shop_id = unique("web")
    made = await client.post("/api/v1/admin/merchants", json={
        "shop_id": shop_id, "provider": "stripe", "credentials": {"checkout": "elements"}},
        headers=bearer("admin-1", role="admin"))
    assert made.status_code == 201, made.text
    return shop_id


async def test_a_hosted_checkout_payment_is_paid_and_credited_once(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client)
    assert payment["provider_payment_id"].startswith("cs_") and payment["client_secret"] is None
    assert "/sandbox/stripe/c/pay/cs_" in payment["checkout_url"] and payment["status"] == "pending"
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    paid = await status(client, payment, user, org)
    assert paid["status"] == "succeeded" and paid["provider_payment_id"].startswith("pi_")
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 5_000}]
    again = await client.get(payment["checkout_url"])
    assert "complete" in again.text
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user, orgs=[org]))
    assert synced.json()["status"] == "succeeded"


async def test_a_wallet_topup_is_paid_and_credited_once(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client, shop_id=await elements_shop(client))
    assert payment["client_secret"].startswith(payment["provider_payment_id"] + "_secret_")
    assert payment["provider_payment_id"].startswith("pi_") and payment["status"] == "pending"
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    assert (await status(client, payment, user, org))["status"] == "succeeded"
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 5_000}]

    resent = await client.post(f"/sandbox/stripe/_events/{payment['provider_payment_id']}/resend")
    assert resent.json()["resent"] == 2  # processing, succeeded: what the endpoint is set up for
    ledger = (await client.get(f"/api/v1/wallets/{org}/transactions", headers=bearer(user, orgs=[org]))).json()
    assert ledger["total"] == 1 and ledger["items"][0]["amount"] == 5_000


async def test_three_deliveries_out_of_order_credit_once(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client, amount=7_000)
    await client.put("/sandbox/stripe/_faults", json={"duplicate_callbacks": True, "reverse_callbacks": True})
    try:
        await client.post(payment["checkout_url"], data={"action": "pay"})
    finally:
        await client.put("/sandbox/stripe/_faults", json={})
    body = await status(client, payment, user, org)
    assert body["status"] == "succeeded"  # 'succeeded' came first; the later 'processing' changed nothing
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 7_000}]
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user, orgs=[org]))).json()
    assert sum(e["status"] == "succeeded" and not e["error_message"] for e in events["items"]) == 1


async def test_a_declined_card_fails_the_payment(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client)
    await client.post(payment["checkout_url"], data={"action": "decline"})
    body = await status(client, payment, user, org)
    assert body["status"] == "failed" and body["failure_code"] == "generic_decline"
    assert await wallet(client, org, user) == []


@pytest.mark.parametrize("case", ["wrong secret", "missing", "stale", "altered", "not utf-8", "garbage header"])
async def test_unverified_events_are_refused_and_change_nothing(client: httpx.AsyncClient, case: str) -> None:
    payment, org, user = await topup(client)
    intent = {"id": payment["provider_payment_id"], "object": "payment_intent", "status": "succeeded",
              "amount": 5_000, "amount_received": 5_000, "currency": "usd", "metadata": {"payment_id": payment["id"]}}
    event = {"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded", "data": {"object": intent}}
    payload, header = signed(event, secret="whsec_wrong" if case == "wrong secret" else SANDBOX_STRIPE_WEBHOOK_SECRET,
                             t=int(time.time()) - 301 if case == "stale" else None)
    headers = {"Stripe-Signature": header, "Content-Type": "application/json"}
    if case == "missing":
        headers.pop("Stripe-Signature")
    if case == "altered":
        payload = payload.replace(b'"amount": 5000', b'"amount": 5001')
    if case == "not utf-8":
        payload = b"\xff\xfe" + payload
    if case == "garbage header":
        headers["Stripe-Signature"] = "nonsense"
    response = await client.post("/webhooks/stripe", content=payload, headers=headers)
    assert response.status_code == 400
    assert (await status(client, payment, user, org))["status"] == "pending"


async def test_a_signed_event_with_the_wrong_amount_does_not_succeed(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client)
    intent = {"id": payment["provider_payment_id"], "object": "payment_intent", "status": "succeeded",
              "amount": 1, "amount_received": 1, "currency": "usd", "metadata": {"payment_id": payment["id"]}}
    payload, header = signed({"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
                              "data": {"object": intent}})
    response = await client.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 200 and response.json()["outcome"] == "rejected"
    assert (await status(client, payment, user, org))["status"] == "pending"
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user, orgs=[org]))).json()
    assert any("rejected" in (e["error_message"] or "") for e in events["items"])


async def test_other_events_are_acknowledged_and_ignored(client: httpx.AsyncClient) -> None:
    payload, header = signed({"id": unique("evt"), "object": "event", "type": "customer.created",
                              "data": {"object": {"id": "cus_1"}}})
    response = await client.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 200 and response.json()["ignored"] == "customer.created"


async def test_an_endpoint_receiving_every_event_still_credits_once(client: httpx.AsyncClient) -> None:
    """An operator who enabled every event (['*']) gets intents created, charges and the rest
    too, duplicated and newest first here: kassa acknowledges what it does not handle."""
    payment, org, user = await topup(client, amount=6_000, shop_id=await elements_shop(client))
    await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": ["*"]})
    await client.put("/sandbox/stripe/_faults", json={"duplicate_callbacks": True, "reverse_callbacks": True})
    try:
        await client.post(payment["checkout_url"], data={"action": "pay"})
        resent = await client.post(f"/sandbox/stripe/_events/{payment['provider_payment_id']}/resend")
    finally:
        await client.put("/sandbox/stripe/_faults", json={})
        await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": sorted(ENABLED_EVENTS)})
    assert resent.json()["resent"] == 4  # created, processing, charge.succeeded, succeeded
    assert (await status(client, payment, user, org))["status"] == "succeeded"
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 6_000}]


def test_the_sandbox_endpoint_is_set_up_as_the_readme_says_and_kassa_handles_each_event() -> None:
    readme = (Path(__file__).resolve().parents[2] / "kassa/providers/stripe/README.md").read_text()
    assert ENABLED_EVENTS == HANDLED_EVENTS
    assert all(f"`{kind}`" in readme for kind in HANDLED_EVENTS)


async def test_refunds_in_kassa_and_in_the_dashboard(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    payment, org, user = await topup(client, amount=10_000)
    await client.post(payment["checkout_url"], data={"action": "pay"})

    partial = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 2_500}, headers=admin)
    assert partial.status_code == 201 and partial.json()["status"] == "succeeded"
    await settle()
    body = await status(client, payment, user, org)
    assert body["status"] == "partially_refunded" and body["refunded_amount"] == 2_500
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 7_500}]

    intent = body["provider_payment_id"]  # the Checkout Session's PaymentIntent, once paid
    dashboard = await client.post("/sandbox/stripe/_dashboard/refund",
                                  json={"payment_intent": intent, "amount": 1_500})
    assert dashboard.status_code == 200
    body = await status(client, payment, user, org)
    assert body["status"] == "partially_refunded" and body["refunded_amount"] == 4_000
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 6_000}]

    too_much = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 6_001}, headers=admin)
    assert too_much.status_code == 409
    rest = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert rest.json()["amount"] == 6_000
    await settle()
    body = await status(client, payment, user, org)
    assert body["status"] == "refunded" and body["refunded_amount"] == 10_000
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 0}]
    invoice = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"][0]
    assert invoice["status"] == "refunded"


async def test_cancel_and_sync_through_the_sdk(client: httpx.AsyncClient) -> None:
    payment, org, user = await topup(client)
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user, orgs=[org]))
    assert synced.json()["status"] == "pending"
    cancelled = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user, orgs=[org]))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    page = await client.get(payment["checkout_url"])
    assert "expired" in page.text  # the Checkout Session was expired at Stripe
    intent, _, _ = await topup(client, shop_id=await elements_shop(client))
    gone = await client.post(f"/api/v1/payments/{intent['id']}/cancel",
                             headers=bearer(intent["user_id"], orgs=[intent["organization_id"]]))
    assert gone.json()["status"] == "cancelled" and "canceled" in (await client.get(intent["checkout_url"])).text


async def test_saved_cards_pay_off_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    org, user = unique("org"), unique("u")
    headers = bearer(user, orgs=[org])
    saved = await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_visa", "organization_id": org}, headers=headers)
    assert saved.status_code == 201, saved.text
    card = saved.json()
    assert (card["brand"], card["last4"], card["exp_month"]) == ("visa", "4242", 12) and card["is_default"]
    paid = await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 3_000, "currency": "EUR", "purpose": "wallet_topup",
        "organization_id": org, "payment_method_id": card["id"]}, headers=headers)
    assert paid.status_code == 201 and paid.json()["status"] == "succeeded"
    await settle()
    assert await wallet(client, org, user) == [{"currency": "EUR", "amount": 3_000}]

    declined_card = (await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_chargeCustomerFail", "organization_id": org}, headers=headers)).json()
    declined = await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 3_000, "currency": "EUR", "purpose": "wallet_topup",
        "organization_id": org, "payment_method_id": declined_card["id"]}, headers=headers)
    assert declined.status_code == 201 and declined.json()["status"] == "failed"
    assert declined.json()["failure_code"] == "generic_decline"

    from sqlalchemy import select

    from kassa.db.models import ProviderCustomer

    async with runtime.db.transaction() as session:
        owners = (await session.execute(select(ProviderCustomer.owner).where(
            ProviderCustomer.owner == f"org:{org}"))).scalars().all()
    assert owners == [f"org:{org}"]  # one Stripe customer for the organisation
    removed = await client.delete(f"/api/v1/payment-methods/{card['id']}", headers=headers)
    assert removed.status_code == 204, removed.text


async def test_wallets_are_for_members_only(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    payment, org, user = await topup(client)
    await client.post(payment["checkout_url"], data={"action": "pay"})
    assert (await client.get(f"/api/v1/wallets/{org}", headers=bearer(unique("u")))).status_code == 404
    assert (await client.get(f"/api/v1/wallets/{org}/transactions",
                             headers=bearer(user, orgs=["other-org"]))).status_code == 404
    assert (await client.get(f"/api/v1/wallets/{org}", headers=admin)).json()["balances"][0]["amount"] == 5_000
    stranger = await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 100, "currency": "USD", "purpose": "wallet_topup",
        "organization_id": org}, headers=bearer(unique("u")))
    assert stranger.status_code == 404


async def test_stripe_errors_are_provider_errors(client: httpx.AsyncClient) -> None:
    user = unique("u")
    await client.put("/sandbox/stripe/_faults", json={"fail_status": 500, "fail_method": "/v1/checkout/sessions"})
    try:
        response = await client.post("/api/v1/payments", json={
            "provider": "stripe", "amount": 100, "currency": "USD"}, headers=bearer(user))
    finally:
        await client.put("/sandbox/stripe/_faults", json={})
    assert response.status_code == 502 and response.json()["code"] == "provider_error"
    assert "sk_test" not in response.text
    too_big = await client.post("/api/v1/payments", json={
        "provider": "stripe", "amount": 100_000_000, "currency": "USD"}, headers=bearer(user))
    assert too_big.status_code == 422 and "at most" in too_big.json()["detail"]  # said before any call
    items = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"]
    assert [i["status"] for i in items] == ["pending"]  # the 500 left it for reconciliation


async def test_a_declined_card_then_a_good_one_is_a_paid_payment(client: httpx.AsyncClient) -> None:
    """Stripe's payment_failed is not final: the customer tries another card on the same
    PaymentIntent and Stripe holds the money, so kassa must credit it."""
    payment, org, user = await topup(client)
    declined = await client.post(payment["checkout_url"], data={"action": "decline"})
    assert "declined" in declined.text
    assert (await status(client, payment, user, org))["status"] == "failed"
    paid = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in paid.text
    after = await status(client, payment, user, org)
    assert after["status"] == "succeeded" and after["paid_at"]
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": 5_000}]


async def test_a_provider_without_its_key_is_refused_clearly_not_a_500(settings: Any, runtime: Runtime) -> None:
    from kassa.app import create_app
    from kassa.providers.registry import build_registry

    keyless = settings.model_copy(update={"sandbox": False, "stripe_secret_key": None})
    rt = Runtime(settings=keyless, db=runtime.db, http=runtime.http, providers=build_registry(keyless, runtime.http),
                 box=runtime.box, redis=runtime.redis, limiter=runtime.limiter)
    assert "stripe" in rt.providers.unconfigured()
    user = unique("u")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(keyless, runtime=rt)),
                                 base_url="http://kassa") as client:
        refused = await client.post("/api/v1/payments", json={"provider": "stripe", "amount": 5_000,
                                                              "currency": "USD"}, headers=bearer(user))
        assert refused.status_code == 422, refused.text
        assert "stripe is not configured" in refused.json()["detail"]
        assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 0
        cards = await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                                  headers=bearer(user))
        assert cards.status_code == 422


def _variant(settings: Any, runtime: Runtime, **changes: Any) -> Runtime:
    """The test runtime's parts with other settings and a registry (and SDK clients) of its own."""
    from kassa.providers.registry import build_registry

    changed = settings.model_copy(update=changes)
    return Runtime(settings=changed, db=runtime.db, http=runtime.http,
                   providers=build_registry(changed, runtime.http), box=runtime.box,
                   redis=runtime.redis, limiter=runtime.limiter)


async def test_a_stripe_call_slower_than_the_provider_timeout_is_given_up(
        client: httpx.AsyncClient, settings: Any, runtime: Runtime) -> None:
    """PROVIDER_TIMEOUT_SECONDS bounds every Stripe call (the SDK tries three times with the
    same idempotency key); the payment is left pending for reconciliation, not failed."""
    from kassa.app import create_app

    rt = _variant(settings, runtime, provider_timeout_seconds=0.3)
    user = unique("u")
    await client.put("/sandbox/stripe/_faults", json={"delay_ms": 4_000})
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt.settings, runtime=rt)),
                                     base_url="http://kassa") as slow:
            # three attempts of 4 s each (12 s), were they not given up at 0.3 s
            response = await asyncio.wait_for(slow.post("/api/v1/payments", json={
                "provider": "stripe", "amount": 700, "currency": "USD"}, headers=bearer(user)), timeout=8)
    finally:
        await client.put("/sandbox/stripe/_faults", json={})
        await rt.providers.aclose()
    assert response.status_code == 502 and response.json()["code"] == "provider_error", response.text
    items = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"]
    assert [i["status"] for i in items] == ["pending"]


async def test_a_slow_stripe_holds_up_no_other_clients_payment_or_read(client: httpx.AsyncClient) -> None:
    """While Stripe takes a second and a half to answer one client's payment, another
    client's Payme payment and its read are answered: the wait holds no other request up."""
    payme = {"provider": "payme", "amount": 150_000, "currency": "UZS"}
    await client.put("/sandbox/stripe/_faults", json={"delay_ms": 1_500})
    try:
        slow = asyncio.create_task(client.post(
            "/api/v1/payments", json={"provider": "stripe", "amount": 700, "currency": "USD"},
            headers=bearer(unique("u"))))
        try:
            await asyncio.sleep(0.3)  # the Stripe call is under way
            other = unique("u")
            created = await asyncio.wait_for(
                client.post("/api/v1/payments", json=payme, headers=bearer(other)), timeout=1)
            assert created.status_code == 201, created.text
            read = await asyncio.wait_for(
                client.get(f"/api/v1/payments/{created.json()['id']}", headers=bearer(other)), timeout=1)
            assert read.status_code == 200 and not slow.done()
            stripe = await slow
        finally:
            slow.cancel()
        assert stripe.status_code == 201, stripe.text
    finally:
        await client.put("/sandbox/stripe/_faults", json={})


async def test_the_runtime_closes_the_stripe_sdks_connections(settings: Any, runtime: Runtime) -> None:
    """A stopping worker or API process leaves no open session behind (aiohttp reports one it
    finds unclosed as an error when the process exits)."""
    rt = _variant(settings, runtime)
    provider = rt.providers.get("stripe")
    assert (await provider.create_customer(unique("org:c"))).startswith("cus_")  # type: ignore[attr-defined]
    sdk_http = provider.client._requestor._client  # type: ignore[attr-defined]
    assert rt.providers.get("stripe").client is provider.client  # type: ignore[attr-defined]  # kept, reused
    assert not sdk_http._session.closed
    await rt.providers.aclose()
    assert sdk_http._session.closed
