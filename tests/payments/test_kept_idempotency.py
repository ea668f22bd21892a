"""A payment whose checkout link needs no call to its provider (Payme, Click) is written in
one statement with its Idempotency-Key's record and answer: the record is the claim, and a
repeat is answered from it. What a caller sees is the contract's: the same key and body give
the first answer again, another body 422, one payment whatever the timing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from kassa.db.base import utcnow
from kassa.db.models import IdempotencyRecord
from kassa.runtime import Runtime
from tests.conftest import bearer, make_tariff, unique
from tests.payments.test_api_payments import create
from tests.providers.test_payme_merchant_api import account, new_payme_id, now_ms, rpc


async def paid_by_payme(client: httpx.AsyncClient, payment: dict[str, Any]) -> None:
    tx = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": tx, "time": now_ms(), "amount": payment["amount"],
                                            "account": account(payment)})
    assert "result" in await rpc(client, "PerformTransaction", {"id": tx})


async def test_the_first_answer_outlives_redis_and_the_payment_moving_on(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}
    first = await create(client, headers, amount=500_000)
    assert first.status_code == 201 and first.json()["status"] == "pending"
    await paid_by_payme(client, first.json())
    if runtime.redis is not None:
        await runtime.redis.flushdb()  # the key never lived there
    again = await create(client, headers, amount=500_000)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()  # the answer it gave, not the payment as it is now
    now = await client.get(f"/api/v1/payments/{first.json()['id']}", headers=bearer(user))
    assert now.json()["status"] == "succeeded"
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_repeats_racing_the_first_get_its_answer(client: httpx.AsyncClient) -> None:
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}
    answers = await asyncio.gather(*(create(client, headers) for _ in range(12)))
    assert [a.status_code for a in answers] == [201] * 12  # nobody is told to come back later
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 11
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_other_bodies_racing_under_one_key_are_refused(client: httpx.AsyncClient) -> None:
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}
    answers = await asyncio.gather(*(create(client, headers, amount=100_000 + i) for i in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [422] * 7
    assert {a.json()["code"] for a in answers if a.status_code == 422} == {"idempotency_key_reused"}
    listed = (await client.get("/api/v1/payments", headers=bearer(user))).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == next(
        a.json()["id"] for a in answers if a.status_code == 201)


async def test_a_refusal_is_the_keys_answer_until_it_expires(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    key = unique("key")
    headers = {**bearer(user), "Idempotency-Key": key}
    refused = await create(client, headers, purpose="tariff", tariff_id="tar_missing")
    assert refused.status_code == 404
    again = await create(client, headers, purpose="tariff", tariff_id="tar_missing")
    assert again.status_code == 404 and again.headers.get("idempotent-replayed") == "true"
    other = await create(client, headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    async with runtime.db.transaction() as session:  # a day later
        await session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    fresh = await create(client, headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    repeated = await create(client, headers)
    assert repeated.json() == fresh.json() and repeated.headers.get("idempotent-replayed") == "true"
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_a_create_that_calls_its_provider_claims_the_key_first(client: httpx.AsyncClient) -> None:
    """Stripe's payment is asked of Stripe after it is written: its key is claimed in the
    store before, as every other create's is, and its answer replayed from there."""
    org, user = unique("org"), unique("u")
    headers = {**bearer(user, orgs=[org]), "Idempotency-Key": unique("key")}
    body = {"provider": "stripe", "amount": 5_000, "currency": "USD", "purpose": "wallet_topup",
            "organization_id": org}
    first = await client.post("/api/v1/payments", json=body, headers=headers)
    again = await client.post("/api/v1/payments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    other = await client.post("/api/v1/payments", json={**body, "amount": 6_000}, headers=headers)
    assert other.status_code == 422
    listed = await client.get(f"/api/v1/payments?user_id={user}", headers=bearer(user, orgs=[org]))
    assert listed.json()["total"] == 1


async def test_a_tariff_bought_through_payme_keeps_its_key_with_its_payment(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tariff = await make_tariff(client, amount=200_000, duration_days=30)
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}

    async def buy() -> httpx.Response:
        return await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"},
                                 headers=headers)

    answers = await asyncio.gather(*(buy() for _ in range(6)))
    assert [a.status_code for a in answers] == [201] * 6 and len({a.text for a in answers}) == 1
    if runtime.redis is not None:
        await runtime.redis.flushdb()
    again = await buy()
    assert again.json() == answers[0].json() and again.headers.get("idempotent-replayed") == "true"
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_a_purchase_with_a_promo_code_claims_its_key_before_reserving(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The redemption is written before the payment: the key is claimed first, so repeats
    racing the first reserve nothing and are answered with its answer or told to wait."""
    tariff = await make_tariff(client, amount=100_000, duration_days=30)
    code = unique("TENOFF").upper()
    made = await client.post("/api/v1/admin/promo-codes", json={
        "code": code, "percent_off": 10, "max_redemptions": 5, "tariff_ids": [tariff["id"]]}, headers=admin)
    assert made.status_code == 201, made.text
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}

    async def buy() -> httpx.Response:
        return await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase",
                                 json={"provider": "payme", "promo_code": code}, headers=headers)

    answers = await asyncio.gather(*(buy() for _ in range(6)))
    assert {a.status_code for a in answers} <= {201, 409} and 201 in {a.status_code for a in answers}
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    again = await buy()
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json()["discount_amount"] == 10_000
    listed = (await client.get("/api/v1/admin/promo-codes", headers=admin)).json()["items"]
    assert [c["redeemed"] for c in listed if c["code"] == code] == [1]
