"""A provider's call or event carried out as a compare-and-set (PostgreSQL, kassa.fast.batch) writes only
if the rows it read without a lock are unchanged. When another writer changes them in between,
it writes nothing — not even an invoice number — and the call is carried out again under the
row's lock, answering as the rows are then. SQLite has no such path (its transactions hold
the database's write lock from their start); the storm of racing calls runs on both."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from kassa.core.settings import Settings
from kassa.runtime import Runtime
from kassa.services.billing import renewals
from tests.billing.test_billing import (
    claimed_on_a_worker,
    renewal_payments,
    stripe_subscriber,
    subscription,
)
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_merchant_api import (
    account,
    error_code,
    new_payme_id,
    now_ms,
    order,
    rpc,
)
from tests.providers.test_stripe import signed, topup, wallet


def postgres_only(runtime: Runtime) -> None:
    if runtime.db.is_sqlite:
        pytest.skip("SQLite carries every call out under its write lock: no compare-and-set")
    if not runtime.db.compares_and_sets:
        pytest.skip("FAST_PATHS turns compare_and_set off: every call is carried out under the lock")


def retried() -> float:
    sample = {"provider": "payme", "reason": "changed"}
    return REGISTRY.get_sample_value("kassa_compare_and_set_retried_total", sample) or 0.0


@asynccontextmanager
async def holding(runtime: Runtime, payment_id: str) -> AsyncIterator[AsyncConnection]:
    """Another writer holding the payment's row lock until it commits."""
    async with runtime.db.engine.connect() as other:
        await other.execute(text("SELECT id FROM payments WHERE id = :id FOR UPDATE"),
                            {"id": payment_id})
        yield other


async def until_waiting_for_a_lock(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as watcher:
        for _ in range(500):
            waiting = await watcher.scalar(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"))
            # PostgreSQL reads pg_stat_activity once a transaction: each look in a new one,
            # or a call that reached its lock after the first look is never seen there
            await watcher.rollback()
            if waiting:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the call never waited for the row's lock")


async def opened(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    payment = await order(client)
    payme_id = new_payme_id()
    body = await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(),
                                                   "amount": payment["amount"], "account": account(payment)})
    assert body["result"]["state"] == 1, body
    return payment, payme_id


async def counted(runtime: Runtime, sql: str, **params: object) -> Any:
    async with runtime.db.engine.connect() as connection:
        return await connection.scalar(text(sql), params)


async def test_a_perform_whose_payment_changed_meanwhile_is_carried_out_once_as_it_is_now(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    postgres_only(runtime)
    payment, payme_id = await opened(client)
    before = retried()
    async with holding(runtime, payment["id"]) as other:
        perform = asyncio.create_task(rpc(client, "PerformTransaction", {"id": payme_id}))
        await until_waiting_for_a_lock(runtime)  # read without a lock; its write waits
        await other.execute(text("UPDATE payments SET description = 'changed meanwhile', "
                                 "updated_at = :now WHERE id = :id"),
                            {"now": datetime.now(UTC), "id": payment["id"]})
        await other.commit()
    answer = await perform
    assert answer["result"]["state"] == 2, answer
    assert retried() == before + 1  # its first write found the row changed and wrote nothing
    paid = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(payment["user_id"]))).json()
    assert paid["status"] == "succeeded" and paid["description"] == "changed meanwhile"
    # one success, its event built from the payment as it is now; one invoice
    events = await counted(runtime, "SELECT count(*) FROM outbox_events WHERE type = 'payment.succeeded' "
                                    "AND data->>'id' = :id AND data->>'description' = 'changed meanwhile'",
                           id=payment["id"])
    invoices = await counted(runtime, "SELECT count(*) FROM invoices WHERE payment_id = :id", id=payment["id"])
    assert (events, invoices) == (1, 1)
    again = await rpc(client, "PerformTransaction", {"id": payme_id})
    assert again["result"] == answer["result"]


async def test_a_perform_overtaken_by_a_cancel_writes_nothing_and_takes_no_invoice_number(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    postgres_only(runtime)
    payment, payme_id = await opened(client)
    year = datetime.now(UTC).year
    numbers = ("SELECT coalesce(max(last_number), 0) FROM invoice_counters WHERE seller_key = '' "
               "AND year = :year")  # the default seller's series
    taken = await counted(runtime, numbers, year=year)
    before = retried()
    async with holding(runtime, payment["id"]) as other:
        perform = asyncio.create_task(rpc(client, "PerformTransaction", {"id": payme_id}))
        await until_waiting_for_a_lock(runtime)
        # as CancelTransaction writes it, committed while the perform waits
        await other.execute(text("UPDATE provider_transactions SET state = -1, reason = 3, cancel_time = :ms "
                                 "WHERE provider = 'payme' AND provider_tx_id = :tx"),
                            {"ms": now_ms(), "tx": payme_id})
        await other.execute(text("UPDATE payments SET status = 'cancelled', updated_at = :now WHERE id = :id"),
                            {"now": datetime.now(UTC), "id": payment["id"]})
        await other.commit()
    answer = await perform
    assert error_code(answer) == -31008  # the transaction is cancelled: it cannot be performed
    assert retried() == before + 1
    assert await counted(runtime, numbers, year=year) == taken  # numbering stays gap-free
    invoices = await counted(runtime, "SELECT count(*) FROM invoices WHERE payment_id = :id", id=payment["id"])
    audited = await counted(runtime, "SELECT count(*) FROM audit_records WHERE payment_id = :id "
                                     "AND status = 'succeeded'", id=payment["id"])
    assert (invoices, audited) == (0, 0)
    state = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
    assert state["state"] == -1 and state["perform_time"] == 0


async def test_a_storm_of_racing_calls_pays_each_order_once_and_numbers_invoices_without_gaps(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Performs, repeated creates and a cancel for a dozen orders, all at once and shuffled:
    whichever wins an order's race, its answers agree with where it ended."""
    orders = [await opened(client) for _ in range(12)]
    calls: list[tuple[str, str, Any]] = []
    for payment, payme_id in orders:
        calls += [(payme_id, "PerformTransaction", {"id": payme_id})] * 3
        calls += [(payme_id, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": payment["amount"],
                                                   "account": account(payment)})] * 2
        calls.append((payme_id, "CancelTransaction", {"id": payme_id, "reason": 3}))
    random.Random(7).shuffle(calls)
    answers = await asyncio.gather(*(rpc(client, method, params) for _, method, params in calls))
    for payment, payme_id in orders:
        mine = [(method, answer) for (tx, method, _), answer in zip(calls, answers, strict=True) if tx == payme_id]
        final = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
        performed = final["state"] in (2, -2)  # paid, and maybe refunded by the cancel after
        status = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(payment["user_id"]))).json()
        assert status["status"] == {2: "succeeded", -1: "cancelled", -2: "refunded"}[final["state"]]
        performs = [a for m, a in mine if m == "PerformTransaction"]
        if performed:  # every perform that succeeded answered the one stored time
            assert {a["result"]["perform_time"] for a in performs if "result" in a} == {final["perform_time"]}
        else:
            assert all(error_code(a) == -31008 for a in performs)
        for m, a in mine:
            if m == "CreateTransaction" and "result" in a:  # a repeat while still open
                assert a["result"]["state"] == 1 and a["result"]["create_time"] == final["create_time"]
            elif m == "CreateTransaction":
                assert error_code(a) == -31008  # performed or cancelled by then
        invoices = await counted(runtime, "SELECT count(*) FROM invoices WHERE payment_id = :id", id=payment["id"])
        succeeded = await counted(runtime, "SELECT count(*) FROM outbox_events WHERE type = 'payment.succeeded' "
                                           "AND data->>'id' = :id", id=payment["id"])
        assert (invoices, succeeded) == ((1, 1) if performed else (0, 0)), payment["id"]
    year = datetime.now(UTC).year
    last = await counted(runtime, "SELECT last_number FROM invoice_counters WHERE seller_key = '' AND year = :year",
                         year=year)  # the default seller's series
    issued = await counted(runtime, "SELECT count(*) FROM invoices WHERE number LIKE :prefix",
                           prefix=f"INV-{year}-%")
    assert last == issued  # every number taken is an invoice: none lost to a write that did not happen


# Pushed events (a Stripe webhook): the same compare-and-set, the payment read with whether
# the event was seen before.

def stripe_retried() -> float:
    sample = {"provider": "stripe", "reason": "changed"}
    return REGISTRY.get_sample_value("kassa_compare_and_set_retried_total", sample) or 0.0


def stripe_event(payment: dict[str, Any]) -> tuple[bytes, str]:
    intent = {"id": payment["provider_payment_id"], "object": "payment_intent", "status": "succeeded",
              "amount": payment["amount"], "amount_received": payment["amount"], "currency": "usd",
              "metadata": {"payment_id": payment["id"]}}
    return signed({"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
                   "data": {"object": intent}})


async def webhook(client: httpx.AsyncClient, event: tuple[bytes, str]) -> str:
    answer = await client.post("/webhooks/stripe", content=event[0], headers={"Stripe-Signature": event[1]})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


async def test_a_stripe_event_whose_payment_changed_meanwhile_is_applied_once_as_it_is_now(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    postgres_only(runtime)
    payment, org, user = await topup(client)
    before = stripe_retried()
    async with holding(runtime, payment["id"]) as other:
        delivered = asyncio.create_task(webhook(client, stripe_event(payment)))
        await until_waiting_for_a_lock(runtime)  # read without a lock; its write waits
        await other.execute(text("UPDATE payments SET description = 'changed meanwhile', "
                                 "updated_at = :now WHERE id = :id"),
                            {"now": datetime.now(UTC), "id": payment["id"]})
        await other.commit()
    assert await delivered == "applied"
    # its first write found the row changed and wrote nothing (at least: another test's late
    # Stripe event may race its own payment meanwhile, in this process)
    assert stripe_retried() >= before + 1
    paid = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user, orgs=[org]))).json()
    assert paid["status"] == "succeeded" and paid["description"] == "changed meanwhile"
    events = await counted(runtime, "SELECT count(*) FROM outbox_events WHERE type = 'payment.succeeded' "
                                    "AND data->>'id' = :id AND data->>'description' = 'changed meanwhile'",
                           id=payment["id"])
    invoices = await counted(runtime, "SELECT count(*) FROM invoices WHERE payment_id = :id", id=payment["id"])
    claims = await counted(runtime, "SELECT count(*) FROM provider_events WHERE payment_id = :id", id=payment["id"])
    assert (events, invoices, claims) == (1, 1, 1)
    assert await wallet(client, org, user) == [{"currency": "USD", "amount": payment["amount"]}]


async def test_racing_stripe_events_and_their_copies_credit_each_wallet_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Three different success events of each of eight top-ups, each delivered twice, all at
    once and shuffled: one applies, the other events are ignored, every copy is a duplicate."""
    topups = [await topup(client) for _ in range(8)]
    sends: list[tuple[str, str, tuple[bytes, str]]] = []
    for payment, _, _ in topups:
        for _ in range(3):
            event = stripe_event(payment)
            sends += [(payment["id"], json.loads(event[0])["id"], event)] * 2
    random.Random(11).shuffle(sends)
    outcomes = await asyncio.gather(*(webhook(client, event) for _, _, event in sends))
    for payment, org, user in topups:
        mine = [(evt, o) for (pid, evt, _), o in zip(sends, outcomes, strict=True) if pid == payment["id"]]
        assert sorted(o for _, o in mine).count("applied") == 1, mine
        for evt in {e for e, _ in mine}:  # each event: one copy decided, the other a duplicate
            assert [o for e, o in mine if e == evt].count("duplicate") == 1, mine
        assert await wallet(client, org, user) == [{"currency": "USD", "amount": payment["amount"]}]
        invoices = await counted(runtime, "SELECT count(*) FROM invoices WHERE payment_id = :id", id=payment["id"])
        succeeded = await counted(runtime, "SELECT count(*) FROM outbox_events WHERE type = 'payment.succeeded' "
                                           "AND data->>'id' = :id", id=payment["id"])
        claims = await counted(runtime, "SELECT count(*) FROM provider_events WHERE payment_id = :id",
                               id=payment["id"])
        assert (invoices, succeeded, claims) == (1, 1, 3)


async def test_a_renewal_charge_whose_subscription_changed_meanwhile_renews_it_as_it_is_now(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    """The charge's answer is applied reading the subscription without a lock; the customer
    asks meanwhile to stop at the period's end. The renewal then happens under the lock, on
    the subscription as it is: the new period is the last (nothing scheduled before its end)
    and the customer's choice stays."""
    postgres_only(runtime)
    tariff = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    before = stripe_retried()
    async with claimed_on_a_worker(client, settings, sub) as (worker, renewal):
        async with runtime.db.engine.connect() as other:
            await other.execute(text("SELECT id FROM subscriptions WHERE id = :id FOR UPDATE"), {"id": sub["id"]})
            charge = asyncio.create_task(renewals._carry_out(worker, renewal))
            await until_waiting_for_a_lock(runtime)  # read without a lock; its write waits
            await other.execute(text("UPDATE subscriptions SET cancel_at_period_end = true, updated_at = :now "
                                     "WHERE id = :id"), {"now": datetime.now(UTC), "id": sub["id"]})
            await other.commit()
        await charge
    # its first write found the subscription changed (at least: a late event of the purchase
    # may race its own payment meanwhile, in this process)
    assert stripe_retried() >= before + 1
    assert [p["status"] for p in await renewal_payments(client, sub["id"], user)] == ["succeeded"]
    renewed = await subscription(client, sub["id"], user)
    assert renewed["cancel_at_period_end"] is True
    assert renewed["current_period_end"] > sub["current_period_end"]  # the next period was bought
    async with runtime.db.engine.connect() as connection:
        found = (await connection.execute(text(
            "SELECT next_attempt_at, current_period_end, (SELECT count(*) FROM subscription_periods "
            "WHERE subscription_id = :id) AS periods FROM subscriptions WHERE id = :id"), {"id": sub["id"]})).one()
    assert found.next_attempt_at == found.current_period_end  # it ends then: no renewal before
    assert found.periods == 2  # the purchase's and the renewal's, once


async def test_a_renewal_charge_after_its_subscription_changed_since_the_claim_renews_it_as_it_is_now(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    """The charge's answer is decided on the payment and subscription as the claim wrote them,
    not read again; the customer asks to stop at the period's end between the claim and the
    answer. Its write finds the subscription changed and writes nothing; the renewal then
    happens under the lock on the subscription as it is, and the customer's choice stays."""
    postgres_only(runtime)
    tariff = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    async with claimed_on_a_worker(client, settings, sub) as (worker, renewal):
        async with runtime.db.engine.begin() as other:
            await other.execute(text("UPDATE subscriptions SET cancel_at_period_end = true, updated_at = :now "
                                     "WHERE id = :id"), {"now": datetime.now(UTC), "id": sub["id"]})
        before = stripe_retried()
        await renewals._carry_out(worker, renewal)
        assert stripe_retried() >= before + 1  # the claim's rows were not trusted as they were
    assert [p["status"] for p in await renewal_payments(client, sub["id"], user)] == ["succeeded"]
    renewed = await subscription(client, sub["id"], user)
    assert renewed["cancel_at_period_end"] is True
    assert renewed["current_period_end"] > sub["current_period_end"]
    async with runtime.db.engine.connect() as connection:
        found = (await connection.execute(text(
            "SELECT next_attempt_at, current_period_end, (SELECT count(*) FROM subscription_periods "
            "WHERE subscription_id = :id) AS periods FROM subscriptions WHERE id = :id"), {"id": sub["id"]})).one()
    assert found.next_attempt_at == found.current_period_end
    assert found.periods == 2
