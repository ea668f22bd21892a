"""Kaspi payments routed by shop and BIN, polled to their end; shop configs and the audit log."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from kassa.db.base import utcnow
from kassa.db.models import Payment
from kassa.providers.kaspi.plugin import SANDBOX_KASPI_ACCESS_TOKEN
from kassa.runtime import Runtime
from kassa.services.payments.reconciler import reconcile_due
from tests.conftest import bearer, make_tariff, unique


async def shop(client: httpx.AsyncClient, admin: dict[str, str], bin_: str, **extra: Any) -> dict[str, Any]:
    shop_id = unique("shop")
    response = await client.post("/api/v1/admin/merchants", headers=admin, json={
        "shop_id": shop_id, "provider": "kaspi", "organization_bin": bin_, **extra})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def kaspi_payment(client: httpx.AsyncClient, user: str, shop_id: str | None, amount: int = 150_000,
                        phone: str = "+7 (701) 521-15-45") -> httpx.Response:
    body: dict[str, Any] = {"provider": "kaspi", "amount": amount, "currency": "KZT", "phone": phone,
                            "description": "Flowers"}
    if shop_id:
        body["shop_id"] = shop_id
    return await client.post("/api/v1/payments", json=body, headers=bearer(user))


async def sandbox_payments(client: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = (await client.get("/sandbox/kaspi/_payments")).json()["payments"]
    return result


async def test_payments_are_routed_by_shop_to_their_bin(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    device = str(uuid.uuid4())
    first = await shop(client, admin, "111111111111")
    second = await shop(client, admin, "222222222222", device_token=device)
    user = unique("u")
    a = (await kaspi_payment(client, user, first["shop_id"])).json()
    b = (await kaspi_payment(client, user, second["shop_id"])).json()
    sent = await sandbox_payments(client)
    assert sent[a["provider_payment_id"]]["bin"] == "111111111111"
    assert sent[b["provider_payment_id"]]["bin"] == "222222222222"
    assert sent[b["provider_payment_id"]]["deviceToken"] == device
    assert sent[a["provider_payment_id"]]["phone"] == "77015211545"
    assert sent[a["provider_payment_id"]]["amount"] == "1500"  # whole tenge, as the gateway takes them
    assert a["status"] == "processing" and a["shop_id"] == first["shop_id"]


async def test_paying_on_the_phone_and_polling_it_through(client: httpx.AsyncClient, admin: dict[str, str],
                                                          runtime: Runtime) -> None:
    user = unique("u")
    payment = (await kaspi_payment(client, user, (await shop(client, admin, "333333333333"))["shop_id"])).json()
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.json()["status"] == "succeeded"

    declined = (await kaspi_payment(client, user, None)).json()
    await client.post(declined["checkout_url"], data={"action": "decline"})
    async with runtime.db.transaction() as session:
        await session.execute(update(Payment).where(Payment.id == declined["id"]).values(
            next_check_at=utcnow() - timedelta(seconds=1)))
    await reconcile_due(runtime)
    body = (await client.get(f"/api/v1/payments/{declined['id']}", headers=bearer(user))).json()
    assert body["status"] == "failed" and body["failure_code"] == "kaspi_error"


async def test_partial_refunds_with_the_shops_bin(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    the_shop = await shop(client, admin, "444444444444")
    payment = (await kaspi_payment(client, user, the_shop["shop_id"], amount=100_000)).json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))

    first = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 30_000}, headers=admin)
    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    too_much = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 70_001}, headers=admin)
    assert too_much.status_code == 409
    rest = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert rest.json()["amount"] == 70_000
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "refunded" and body["refunded_amount"] == 100_000
    assert (await sandbox_payments(client))[payment["provider_payment_id"]]["refunded"] == "1000"
    trail = (await client.get(f"/api/v1/admin/audit-log?payment_id={payment['id']}&operation=refund",
                              headers=admin)).json()["items"]
    assert trail and all(r["organization_bin"] == "444444444444" and r["shop_id"] == the_shop["shop_id"]
                         for r in trail)


async def test_an_inactive_or_unknown_shop_is_refused_before_kaspi(client: httpx.AsyncClient,
                                                                   admin: dict[str, str]) -> None:
    before = len(await sandbox_payments(client))
    inactive = await shop(client, admin, "555555555555", is_active=False)
    user = unique("u")
    for shop_id in (inactive["shop_id"], "no-such-shop"):
        response = await kaspi_payment(client, user, shop_id)
        assert response.status_code == 422 and shop_id in response.json()["detail"]
    assert len(await sandbox_payments(client)) == before
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 0


@pytest.mark.parametrize("phone", ["12345", "+1 202 555 0100", "+7 727 123 45 67", "", "7701521154x"])
async def test_phones_must_be_kazakh_mobiles(client: httpx.AsyncClient, phone: str) -> None:
    response = await kaspi_payment(client, unique("u"), None, phone=phone)
    assert response.status_code == 422 and "phone" in response.json()["detail"]


async def test_unknown_statuses_are_recorded_not_guessed(client: httpx.AsyncClient, admin: dict[str, str],
                                                         runtime: Runtime) -> None:
    user = unique("u")
    payment = (await kaspi_payment(client, user, None)).json()
    await client.put(f"/sandbox/kaspi/_payments/{payment['provider_payment_id']}", json={"status": "Frozen"})
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.status_code == 502
    async with runtime.db.transaction() as session:
        await session.execute(update(Payment).where(Payment.id == payment["id"]).values(
            next_check_at=utcnow() - timedelta(seconds=1)))
    await reconcile_due(runtime)
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "processing"
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()["items"]
    assert sum("Frozen" in (e["error_message"] or "") for e in events) == 2


async def test_a_gateway_timeout_leaves_the_payment_pending_and_it_is_found_later(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    await client.put("/sandbox/kaspi/_faults", json={"fail_status": 504, "fail_times": 1, "fail_method": "create",
                                                     "lose_answers": True})
    try:
        response = await kaspi_payment(client, user, None)
    finally:
        await client.put("/sandbox/kaspi/_faults", json={})
    assert response.status_code == 502
    payment = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"][0]
    assert payment["status"] == "pending" and payment["provider_payment_id"] is None
    requests_sent = len(await sandbox_payments(client))

    async with runtime.db.transaction() as session:
        await session.execute(update(Payment).where(Payment.id == payment["id"]).values(
            next_check_at=utcnow() - timedelta(seconds=1)))
    await reconcile_due(runtime)
    # The gateway cannot find a payment by kassa's reference, and a second create would push
    # a second request to the customer's phone: the payment stays open for an operator.
    found = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert found["status"] == "pending"
    assert len(await sandbox_payments(client)) == requests_sent
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()["items"]
    assert any("Kaspi cabinet" in (e["error_message"] or "") for e in events)


async def test_a_slow_gateway_times_out_cleanly(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = unique("u")
    timeout_ms = int(runtime.settings.provider_timeout_seconds * 1000) + 500
    await client.put("/sandbox/kaspi/_faults", json={"delay_ms": timeout_ms})
    try:
        response = await kaspi_payment(client, user, None)
    finally:
        await client.put("/sandbox/kaspi/_faults", json={})
    assert response.status_code == 502 and "timed out" in response.json()["detail"]
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"][0]["status"] == "pending"


async def test_shop_secrets_are_masked_everywhere(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    token = "kaspi-token-0123456789-very-secret"
    device = str(uuid.uuid4())
    created = await shop(client, admin, "666666666666", device_token=device,
                         credentials={"access_token": SANDBOX_KASPI_ACCESS_TOKEN, "spare": token})
    reads = [created,
             (await client.get(f"/api/v1/admin/merchants/{created['shop_id']}", headers=admin)).json(),
             (await client.patch(f"/api/v1/admin/merchants/{created['shop_id']}", json={"description": "x"},
                                 headers=admin)).json()]
    listing = (await client.get("/api/v1/admin/merchants?page_size=100", headers=admin)).text
    audit = (await client.get(f"/api/v1/admin/audit-log?shop_id={created['shop_id']}", headers=admin)).text
    for text in [*map(str, reads), listing, audit]:
        assert token not in text and device not in text and SANDBOX_KASPI_ACCESS_TOKEN not in text
    assert reads[1]["device_token"].startswith(device[:8]) and len(reads[1]["device_token"]) < len(device)
    assert set(reads[1]["credentials"]) == {"access_token", "spare"}
    records = (await client.get(f"/api/v1/admin/audit-log?shop_id={created['shop_id']}&operation=config",
                                headers=admin)).json()["items"]
    assert [r["operation"] for r in records] == ["config", "config"] and records[0]["actor"] == "admin:admin-1"
    user = unique("u")
    works = await kaspi_payment(client, user, created["shop_id"])  # the sealed credentials open again
    assert works.status_code == 201


async def test_shop_validation_and_access(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for body in ({"organization_bin": "123"}, {"organization_bin": "12345678901a"}, {"device_token": "not-a-uuid"},
                 {"organization_bin": None}):
        response = await client.post("/api/v1/admin/merchants", headers=admin, json={
            "shop_id": unique("s"), "provider": "kaspi", "organization_bin": "777777777777", **body})
        assert response.status_code == 422, body
    assert (await client.get("/api/v1/admin/merchants", headers=bearer(unique("u")))).status_code == 403
    assert (await client.get("/api/v1/admin/audit-log", headers=bearer(unique("u")))).status_code == 403
    assert (await client.get("/api/v1/admin/merchants/nope", headers=admin)).status_code == 404


async def test_deleting_a_used_shop_deactivates_it(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    used = await shop(client, admin, "888888888888")
    unused = await shop(client, admin, "999999999999")
    await kaspi_payment(client, unique("u"), used["shop_id"])
    assert (await client.delete(f"/api/v1/admin/merchants/{used['shop_id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/admin/merchants/{used['shop_id']}", headers=admin)).json()["is_active"] is False
    assert (await client.delete(f"/api/v1/admin/merchants/{unused['shop_id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/admin/merchants/{unused['shop_id']}", headers=admin)).status_code == 404


async def test_the_audit_log_filters(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    payment = (await kaspi_payment(client, user, None)).json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    records = (await client.get(f"/api/v1/admin/audit-log?payment_id={payment['id']}", headers=admin)).json()
    assert {r["operation"] for r in records["items"]} >= {"create", "sync"}
    assert all(r["provider"] == "kaspi" for r in records["items"])
    only_sync = (await client.get(f"/api/v1/admin/audit-log?payment_id={payment['id']}&operation=sync",
                                  headers=admin)).json()["items"]
    assert [r["status"] for r in only_sync] == ["succeeded"]
    assert (await client.get("/api/v1/admin/audit-log?operation=delete", headers=admin)).status_code == 422


async def test_kaspi_takes_whole_tenge_and_shop_ids_may_be_integers(client: httpx.AsyncClient,
                                                                    admin: dict[str, str]) -> None:
    user = unique("u")
    shop_id = str(secrets.randbelow(10**9) + 10**9)  # numeric, as the Kaspi service kassa replaces names shops
    made = await client.post("/api/v1/admin/merchants", json={
        "shop_id": shop_id, "provider": "kaspi", "organization_bin": "990340005977",
        "device_token": "0f4e1a3c-7d6b-4a55-9c2e-3b1f8e7d6a90"}, headers=admin)
    assert made.status_code == 201, made.text
    fraction = await kaspi_payment(client, user, None, amount=10_050)
    assert fraction.status_code == 422 and "whole tenge" in fraction.json()["detail"]
    response = await client.post("/api/v1/payments", json={
        "provider": "kaspi", "amount": 10_000, "currency": "KZT", "phone": "77015211545",
        "shop_id": int(shop_id)}, headers=bearer(user))
    assert response.status_code == 201, response.text
    assert response.json()["shop_id"] == shop_id
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1
    for bad in (True, 1.5, [1]):
        wrong = await client.post("/api/v1/payments", json={"provider": "kaspi", "amount": 10_000, "currency": "KZT",
                                                           "phone": "77015211545", "shop_id": bad}, headers=bearer(user))
        assert wrong.status_code == 422, bad


async def test_a_shop_is_configured_with_an_integer_id_and_named_by_it_everywhere(
        client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """The Kaspi service kassa replaces names shops with integers (`"shop_id": 8`): the shop is
    configured, paid and bought through with the integer, and kept as its string."""
    number = secrets.randbelow(10**9) + 10**9
    made = await client.post("/api/v1/admin/merchants", json={
        "shop_id": number, "provider": "kaspi", "organization_bin": "990340005978"}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["shop_id"] == str(number)
    assert (await client.get(f"/api/v1/admin/merchants/{number}", headers=admin)).json()["shop_id"] == str(number)
    again = await client.post("/api/v1/admin/merchants", json={
        "shop_id": str(number), "provider": "kaspi", "organization_bin": "990340005978"}, headers=admin)
    assert again.status_code == 422 and "already exists" in again.json()["detail"]  # the same shop

    user = unique("u")
    paid = await client.post("/api/v1/payments", json={"provider": "kaspi", "amount": 10_000, "currency": "KZT",
                                                       "phone": "77015211545", "shop_id": number}, headers=bearer(user))
    assert paid.status_code == 201 and paid.json()["shop_id"] == str(number), paid.text
    assert (await sandbox_payments(client))[paid.json()["provider_payment_id"]]["bin"] == "990340005978"
    tariff = await make_tariff(client, amount=990_000, currency="KZT", duration_days=30)
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "kaspi", "phone": "77015211545", "shop_id": number}, headers=bearer(user))
    assert bought.status_code == 201 and bought.json()["shop_id"] == str(number), bought.text

    for bad in (True, 1.5, [1], "", "a shop", None):
        refused = await client.post("/api/v1/admin/merchants", json={
            "shop_id": bad, "provider": "kaspi", "organization_bin": "990340005978"}, headers=admin)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_error", bad
    listed = (await client.get("/api/v1/admin/merchants?page_size=100", headers=admin)).json()["items"]
    assert [s["shop_id"] for s in listed if s["organization_bin"] == "990340005978"] == [str(number)]


async def test_stripe_minimums_are_said_before_any_call(client: httpx.AsyncClient) -> None:
    user = unique("u")
    for amount, currency in ((1, "USD"), (49, "EUR"), (29, "GBP")):
        small = await client.post("/api/v1/payments", json={"provider": "stripe", "amount": amount, "currency": currency},
                                  headers=bearer(user))
        assert small.status_code == 422 and "at least" in small.json()["detail"], small.text
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 0


async def test_a_null_shop_id_is_no_shop(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/payments", json={"provider": "kaspi", "amount": 10_000, "currency": "KZT",
                                                          "phone": "77015211545", "shop_id": None},
                                 headers=bearer(unique("u")))
    assert response.status_code == 201 and response.json()["shop_id"] is None


async def test_kaspi_payments_cannot_be_cancelled_through_its_gateway(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await kaspi_payment(client, user, None)).json()
    refused = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    assert refused.status_code == 409 and "expires in the customer's Kaspi app" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()["status"] == "processing"
    # the gateway has no such call, and the emulator says so as a missing route does
    assert (await client.get("/sandbox/kaspi/cancel/", params={"externalId": payment["provider_payment_id"]})).status_code == 404


async def test_a_missing_phone_is_said_to_be_missing(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/payments", json={"provider": "kaspi", "amount": 10_000, "currency": "KZT"},
                                 headers=bearer(unique("u")))
    assert response.status_code == 422 and "send their number" in response.json()["detail"]
