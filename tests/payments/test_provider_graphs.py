"""Each provider's signals, in any order and any number of times, leave kassa where the
provider's final state says: if the provider holds the customer's money, the payment is
paid (refunded accordingly), and its effects happen exactly once.

Hypothesis draws a provider history (Stripe: declines, then paid, cancelled or abandoned,
then refunds; YooKassa: two-step or not, then refunds; Kaspi: polled statuses; Payme: the
Merchant API calls Payme makes, retried), then a delivery: every signal one to three
times, shuffled. The wallet (a top-up is credited once and debited by refunds), the
invoices and the outbox show the effects. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kassa.core.context import Actor
from kassa.db.models import Invoice, OutboxEvent
from kassa.domain.money import to_decimal_string
from kassa.domain.updates import ProviderUpdate
from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY
from kassa.providers.stripe.mapping import event_update
from kassa.providers.yookassa.mapping import payment_update
from kassa.runtime import Runtime
from kassa.services.payments.updates import apply_update
from tests.conftest import bearer, unique

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
AMOUNT = 10_000


@dataclass
class Expected:
    status: str
    refunded: int = 0

    @property
    def paid(self) -> bool:
        return self.status in ("succeeded", "partially_refunded", "refunded")


def refund_steps(draw: st.DrawFn, amount: int) -> list[int]:
    """Cumulative refunded totals after each refund (none, some, or all of the amount)."""
    totals: list[int] = []
    left = amount
    for _ in range(draw(st.integers(0, 3))):
        if left == 0:
            break
        step = draw(st.integers(1, left))
        left -= step
        totals.append(amount - left)
    return totals


def deliveries(draw: st.DrawFn, signals: list[Any]) -> list[Any]:
    repeated = [s for s in signals for _ in range(draw(st.integers(1, 3)))]
    return draw(st.permutations(repeated))


def final_of(paid: bool, refunds: list[int], otherwise: str, amount: int = AMOUNT) -> Expected:
    if not paid:
        return Expected(otherwise)
    refunded = refunds[-1] if refunds else 0
    if refunded == 0:
        return Expected("succeeded")
    return Expected("refunded" if refunded == amount else "partially_refunded", refunded)


async def topup(client: httpx.AsyncClient, provider: str, currency: str, **extra: Any) -> tuple[dict[str, Any], str, str]:
    org, user = unique("org"), unique("u")
    response = await client.post("/api/v1/payments", json={
        "provider": provider, "amount": AMOUNT, "currency": currency, "purpose": "wallet_topup",
        "organization_id": org, **extra}, headers=bearer(user, orgs=[org]))
    assert response.status_code == 201, response.text
    return response.json(), org, user


async def apply_all(rt: Runtime, provider: str, updates: list[ProviderUpdate]) -> None:
    for update in updates:
        async with rt.db.transaction() as session:
            await apply_update(session, update, actor=Actor.provider(provider))


async def assert_outcome(client: httpx.AsyncClient, rt: Runtime, payment: dict[str, Any], org: str,
                         user: str, currency: str, expected: Expected) -> None:
    got = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user, orgs=[org]))).json()
    assert (got["status"], got["refunded_amount"]) == (expected.status, expected.refunded)
    balances = (await client.get(f"/api/v1/wallets/{org}", headers=bearer(user, orgs=[org]))).json()["balances"]
    credited = AMOUNT - expected.refunded if expected.paid else 0
    assert {b["currency"]: b["amount"] for b in balances}.get(currency, 0) == credited
    async with rt.db.transaction() as session:
        invoices = await session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.payment_id == payment["id"]))
        events = (await session.execute(select(OutboxEvent.data).where(
            OutboxEvent.type == "payment.succeeded"))).scalars().all()
    assert invoices == (1 if expected.paid else 0)
    assert sum(1 for data in events if data.get("id") == payment["id"]) == (1 if expected.paid else 0)


# --- Stripe: events as Stripe sends them (not ordered; payment_failed is not final) ---------

@st.composite
def stripe_histories(draw: st.DrawFn) -> tuple[list[tuple[str, dict[str, Any]]], bool, list[int], str]:
    declines = draw(st.integers(0, 3))
    ending = draw(st.sampled_from(["succeeded", "canceled", "abandoned"]))
    events: list[tuple[str, dict[str, Any]]] = [("payment_intent.payment_failed", {
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}})
        for _ in range(declines)]
    refunds: list[int] = []
    if ending == "succeeded":
        if draw(st.booleans()):
            events.append(("payment_intent.processing", {"status": "processing"}))
        events.append(("payment_intent.succeeded", {"status": "succeeded", "amount_received": AMOUNT}))
        refunds = refund_steps(draw, AMOUNT)
        events += [("charge.refunded", {"amount_refunded": total}) for total in refunds]
    elif ending == "canceled":
        events.append(("payment_intent.canceled", {"status": "canceled"}))
    otherwise = {"canceled": "cancelled", "abandoned": "failed" if declines else "pending"}.get(ending, "")
    return deliveries(draw, events), ending == "succeeded", refunds, otherwise


def stripe_event(kind: str, fields: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    pi = payment["provider_payment_id"]
    if kind == "charge.refunded":
        obj = {"id": f"ch_{pi}", "object": "charge", "amount": AMOUNT, "amount_captured": AMOUNT,
               "currency": "usd", "payment_intent": pi, **fields}
    else:
        obj = {"id": pi, "object": "payment_intent", "amount": AMOUNT, "currency": "usd",
               "metadata": {"payment_id": payment["id"]}, **fields}
    # one event id per signal: a repeated delivery of it is the same event
    digest = f"{kind}:{sorted(fields.items())!r}"
    return {"id": f"evt_{pi}_{abs(hash(digest))}", "type": kind, "data": {"object": obj}}


@given(history=stripe_histories())
@EXAMPLES
async def test_stripe_signals_in_any_order(client: httpx.AsyncClient, runtime: Runtime,
                                            history: tuple[list[tuple[str, dict[str, Any]]], bool, list[int], str]) -> None:
    signals, paid, refunds, otherwise = history
    payment, org, user = await topup(client, "stripe", "USD")
    updates = [event_update(stripe_event(kind, fields, payment)) for kind, fields in signals]
    await apply_all(runtime, "stripe", [u for u in updates if u is not None])
    await assert_outcome(client, runtime, payment, org, user, "USD", final_of(paid, refunds, otherwise))


# --- YooKassa: each notification re-reads the payment, so a signal is a snapshot -----------

@st.composite
def yookassa_histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bool, list[int], str]:
    snapshots: list[dict[str, Any]] = [{"status": "pending"}]
    if draw(st.booleans()):
        snapshots.append({"status": "waiting_for_capture"})
    paid = draw(st.booleans())
    refunds: list[int] = []
    if paid:
        snapshots.append({"status": "succeeded"})
        refunds = refund_steps(draw, AMOUNT)
        snapshots += [{"status": "succeeded", "refunded": total} for total in refunds]
    else:
        snapshots.append({"status": "canceled"})
    # the snapshot read after the last change is always among those delivered
    chosen = [s for s in snapshots[:-1] if draw(st.booleans())] + [snapshots[-1]]
    return deliveries(draw, chosen), paid, refunds, "cancelled"


@given(history=yookassa_histories())
@EXAMPLES
async def test_yookassa_snapshots_in_any_order(client: httpx.AsyncClient, runtime: Runtime,
                                                history: tuple[list[dict[str, Any]], bool, list[int], str]) -> None:
    signals, paid, refunds, otherwise = history
    payment, org, user = await topup(client, "yookassa", "RUB")
    updates = []
    for snap in signals:
        obj: dict[str, Any] = {"id": payment["provider_payment_id"], "status": snap["status"],
                               "amount": {"value": to_decimal_string(AMOUNT, "RUB"), "currency": "RUB"},
                               "metadata": {"payment_id": payment["id"]}}
        if snap.get("refunded"):
            obj["refunded_amount"] = {"value": to_decimal_string(snap["refunded"], "RUB"), "currency": "RUB"}
        if snap["status"] == "canceled":
            obj["cancellation_details"] = {"party": "yoo_money", "reason": "expired_on_confirmation"}
        updates.append(payment_update(obj, "notification"))
    await apply_all(runtime, "yookassa", updates)
    await assert_outcome(client, runtime, payment, org, user, "RUB", final_of(paid, refunds, otherwise))


# --- Kaspi: polled statuses, a slow poll may answer after a newer one -----------------------

@st.composite
def kaspi_histories(draw: st.DrawFn) -> tuple[list[tuple[str, int]], bool, list[int], str]:
    ending = draw(st.sampled_from(["Processed", "Error", "RemotePaymentCanceled", "Wait"]))
    path = [("Wait", 0)] if ending == "Wait" else [("Wait", 0), (ending, 0)]
    refunds: list[int] = []
    if ending == "Processed":
        # Kaspi refunds whole tenge
        refunds = [t * 100 for t in refund_steps(draw, AMOUNT // 100)]
        path += [("Processed", total) for total in refunds]
    chosen = [s for s in path[:-1] if draw(st.booleans())] + [path[-1]]
    otherwise = {"Error": "failed", "RemotePaymentCanceled": "cancelled", "Wait": "processing"}.get(ending, "")
    return deliveries(draw, chosen), ending == "Processed", refunds, otherwise


@given(history=kaspi_histories())
@EXAMPLES
async def test_kaspi_polls_in_any_order(client: httpx.AsyncClient, runtime: Runtime,
                                         history: tuple[list[tuple[str, int]], bool, list[int], str]) -> None:
    signals, paid, refunds, otherwise = history
    payment, org, user = await topup(client, "kaspi", "KZT", phone="77015211545")
    provider: Any = runtime.providers.get("kaspi")
    from kassa.db.models import Payment
    from kassa.services.payments.service import request_for
    async with runtime.db.transaction() as session:
        row = await session.get(Payment, payment["id"])
    assert row is not None
    request = await request_for(runtime, row)
    updates = [provider._update(request, payment["provider_payment_id"], status,
                                {"refundedAmount": to_decimal_string(refunded, "KZT")} if refunded else {})
               for status, refunded in signals]
    await apply_all(runtime, "kaspi", updates)
    await assert_outcome(client, runtime, payment, org, user, "KZT", final_of(paid, refunds, otherwise))


# --- Payme: the Merchant API calls Payme makes, each retried -------------------------------

PAYME_AUTH = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}


@st.composite
def payme_histories(draw: st.DrawFn) -> tuple[list[str], str]:
    path = draw(st.sampled_from([
        ["create"], ["create", "perform"], ["create", "cancel"], ["create", "perform", "cancel"]]))
    calls: list[str] = []
    for step in path:
        calls += [step] * draw(st.integers(1, 3))  # Payme repeats a call whose answer it lost
        if draw(st.booleans()):
            calls.append("check")
    final = {"create": "processing", "perform": "succeeded"}.get(path[-1])
    if path[-1] == "cancel":
        final = "refunded" if "perform" in path else "cancelled"
    assert final is not None
    return calls, final


@given(history=payme_histories())
@EXAMPLES
async def test_payme_calls_repeated_leave_the_payment_where_payme_is(
        client: httpx.AsyncClient, runtime: Runtime, history: tuple[list[str], str]) -> None:
    calls, final = history
    payment, org, user = await topup(client, "payme", "UZS")
    payme_id, created = secrets.token_hex(12), int(time.time() * 1000)
    params = {
        "create": {"id": payme_id, "time": created, "amount": AMOUNT, "account": {"order_id": payment["id"]}},
        "perform": {"id": payme_id}, "cancel": {"id": payme_id, "reason": 5}, "check": {"id": payme_id}}
    method = {"create": "CreateTransaction", "perform": "PerformTransaction",
              "cancel": "CancelTransaction", "check": "CheckTransaction"}
    answers: dict[str, Any] = {}
    for call in calls:
        response = await client.post("/webhooks/payme", headers=PAYME_AUTH, json={
            "jsonrpc": "2.0", "id": 1, "method": method[call], "params": params[call]})
        body = response.json()
        assert response.status_code == 200 and "result" in body, body
        if call != "check":  # a repeat answers exactly as the first time
            assert answers.setdefault(call, body["result"]) == body["result"]
    refunded = AMOUNT if final == "refunded" else 0
    await assert_outcome(client, runtime, payment, org, user, "UZS", Expected(final, refunded))
