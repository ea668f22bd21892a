"""Round trips to the database per request on the hot paths, counted (not timed): every
statement the driver sends, BEGIN and COMMIT included. A budget that grows costs throughput
on every deployment, whatever the machine. On PostgreSQL the writes of a payment's move leave
as one statement (kassa.fast.batch); SQLite, in process, runs them one by one, so its counts
are statements rather than round trips, held to their own budget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from kassa.core.settings import Settings
from kassa.runtime import Runtime
from kassa.services.billing import renewals
from kassa.services.payments import provider_keys
from tests.billing.test_billing import (
    claimed_on_a_worker,
    claimed_together,
    renewal_payments,
    stripe_subscriber,
)
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_merchant_api import account, new_payme_id, now_ms, order, rpc
from tests.providers.test_stripe import signed, topup

# the budgets are what the batch and the compare-and-set are for (FAST_PATHS)
pytestmark = pytest.mark.fast("batch", "compare_and_set")

# (PostgreSQL round trips, SQLite statements incl. BEGIN IMMEDIATE) per call. A payment
# that succeeds reads its seller on SQLite (the invoice keeps it, and is numbered in its
# series and time zone); PostgreSQL finds the seller in the statement that takes the number.
BUDGET = {
    "CheckPerformTransaction": (1, 1),  # one read, no transaction
    # PostgreSQL: a compare-and-set, no transaction: the order read with its transactions,
    # the writes sent only if it is unchanged (SQLite: BEGIN, the lock, the writes, COMMIT)
    "CreateTransaction": (2, 9),
    "CreateTransaction again": (1, 5),  # answered from the one read
    "PerformTransaction": (2, 13),  # the transaction read with its order, the writes
    "PerformTransaction again": (1, 4),
    # advice: the transaction, or a period's transactions, in one read without a session
    "CheckTransaction": (1, 1),
    "GetStatement": (1, 1),
    # a provider's signed event (Stripe's), PostgreSQL: a compare-and-set, no transaction:
    # the payment read with whether the event was seen, the writes (the move and its
    # effects, the event's claim) sent only if the payment is unchanged (SQLite: BEGIN, the
    # lock, the claim, the writes, COMMIT)
    "Stripe event": (2, 14),
    "Stripe event again": (1, 5),  # a duplicate: answered from the one read
    # another event of the payment already paid (a renewal's charge was applied from
    # Stripe's answer before its event came): the read, the claim and its audit record
    "Stripe event, already paid": (2, 6),
    # payment, audit record and the Idempotency-Key's answer as one statement (SQLite: in one
    # transaction): the key's record is its claim, so Redis is not asked at all
    "create payment": (1, 6),
    # a client polling its payment: the row's columns in one statement, no transaction
    "read payment": (1, 1),
    # a page of a list (payments, subscriptions, invoices...): its count and its rows, each
    # a statement by itself (READ COMMITTED gave each its own snapshot in a transaction too)
    "list payments": (2, 2),
    # a saved card charged by a deployment's billing job (its payment was written in the
    # claim), PostgreSQL: a compare-and-set, no transaction and no read: the payment, its
    # subscription and tariff as the claim wrote them, the writes (the move, the period,
    # the invoice) sent only if both rows are still so (billing time is the wall clock: the
    # sandbox clock is read in sandbox mode only)
    "renewal charge": (1, 17),
}


@contextmanager
def counting(rt: Runtime) -> Iterator[list[str]]:
    """The first word of every statement, BEGIN, COMMIT and ROLLBACK the process sends
    while the block runs."""
    sent: list[str] = []
    engine = rt.db.engine.sync_engine

    def transactional(conn: Any) -> bool:
        # in autocommit SQLAlchemy still marks a transaction's edges, but sends nothing
        return bool(conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT")

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split()[0].upper())

    def edge(word: str) -> Any:
        def hook(conn: Any) -> None:
            if transactional(conn):
                sent.append(word)

        return hook

    hooks = [("before_cursor_execute", on_execute), ("begin", edge("BEGIN")),
             ("commit", edge("COMMIT")), ("rollback", edge("ROLLBACK"))]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield sent
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


async def keys_read(runtime: Runtime, provider: str) -> None:
    """The provider's rotated key read afresh: a process reads it once every few seconds
    (`provider_keys.CACHE_SECONDS`), a cost of no call in particular, which a slow machine
    would otherwise count in whichever call came after the cache ran out."""
    provider_keys.forget(runtime)
    await provider_keys.rotated_key(runtime, provider)


def within_budget(runtime: Runtime, call: str, sent: list[str]) -> None:
    """On PostgreSQL the count is exact: statements sent through asyncpg itself
    (kassa.fast.driver) must be counted, not missed."""
    postgres, sqlite = BUDGET[call]
    allowed = sqlite if runtime.db.is_sqlite else postgres
    if runtime.db.is_sqlite:
        assert len(sent) <= allowed, f"{call}: {len(sent)} > {allowed}: {sent}"
    else:
        assert len(sent) == allowed, f"{call}: {len(sent)} sent, budget {allowed}: {sent}"


async def test_the_payme_cycle_stays_within_its_round_trips(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payment = await order(client)
    await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": account(payment)})
    tx = new_payme_id()
    create = {"id": tx, "time": now_ms(), "amount": 500_000, "account": account(payment)}
    calls = [
        ("CheckPerformTransaction", "CheckPerformTransaction",
         {"amount": 500_000, "account": account(payment)}),
        ("CreateTransaction", "CreateTransaction", create),
        ("CreateTransaction again", "CreateTransaction", create),
        ("PerformTransaction", "PerformTransaction", {"id": tx}),
        ("PerformTransaction again", "PerformTransaction", {"id": tx}),
        ("CheckTransaction", "CheckTransaction", {"id": tx}),
        ("GetStatement", "GetStatement", {"from": create["time"], "to": create["time"]}),
    ]
    for name, method, params in calls:
        await keys_read(runtime, "payme")
        with counting(runtime) as sent:
            body = await rpc(client, method, params)
        assert "result" in body, body
        within_budget(runtime, name, sent)
    paid = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(payment["user_id"]))
    assert paid.json()["status"] == "succeeded"


async def test_a_providers_event_stays_within_its_round_trips(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payment, org, user = await topup(client)  # a wallet top-up: its ledger entry too
    intent = {"id": payment["provider_payment_id"], "object": "payment_intent", "status": "succeeded",
              "amount": 5_000, "amount_received": 5_000, "currency": "usd", "metadata": {"payment_id": payment["id"]}}
    payload, header = signed({"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
                              "data": {"object": intent}})
    later, later_header = signed({"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
                                  "data": {"object": intent}})
    for name, outcome, body, signature in (("Stripe event", "applied", payload, header),
                                           ("Stripe event again", "duplicate", payload, header),
                                           ("Stripe event, already paid", "ignored", later, later_header)):
        await keys_read(runtime, "stripe")
        with counting(runtime) as sent:
            answer = await client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": signature})
        assert answer.status_code == 200 and answer.json()["outcome"] == outcome, answer.text
        within_budget(runtime, name, sent)
    paid = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user, orgs=[org]))
    assert paid.json()["status"] == "succeeded"


async def test_creating_a_payment_stays_within_its_round_trips(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = unique("u")
    for _ in range(2):  # the caller's rate budget: reserved one hit, then a block (Redis)
        await client.get("/api/v1/payments", headers=bearer(user))
    commands: list[str] = []
    if runtime.redis is not None:
        send = runtime.redis.execute_command

        async def counted(*args: Any, **options: Any) -> Any:
            commands.append(str(args[0]))
            return await send(*args, **options)

        monkeypatch.setattr(runtime.redis, "execute_command", counted)
    with counting(runtime) as sent:
        response = await client.post(
            "/api/v1/payments", json={"provider": "payme", "amount": 1000, "currency": "UZS"},
            headers={**bearer(user), "Idempotency-Key": unique("k")})
    assert response.status_code == 201
    within_budget(runtime, "create payment", sent)
    assert commands == []  # neither a claim nor a stored answer: the key is in the statement


async def test_reading_a_payment_stays_within_its_round_trips(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    made = await client.post(
        "/api/v1/payments", json={"provider": "payme", "amount": 1000, "currency": "UZS",
                                  "metadata": {"order": "A-1"}},
        headers={**bearer(user), "Idempotency-Key": unique("k")})  # fmt: skip
    assert made.status_code == 201
    with counting(runtime) as sent:
        read = await client.get(f"/api/v1/payments/{made.json()['id']}", headers=bearer(user))
    assert read.status_code == 200
    within_budget(runtime, "read payment", sent)
    assert read.json() == made.json()  # every field as the create answered it
    foreign = await client.get(f"/api/v1/payments/{made.json()['id']}", headers=bearer(unique("u")))
    assert foreign.status_code == 404


async def test_listing_payments_stays_within_its_round_trips(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    for _ in range(3):
        made = await client.post(
            "/api/v1/payments", json={"provider": "payme", "amount": 1000, "currency": "UZS"},
            headers={**bearer(user), "Idempotency-Key": unique("k")})  # fmt: skip
        assert made.status_code == 201
    with counting(runtime) as sent:
        page = await client.get("/api/v1/payments?page_size=2", headers=bearer(user))
    within_budget(runtime, "list payments", sent)
    assert page.json()["total"] == 3 and len(page.json()["items"]) == 2


async def test_a_renewal_charge_stays_within_its_round_trips(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Counted on a deployment's worker (sandbox mode off, Stripe still the emulator): Stripe's
    webhook, which the API handles meanwhile, is not the charge's cost."""
    tariff = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    async with claimed_on_a_worker(client, settings, sub) as (worker, renewal):
        with counting(worker) as sent:
            await renewals._carry_out(worker, renewal)
        within_budget(worker, "renewal charge", sent)
    assert [p["status"] for p in await renewal_payments(client, sub["id"], user)] == ["succeeded"]


async def test_renewals_claimed_together_are_charged_within_their_round_trips(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Subscriptions claimed in one batch (the billing job claims up to 50 at once) each
    have their charge's answer applied in one round trip too: what the claim wrote of each
    is what is in the database, so no compare-and-set finds its rows changed."""
    tariff = await make_tariff(client, amount=2_000, currency="USD", duration_days=30, recurring=True)
    subscribers = [await stripe_subscriber(client, tariff) for _ in range(3)]
    async with claimed_together(client, settings, [sub for _, _, sub in subscribers]) as (worker, claimed):
        for renewal in claimed:
            with counting(worker) as sent:
                await renewals._carry_out(worker, renewal)
            within_budget(worker, "renewal charge", sent)
    for user, _, sub in subscribers:
        assert [p["status"] for p in await renewal_payments(client, sub["id"], user)] == ["succeeded"]
