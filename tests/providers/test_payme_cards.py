"""Saved Payme cards through the Subscribe API: save, pay with, refund, remove."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from kassa.providers.payme.plugin import SANDBOX_PAYME_MERCHANT_ID
from tests.conftest import bearer, make_tariff, unique


async def subscribe(client: httpx.AsyncClient, method: str, params: dict[str, Any],
                    auth: str = SANDBOX_PAYME_MERCHANT_ID) -> dict[str, Any]:
    response = await client.post("/sandbox/payme/api", json={"id": 1, "method": method, "params": params},
                                 headers={"X-Auth": auth})
    body: dict[str, Any] = response.json()
    return body


async def verified_card_token(client: httpx.AsyncClient, number: str = "8600069195406311") -> str:
    """What a shop's card form does in the browser, with the merchant id only."""
    created = await subscribe(client, "cards.create", {"card": {"number": number, "expire": "0399"}, "save": True})
    token: str = created["result"]["card"]["token"]
    await subscribe(client, "cards.get_verify_code", {"token": token})
    verified = await subscribe(client, "cards.verify", {"token": token, "code": "666666"})
    assert verified["result"]["card"]["verify"] is True
    return token


async def save_card(client: httpx.AsyncClient, user: str, token: str, **extra: Any) -> httpx.Response:
    return await client.post("/api/v1/payment-methods", json={"provider": "payme", "token": token, **extra},
                             headers=bearer(user, orgs=extra.get("organization_id") and [extra["organization_id"]]))


async def test_a_verified_card_is_saved_with_its_details(client: httpx.AsyncClient) -> None:
    user = unique("u")
    first = await save_card(client, user, await verified_card_token(client))
    assert first.status_code == 201, first.text
    card = first.json()
    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == ("uzcard", "6311", 3, 2099)
    assert card["is_default"] is True and "token" not in card

    second = (await save_card(client, user, await verified_card_token(client, "9860123412341234"))).json()
    assert second["brand"] == "humo" and second["is_default"] is False
    made_default = await client.post(f"/api/v1/payment-methods/{second['id']}/set-default", headers=bearer(user))
    assert made_default.json()["is_default"] is True
    listed = (await client.get("/api/v1/payment-methods", headers=bearer(user))).json()["items"]
    assert {c["id"]: c["is_default"] for c in listed} == {card["id"]: False, second["id"]: True}

    stranger = unique("u")
    assert (await client.post(f"/api/v1/payment-methods/{card['id']}/set-default",
                              headers=bearer(stranger))).status_code == 404
    assert (await client.delete(f"/api/v1/payment-methods/{card['id']}", headers=bearer(stranger))).status_code == 404
    assert (await client.get("/api/v1/payment-methods", headers=bearer(stranger))).json()["items"] == []


async def test_unverified_or_unknown_cards_are_refused(client: httpx.AsyncClient) -> None:
    created = await subscribe(client, "cards.create", {"card": {"number": "8600495473316478", "expire": "0399"},
                                                       "save": True})
    unverified = await save_card(client, unique("u"), created["result"]["card"]["token"])
    assert unverified.status_code == 422 and "verified" in unverified.json()["detail"]
    unknown = await save_card(client, unique("u"), "no-such-token")
    assert unknown.status_code == 422


async def test_paying_a_tariff_with_a_saved_card_and_refunding_it(
    client: httpx.AsyncClient, service_key: dict[str, str]
) -> None:
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client))).json()
    tariff = await make_tariff(client, amount=3_000_000)
    paid = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 3_000_000, "currency": "UZS", "purpose": "tariff",
        "tariff_id": tariff["id"], "payment_method_id": card["id"]}, headers=bearer(user))
    assert paid.status_code == 201, paid.text
    payment = paid.json()
    assert payment["status"] == "succeeded" and payment["provider_payment_id"]
    assert payment["payment_method_id"] == card["id"]
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "active"

    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.json()["status"] == "succeeded"

    partial = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 1_000},
                                headers=service_key)
    assert partial.status_code == 409
    refund = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"reason": "requested"},
                               headers=service_key)
    assert refund.status_code == 201, refund.text
    assert refund.json()["amount"] == 3_000_000 and refund.json()["status"] == "succeeded"
    after = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert after["status"] == "refunded" and after["refunded_amount"] == 3_000_000
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "cancelled"
    again = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=service_key)
    assert again.status_code == 409
    state = await subscribe(client, "receipts.check", {"id": payment["provider_payment_id"]},
                            auth=f"{SANDBOX_PAYME_MERCHANT_ID}:sandbox-payme-key")
    assert state["result"]["state"] == 50


async def test_a_declined_card_fails_the_payment(client: httpx.AsyncClient) -> None:
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client, "8600000000000000"))).json()
    response = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 50_000, "currency": "UZS", "payment_method_id": card["id"]},
        headers=bearer(user))
    assert response.status_code == 502 and response.json()["code"] == "provider_error"
    payments = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"]
    assert payments[0]["status"] == "failed" and payments[0]["failure_code"] == "payme_31630"


async def test_someone_elses_card_cannot_be_charged(client: httpx.AsyncClient) -> None:
    owner, thief = unique("u"), unique("u")
    card = (await save_card(client, owner, await verified_card_token(client))).json()
    response = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 50_000, "currency": "UZS", "payment_method_id": card["id"]},
        headers=bearer(thief))
    assert response.status_code == 404
    assert (await client.get("/api/v1/payments", headers=bearer(thief))).json()["total"] == 0


async def test_organisation_cards_and_removal(client: httpx.AsyncClient) -> None:
    org = unique("org")
    member, colleague = unique("u"), unique("u")
    saved = await save_card(client, member, await verified_card_token(client), organization_id=org)
    assert saved.status_code == 201
    seen = (await client.get(f"/api/v1/payment-methods?organization_id={org}",
                             headers=bearer(colleague, orgs=[org]))).json()["items"]
    assert [c["id"] for c in seen] == [saved.json()["id"]]
    outsider = await client.get(f"/api/v1/payment-methods?organization_id={org}", headers=bearer(unique("u")))
    assert outsider.status_code == 404
    removed = await client.delete(f"/api/v1/payment-methods/{saved.json()['id']}", headers=bearer(member, orgs=[org]))
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/payment-methods?organization_id={org}",
                             headers=bearer(member, orgs=[org]))).json()["items"] == []


async def test_subscribe_api_needs_the_key_for_server_methods(client: httpx.AsyncClient) -> None:
    token = await verified_card_token(client)
    refused = await subscribe(client, "receipts.create", {"amount": 100, "account": {"order_id": "x"}})
    assert refused["error"]["code"] == -32504
    # as Payme's test server answered payme-pkg: the merchant id alone may check a card
    assert (await subscribe(client, "cards.check", {"token": token}))["result"]["card"]["verify"] is True


async def test_a_payme_outage_leaves_the_payment_pending_not_lost(client: httpx.AsyncClient) -> None:
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client))).json()
    await client.put("/sandbox/payme/_faults", json={"fail_status": 503, "fail_times": 1})
    try:
        response = await client.post("/api/v1/payments", json={
            "provider": "payme", "amount": 70_000, "currency": "UZS", "payment_method_id": card["id"]},
            headers=bearer(user))
    finally:
        await client.put("/sandbox/payme/_faults", json={})
    assert response.status_code == 502 and response.json()["code"] == "provider_error"
    payment = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"][0]
    assert payment["status"] == "pending" and payment["failure_code"] == "provider_error"
    trail = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()
    assert any("503" in (e["error_message"] or "") for e in trail["items"])


async def test_a_former_member_has_no_power_over_the_organisations_cards(client: httpx.AsyncClient) -> None:
    org, former, colleague = unique("org"), unique("u"), unique("u")
    first = (await save_card(client, former, await verified_card_token(client), organization_id=org)).json()
    second = (await save_card(client, colleague, await verified_card_token(client), organization_id=org)).json()
    gone = bearer(former)  # a new token without the organisation: they left it
    assert (await client.post(f"/api/v1/payment-methods/{second['id']}/set-default", headers=gone)).status_code == 404
    assert (await client.delete(f"/api/v1/payment-methods/{first['id']}", headers=gone)).status_code == 404
    cards = (await client.get(f"/api/v1/payment-methods?organization_id={org}",
                              headers=bearer(colleague, orgs=[org]))).json()["items"]
    assert sorted(c["id"] for c in cards) == sorted([first["id"], second["id"]])
    assert [c["is_default"] for c in cards if c["id"] == first["id"]] == [True]


async def test_a_refund_still_in_paymes_cancel_queue_is_finished_by_a_later_sync(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from kassa.providers.payme import provider
    from kassa.sandbox.payme import subscribe

    monkeypatch.setattr(subscribe, "CANCEL_QUEUE_SECONDS", 0.5)
    monkeypatch.setattr(provider, "REFUND_QUEUE_WAIT", 0.05)
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client))).json()
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 200_000, "currency": "UZS",
                                                          "payment_method_id": card["id"]}, headers=bearer(user))).json()
    assert payment["status"] == "succeeded"
    admin = bearer("admin-1", role="admin")
    refund = (await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)).json()
    assert refund["status"] == "pending"  # Payme queued it (21)
    assert (await client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()["status"] == "succeeded"
    await asyncio.sleep(0.7)
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=admin)
    assert synced.json()["status"] == "refunded" and synced.json()["refunded_amount"] == 200_000
    refunds = (await client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)).json()["items"]
    assert [r["status"] for r in refunds] == ["succeeded"]
