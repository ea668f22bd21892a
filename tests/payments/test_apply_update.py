"""The one path: concurrent, duplicate and out-of-order updates change a payment once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from kassa.core.context import Actor
from kassa.db.models import (
    AuditRecord,
    Invoice,
    OutboxEvent,
    Payment,
    Subscription,
    SubscriptionPeriod,
    WalletEntry,
)
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.runtime import Runtime
from kassa.services.payments.updates import Outcome, UpdateResult, apply_update
from tests.conftest import bearer, make_tariff, unique

ACTOR = Actor.provider("payme")


async def _tariff_payment(client: httpx.AsyncClient, user: str, tariff: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"}, headers=bearer(user)
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _apply(rt: Runtime, update: ProviderUpdate) -> UpdateResult:
    async with rt.db.transaction() as session:
        return await apply_update(session, update, actor=ACTOR)


def _update(payment_id: str, status: PaymentStatus, event: str, **extra: Any) -> ProviderUpdate:
    return ProviderUpdate(provider="payme", event_id=event, payment_id=payment_id, status=status, **extra)


async def _count(rt: Runtime, model: Any, *where: Any) -> int:
    async with rt.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _events_for(rt: Runtime, payment_id: str, event_type: str) -> int:
    async with rt.db.transaction() as session:
        rows = (await session.execute(select(OutboxEvent).where(OutboxEvent.type == event_type))).scalars()
        return sum(
            1 for row in rows
            if row.data.get("id") == payment_id or row.data.get("payment_id") == payment_id
            or row.data.get("last_payment_id") == payment_id
        )


async def test_twenty_concurrent_identical_updates_make_one_transition(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("user")
    tariff = await make_tariff(client, duration_days=30)
    payment = await _tariff_payment(client, user, tariff)
    update = _update(payment["id"], PaymentStatus.SUCCEEDED, f"evt-{payment['id']}",
                     amount=tariff["amount"], currency="UZS")

    results = await asyncio.gather(*(_apply(runtime, update) for _ in range(20)))

    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 19
    async with runtime.db.transaction() as session:
        stored = await session.get(Payment, payment["id"])
        assert stored is not None and stored.subscription_id is not None
        sub = await session.get(Subscription, stored.subscription_id)
    assert stored.status == "succeeded"
    assert sub is not None and sub.status == "active" and sub.user_id == user
    assert stored.paid_at is not None
    # extended once, not 20 times
    assert sub.current_period_end - sub.current_period_start == timedelta(days=30)
    assert await _count(runtime, SubscriptionPeriod, SubscriptionPeriod.subscription_id == sub.id) == 1
    assert await _count(runtime, Invoice, Invoice.payment_id == payment["id"]) == 1
    assert await _events_for(runtime, payment["id"], "payment.succeeded") == 1
    assert await _events_for(runtime, payment["id"], "subscription.activated") == 1
    assert await _count(runtime, AuditRecord, AuditRecord.payment_id == payment["id"],
                        AuditRecord.status == "succeeded") == 1


async def test_concurrent_distinct_signals_of_one_outcome_apply_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A webhook, a poll and a /sync all saying 'succeeded' at once: one effect."""
    org = unique("org")
    user = unique("user")
    response = await client.post(
        "/api/v1/payments",
        json={"provider": "payme", "amount": 250_000, "currency": "UZS",
              "purpose": "wallet_topup", "organization_id": org},
        headers=bearer(user, orgs=[org]),
    )
    assert response.status_code == 201, response.text
    payment_id = response.json()["id"]

    results = await asyncio.gather(*(
        _apply(runtime, _update(payment_id, PaymentStatus.SUCCEEDED, f"signal-{i}-{payment_id}"))
        for i in range(20)
    ))

    assert sum(r.outcome is Outcome.APPLIED for r in results) == 1
    assert all(r.outcome in (Outcome.APPLIED, Outcome.IGNORED) for r in results)
    assert await _count(runtime, WalletEntry, WalletEntry.payment_id == payment_id) == 1
    wallet = (await client.get(f"/api/v1/wallets/{org}", headers=bearer(user, orgs=[org]))).json()
    assert wallet["balances"] == [{"currency": "UZS", "amount": 250_000}]


async def test_out_of_order_updates_change_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = unique("user")
    created = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 10_000, "currency": "UZS"}, headers=bearer(user))
    payment_id = created.json()["id"]

    first = await _apply(runtime, _update(payment_id, PaymentStatus.SUCCEEDED, "late-1"))
    stale = await _apply(runtime, _update(payment_id, PaymentStatus.PROCESSING, "late-0"))
    failed = await _apply(runtime, _update(payment_id, PaymentStatus.FAILED, "late-2"))

    assert first.outcome is Outcome.APPLIED
    assert stale.outcome is Outcome.IGNORED and failed.outcome is Outcome.IGNORED
    body = (await client.get(f"/api/v1/payments/{payment_id}", headers=bearer(user))).json()
    assert body["status"] == "succeeded"
    events = (await client.get(f"/api/v1/payments/{payment_id}/events", headers=bearer(user))).json()
    ignored = [e for e in events["items"] if (e["error_message"] or "").startswith("ignored")]
    assert len(ignored) == 2  # recorded, not applied


async def test_a_wrong_amount_never_succeeds_a_payment(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = unique("user")
    created = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 10_000, "currency": "UZS"}, headers=bearer(user))
    payment_id = created.json()["id"]

    short = await _apply(runtime, _update(payment_id, PaymentStatus.SUCCEEDED, "short", amount=9_999))
    wrong_currency = await _apply(
        runtime, _update(payment_id, PaymentStatus.SUCCEEDED, "cur", amount=10_000, currency="USD"))

    assert short.outcome is Outcome.REJECTED and wrong_currency.outcome is Outcome.REJECTED
    body = (await client.get(f"/api/v1/payments/{payment_id}", headers=bearer(user))).json()
    assert body["status"] == "pending"
    assert await _count(runtime, Invoice, Invoice.payment_id == payment_id) == 0
    events = (await client.get(f"/api/v1/payments/{payment_id}/events", headers=bearer(user))).json()
    assert any("9999" in (e["error_message"] or "") for e in events["items"])


async def test_refunds_move_the_payment_and_undo_the_effects(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("user")
    tariff = await make_tariff(client, amount=900_000)
    payment = await _tariff_payment(client, user, tariff)
    pid = payment["id"]
    await _apply(runtime, _update(pid, PaymentStatus.SUCCEEDED, f"ok-{pid}", amount=900_000))

    partial = await _apply(runtime, _update(pid, PaymentStatus.PARTIALLY_REFUNDED, f"r1-{pid}",
                                            refunded_amount=300_000))
    replay = await _apply(runtime, _update(pid, PaymentStatus.PARTIALLY_REFUNDED, f"r1b-{pid}",
                                           refunded_amount=300_000))
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert partial.outcome is Outcome.APPLIED and replay.outcome is Outcome.IGNORED
    assert partial.payment.status == "partially_refunded" and partial.payment.refunded_amount == 300_000
    assert sub["status"] == "active"

    full = await _apply(runtime, _update(pid, PaymentStatus.REFUNDED, f"r2-{pid}"))
    assert full.outcome is Outcome.APPLIED
    assert full.payment.status == "refunded" and full.payment.refunded_amount == 900_000
    sub = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert sub["status"] == "cancelled"
    invoices = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
    assert [i["status"] for i in invoices] == ["refunded"]


async def test_renewal_of_the_same_tariff_extends_from_the_expiry(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("user")
    tariff = await make_tariff(client, duration_days=10)
    first = await _tariff_payment(client, user, tariff)
    await _apply(runtime, _update(first["id"], PaymentStatus.SUCCEEDED, f"a-{first['id']}"))
    before = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    second = await _tariff_payment(client, user, tariff)
    await _apply(runtime, _update(second["id"], PaymentStatus.SUCCEEDED, f"b-{second['id']}"))
    after = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()

    from datetime import datetime

    extended = datetime.fromisoformat(after["expires_at"]) - datetime.fromisoformat(before["expires_at"])
    assert extended == timedelta(days=10)
    assert after["started_at"] == before["started_at"]

    # a downgrade in the same group: the unused 20 days of Pro (500 000 a day) become extra
    # time on Lite (200 000 a day), 2.5 times as long
    other = await make_tariff(client, duration_days=5, amount=1_000_000, name="Lite")
    third = await _tariff_payment(client, user, other)
    await _apply(runtime, _update(third["id"], PaymentStatus.SUCCEEDED, f"c-{third['id']}"))
    switched = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert switched["tariff_id"] == other["id"] and switched["id"] == after["id"]
    changed_at = datetime.fromisoformat(switched["current_period_start"])
    unused = int((datetime.fromisoformat(after["expires_at"]) - changed_at).total_seconds())
    assert 19 * 86400 < unused <= 20 * 86400
    carried = timedelta(seconds=unused * 5_000_000 * 5 // (10 * 1_000_000))
    # the unused value (paid at full price here) carried, to the microsecond then rounded down
    # to the second: within a second of Pro's (2.5 of Lite's) of the whole-second reckoning
    expected = changed_at + timedelta(days=5) + carried
    assert abs(datetime.fromisoformat(switched["expires_at"]) - expected) <= timedelta(seconds=3)


async def test_invoice_numbers_are_gap_free_under_concurrency(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("user")
    ids = []
    for _ in range(8):
        created = await client.post("/api/v1/payments", json={
            "provider": "payme", "amount": 1_000, "currency": "UZS"}, headers=bearer(user))
        ids.append(created.json()["id"])
    await asyncio.gather(*(_apply(runtime, _update(pid, PaymentStatus.SUCCEEDED, f"inv-{pid}")) for pid in ids))
    async with runtime.db.transaction() as session:
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in (await session.execute(select(Invoice.number).where(Invoice.seller_key == ""))).scalars()
        )  # the default seller's series (other sellers number their own)
    assert numbers == list(range(1, len(numbers) + 1))
