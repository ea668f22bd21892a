"""Buying a tariff the way a customer does: kassa's link, the Payme sandbox page, Pay."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.conftest import bearer, make_tariff, unique


async def purchase(client: httpx.AsyncClient, user: str, tariff: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase",
                                 json={"provider": "payme", **body}, headers=bearer(user))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def press(client: httpx.AsyncClient, url: str, action: str) -> httpx.Response:
    page = await client.get(url)
    assert page.status_code == 200 and 'name="action"' in page.text
    return await client.post(url, data={"action": action})


async def test_checkout_link_is_paymes_format(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client, amount=5_000_000)
    payment = await purchase(client, unique("u"), tariff, return_url="https://shop.example/done")
    encoded = payment["checkout_url"].rsplit("/", 1)[1]
    fields = dict(p.split("=", 1) for p in base64.b64decode(encoded).decode().split(";"))
    assert fields["ac.order_id"] == payment["id"]
    assert fields["a"] == "5000000" and fields["c"] == "https://shop.example/done"
    assert fields["m"] and fields["l"] == "ru"


async def test_paying_on_the_sandbox_page_activates_the_subscription(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=5_000_000, duration_days=30)
    payment = await purchase(client, user, tariff)

    page = await press(client, payment["checkout_url"], "pay")

    assert page.status_code == 200 and "Payment successful" in page.text
    paid = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert paid["status"] == "succeeded" and paid["provider_payment_id"]
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert sub["status"] == "active" and sub["tariff_id"] == tariff["id"]
    invoices = (await client.get("/api/v1/invoices", headers=bearer(user))).json()
    assert invoices["total"] == 1 and invoices["items"][0]["number"].startswith("INV-")
    trail = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()
    assert [e["status"] for e in reversed(trail["items"])] == ["pending", "processing", "succeeded"]

    again = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "refused" in again.text  # a paid order cannot be paid twice


async def test_declining_cancels_the_payment(client: httpx.AsyncClient) -> None:
    user = unique("u")
    created = await client.post("/api/v1/payments", json={"provider": "payme", "amount": 120_000,
                                                          "currency": "UZS"}, headers=bearer(user))
    payment = created.json()
    page = await press(client, payment["checkout_url"], "decline")
    assert "declined" in page.text
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "cancelled" and body["failure_code"] == "payme_reason_2"


async def test_duplicate_payme_calls_change_nothing_twice(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=800_000, duration_days=7)
    payment = await purchase(client, user, tariff)
    await client.put("/sandbox/payme/_faults", json={"duplicate_callbacks": True})
    try:
        page = await press(client, payment["checkout_url"], "pay")
    finally:
        await client.put("/sandbox/payme/_faults", json={})
    assert "Payment successful" in page.text
    calls = (await client.get("/sandbox/payme/_transactions")).json()["calls"]
    assert not [c for c in calls if c["method"] == "MISMATCH"]
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    from datetime import datetime, timedelta

    span = datetime.fromisoformat(sub["expires_at"]) - datetime.fromisoformat(sub["started_at"])
    assert span == timedelta(days=7)
    assert (await client.get("/api/v1/invoices", headers=bearer(user))).json()["total"] == 1


async def test_a_refund_in_the_payme_cabinet_reaches_kassa(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=600_000)
    payment = await purchase(client, user, tariff)
    await press(client, payment["checkout_url"], "pay")

    refund = await client.post("/sandbox/payme/_cabinet/refund", json={"order_id": payment["id"]})
    assert refund.status_code == 200 and refund.json()["result"]["state"] == -2

    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "refunded" and body["refunded_amount"] == 600_000
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert sub["status"] == "cancelled"


async def test_refund_through_the_api_explains_payme_refunds(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=600_000)
    payment = await purchase(client, user, tariff)
    await press(client, payment["checkout_url"], "pay")
    response = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state" and "cabinet" in response.json()["detail"]
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "succeeded"
    refunds = (await client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)).json()
    assert [r["status"] for r in refunds["items"]] == ["failed"]


@pytest.mark.parametrize("params", [
    "m=000000000000000000000000;ac.order_id=pay_x;a=500000",  # another merchant
    "m={m};ac.order_id=pay_x;a=5000.00",  # an amount that is not tiyin
    "m={m};a=500000",  # no account
    "m={m};ac.order_id=pay_x;a=500000;l=de",  # a language Payme has not
    "m={m};ac.order_id=pay_x;ac.order_id=pay_y;a=1",  # a parameter twice
])
async def test_the_emulator_reads_links_as_payme_does(client: httpx.AsyncClient, params: str) -> None:
    from kassa.providers.payme.plugin import SANDBOX_PAYME_MERCHANT_ID

    encoded = base64.b64encode(params.format(m=SANDBOX_PAYME_MERCHANT_ID).encode()).decode()
    assert (await client.get(f"/sandbox/payme/{encoded}")).status_code == 404
