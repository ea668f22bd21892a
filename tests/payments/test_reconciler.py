"""The reconciler: a lost provider answer is found again; abandoned payments expire."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import update

from kassa.db.base import utcnow
from kassa.db.models import Invoice, Payment
from kassa.runtime import Runtime
from kassa.services.payments.reconciler import reconcile_due
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_cards import save_card, verified_card_token


async def make_due(runtime: Runtime, payment_id: str, *, age: timedelta | None = None) -> None:
    values: dict[str, object] = {"next_check_at": utcnow() - timedelta(seconds=1)}
    if age is not None:
        values["created_at"] = utcnow() - age
    async with runtime.db.transaction() as session:
        await session.execute(update(Payment).where(Payment.id == payment_id).values(**values))


async def payment(client: httpx.AsyncClient, user: str, pid: str) -> dict[str, object]:
    body: dict[str, object] = (await client.get(f"/api/v1/payments/{pid}", headers=bearer(user))).json()
    return body


async def test_a_payment_whose_answer_was_lost_is_found_and_succeeds_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client))).json()
    tariff = await make_tariff(client, amount=2_000_000, duration_days=30)
    await client.put("/sandbox/payme/_faults", json={"fail_status": 504, "fail_times": 1,
                                                     "fail_method": "receipts.pay", "lose_answers": True})
    try:
        created = await client.post("/api/v1/payments", json={
            "provider": "payme", "amount": 2_000_000, "currency": "UZS", "purpose": "tariff",
            "tariff_id": tariff["id"], "payment_method_id": card["id"]}, headers=bearer(user))
    finally:
        await client.put("/sandbox/payme/_faults", json={})
    assert created.status_code == 502
    pid = (await client.get("/api/v1/payments", headers=bearer(user))).json()["items"][0]["id"]
    pending = await payment(client, user, pid)
    assert pending["status"] == "pending" and pending["provider_payment_id"]

    await make_due(runtime, pid)
    await asyncio.gather(reconcile_due(runtime), reconcile_due(runtime))

    found = await payment(client, user, pid)
    assert found["status"] == "succeeded"
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert sub["status"] == "active"
    async with runtime.db.transaction() as session:
        from sqlalchemy import func, select

        assert await session.scalar(select(func.count()).select_from(Invoice).where(Invoice.payment_id == pid)) == 1
    trail = (await client.get(f"/api/v1/payments/{pid}/events", headers=bearer(user))).json()["items"]
    assert any(e["operation"] == "status" and e["actor"] == "system:reconciler" for e in trail)


async def test_abandoned_payments_expire_and_payme_then_refuses_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    pid = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 9_000, "currency": "UZS"},
                             headers=bearer(user))).json()["id"]
    await make_due(runtime, pid)
    await reconcile_due(runtime)
    assert (await payment(client, user, pid))["status"] == "pending"  # not yet overdue

    await make_due(runtime, pid, age=timedelta(hours=25))
    await reconcile_due(runtime)
    expired = await payment(client, user, pid)
    assert expired["status"] == "cancelled" and expired["failure_code"] == "expired"

    import base64

    from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY

    auth = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}
    answer = (await client.post("/webhooks/payme", json={"id": 1, "method": "CheckPerformTransaction", "params": {
        "amount": 9_000, "account": {"order_id": pid}}}, headers=auth)).json()
    assert answer["error"]["code"] == -31051


async def test_a_payment_payme_is_working_on_is_left_to_payme(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    import base64
    import time

    from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY

    user = unique("u")
    pid = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 9_000, "currency": "UZS"},
                             headers=bearer(user))).json()["id"]
    auth = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}
    await client.post("/webhooks/payme", json={"id": 1, "method": "CreateTransaction", "params": {
        "id": unique("tx")[-24:], "time": int(time.time() * 1000), "amount": 9_000,
        "account": {"order_id": pid}}}, headers=auth)
    await make_due(runtime, pid, age=timedelta(hours=25))
    await reconcile_due(runtime)
    assert (await payment(client, user, pid))["status"] == "processing"
