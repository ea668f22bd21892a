"""A card saved at Stripe's Checkout shows its brand and last digits as soon as the customer
has paid, however kassa learns of the payment: Stripe's event (which names the
PaymentMethod by its id only) or kassa asking Stripe (the intent read with its
PaymentMethod expanded)."""

from __future__ import annotations

from typing import Any

import httpx

from kassa.providers.stripe.plugin import SANDBOX_STRIPE_SECRET_KEY
from kassa.runtime import Runtime
from kassa.sandbox.stripe.app import ENABLED_EVENTS
from kassa.services.accounts import payment_methods
from tests.conftest import bearer, make_tariff, unique

VISA = ("visa", "4242", 12, 2034)  # the card Stripe's test page pays with


async def bought_at_checkout(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A customer who paid a recurring tariff on Stripe's Checkout page, keeping the card."""
    tariff = await make_tariff(client, name=unique("Monthly"), amount=1_500, currency="USD", duration_days=30,
                               recurring=True)
    user = unique("u")
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "save_payment_method": True}, headers=bearer(user))
    assert bought.status_code == 201, bought.text
    paid = await client.post(bought.json()["checkout_url"], data={"action": "pay"})
    assert paid.status_code == 200
    payment: dict[str, Any] = bought.json()
    return user, payment


async def cards_of(client: httpx.AsyncClient, user: str) -> list[tuple[Any, ...]]:
    cards = (await client.get("/api/v1/payment-methods", headers=bearer(user))).json()["items"]
    return [(c["brand"], c["last4"], c["exp_month"], c["exp_year"]) for c in cards]


async def test_the_card_shows_right_after_the_checkout_page_answers(client: httpx.AsyncClient) -> None:
    user, payment = await bought_at_checkout(client)  # Stripe's events came while the page answered
    assert await cards_of(client, user) == [VISA]
    paid = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert paid["status"] == "succeeded"


async def test_the_card_shows_when_kassa_asks_stripe_itself(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": ["charge.refunded"]})
    try:  # no event reaches kassa: it learns of the payment by asking
        user, payment = await bought_at_checkout(client)
        assert await cards_of(client, user) == []
        synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
        assert synced.status_code == 200 and synced.json()["status"] == "succeeded", synced.text
        assert await cards_of(client, user) == [VISA]
    finally:
        await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": sorted(ENABLED_EVENTS)})


async def test_a_card_stripe_could_not_describe_at_once_is_described_later(client: httpx.AsyncClient,
                                                                          runtime: Runtime) -> None:
    tariff = await make_tariff(client, name=unique("Monthly"), amount=1_500, currency="USD", duration_days=30,
                               recurring=True)
    user = unique("u")
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "save_payment_method": True}, headers=bearer(user))
    # Stripe's API is down while its event arrives (the SDK tries three times; kassa's other
    # jobs may ask Stripe meanwhile too, so the fault lasts until the page has answered)
    await client.put("/sandbox/stripe/_faults", json={"fail_status": 503, "fail_times": 1000})
    try:
        await client.post(bought.json()["checkout_url"], data={"action": "pay"})
    finally:
        await client.put("/sandbox/stripe/_faults", json={})
    assert await cards_of(client, user) == [(None, None, None, None)]  # kept, not yet described
    assert await payment_methods.describe_saved(runtime) >= 1  # the job asks again
    assert await cards_of(client, user) == [VISA]


async def test_the_emulator_expands_what_stripe_expands_and_refuses_the_rest(client: httpx.AsyncClient) -> None:
    key = {"Authorization": f"Bearer {SANDBOX_STRIPE_SECRET_KEY}"}
    made = await client.post("/sandbox/stripe/v1/payment_intents", headers=key, data={
        "amount": "1500", "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"})
    assert made.status_code == 200 and made.json()["payment_method"] == "pm_card_visa"
    url = f"/sandbox/stripe/v1/payment_intents/{made.json()['id']}"
    expanded = (await client.get(url, params={"expand[0]": "payment_method"}, headers=key)).json()
    assert expanded["payment_method"]["object"] == "payment_method"
    assert (expanded["payment_method"]["card"]["brand"], expanded["payment_method"]["card"]["last4"]) == VISA[:2]
    plain = (await client.get(url, headers=key)).json()
    assert plain["payment_method"] == "pm_card_visa"  # an id unless asked
    refused = await client.get(url, params={"expand[]": "amount"}, headers=key)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "This property cannot be expanded (amount)."
