"""Recurring billing as a customer and an operator see it: a card saved while paying, the
sandbox clock moved a month, the renewal charged once; declines, dunning and cancellation;
a customer without a saved card asked to pay; refunds taking back exactly their period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from kassa.core.settings import Settings
from kassa.db.models import OutboxEvent, Payment, PaymentMethod, ProviderCustomer, Subscription
from kassa.db.session_info import DEFAULT_POLICY
from kassa.runtime import Runtime
from kassa.sandbox.stripe.app import ENABLED_EVENTS
from kassa.services.accounts import payment_methods
from kassa.services.billing import clock, renewals
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_stripe import signed

DAY = 86_400


async def settle(client: httpx.AsyncClient, payment_id: str, user: str, status: str = "succeeded") -> dict[str, Any]:
    """Waits for the provider's webhook to land (the emulators send theirs after answering)."""
    for _ in range(100):
        body: dict[str, Any] = (await client.get(f"/api/v1/payments/{payment_id}", headers=bearer(user))).json()
        if body["status"] == status:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"payment {payment_id} stayed {body['status']}, not {status}")


async def advance(client: httpx.AsyncClient, seconds: int) -> dict[str, Any]:
    moved = await client.post("/sandbox/clock/advance", json={"seconds": seconds})
    assert moved.status_code == 200, moved.text
    result: dict[str, Any] = moved.json()
    return result


async def subscription(client: httpx.AsyncClient, sub_id: str, user: str) -> dict[str, Any]:
    got = await client.get(f"/api/v1/subscriptions/{sub_id}", headers=bearer(user))
    assert got.status_code == 200, got.text
    result: dict[str, Any] = got.json()
    return result


async def until_due(client: httpx.AsyncClient, sub: dict[str, Any], before_end: timedelta) -> None:
    """Moves the clock to `before_end` ahead of the subscription's period end."""
    clock = (await client.get("/sandbox/clock")).json()
    gap = datetime.fromisoformat(sub["current_period_end"]) - datetime.fromisoformat(clock["now"])
    await advance(client, max(1, int((gap - before_end).total_seconds())))


async def renewal_payments(client: httpx.AsyncClient, sub_id: str, user: str) -> list[dict[str, Any]]:
    listed = (await client.get("/api/v1/payments?purpose=tariff&page_size=100", headers=bearer(user))).json()
    return sorted((p for p in listed["items"] if p["subscription_id"] == sub_id and p["billing_period"]),
                  key=lambda p: p["created_at"])


async def events(runtime: Runtime, kind: str, sub_id: str) -> list[dict[str, Any]]:
    async with runtime.db.transaction() as session:
        rows = (await session.execute(select(OutboxEvent.data).where(OutboxEvent.type == kind))).scalars()
        return [row for row in rows if row.get("id") == sub_id]


async def stripe_subscriber(client: httpx.AsyncClient, tariff: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A customer who bought the tariff on Stripe's Checkout page, keeping the card."""
    user = unique("u")
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "save_payment_method": True}, headers=bearer(user))
    assert bought.status_code == 201, bought.text
    payment = bought.json()
    assert payment["save_payment_method"] is True
    await client.post(payment["checkout_url"], data={"action": "pay"})
    paid = await settle(client, payment["id"], user)
    sub = await subscription(client, paid["subscription_id"], user)
    return user, paid, sub


@asynccontextmanager
async def claimed_on_a_worker(client: httpx.AsyncClient, settings: Settings,
                              sub: dict[str, Any]) -> AsyncIterator[tuple[Runtime, renewals.Renewal]]:
    """The subscription's renewal claimed by a deployment's worker (sandbox mode off, Stripe
    still the emulator) within the renewal's lead, before the API's own job would, with
    Stripe's events held back (the endpoint's events, as the Dashboard sets them): racing the
    charge's answer, they would move the payment first."""
    async with claimed_together(client, settings, [sub]) as (worker, claimed):
        yield worker, claimed[0]


@asynccontextmanager
async def claimed_together(client: httpx.AsyncClient, settings: Settings, subs: list[dict[str, Any]]
                           ) -> AsyncIterator[tuple[Runtime, list[renewals.Renewal]]]:
    """`claimed_on_a_worker` for several subscriptions due together: one claim, one flush."""
    await until_due(client, subs[0], timedelta(hours=30))
    worker = Runtime.build(settings.model_copy(update={"sandbox": False}))
    try:
        async with worker.db.transaction() as session:
            rows = [await session.get(Subscription, sub["id"], with_for_update=True) for sub in subs]
            assert all(row is not None for row in rows)
            due = await clock.billing_now(session) + timedelta(hours=7)
            claimed = await renewals.claim(worker, session, rows, due, DEFAULT_POLICY)  # type: ignore[arg-type]
        assert len(claimed) == len(subs) and all(r.token is not None for r in claimed)
        await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": ["charge.refunded"]})
        yield worker, claimed
    finally:
        await client.put("/sandbox/stripe/_webhook_endpoint", json={"enabled_events": sorted(ENABLED_EVENTS)})
        await worker.close()


async def test_billing_time_is_the_wall_clock_outside_sandbox_mode(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The sandbox clock moves billing in sandbox mode only: a deployment whose database
    kept an offset from its sandbox days bills on real time."""
    await advance(client, 3 * 86_400)
    offset = timedelta(seconds=(await client.get("/sandbox/clock")).json()["offset_seconds"])
    assert offset >= timedelta(days=3)
    for sandbox, expected in ((True, offset), (False, timedelta(0))):
        rt = Runtime.build(settings.model_copy(update={"sandbox": sandbox}))
        try:
            async with rt.db.transaction() as session:
                ahead = await clock.billing_now(session) - datetime.now(UTC)
        finally:
            await rt.close()
        assert abs(ahead - expected) < timedelta(minutes=1), (sandbox, ahead)


async def test_a_card_kept_for_one_payer_is_never_kept_for_another(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A provider's saved card belongs to one customer. A signal that names a card kassa
    keeps for someone else still pays the payment, but keeps no card for its payer: their
    renewals never charge another customer's card."""
    tariff = await make_tariff(client, amount=1_500, currency="USD", duration_days=30, recurring=True)
    _, _, first = await stripe_subscriber(client, tariff)
    async with runtime.db.transaction() as session:
        kept = await session.get(PaymentMethod, first["payment_method_id"])
        assert kept is not None
        token = runtime.box.open(kept.token)
    other = unique("u")
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "save_payment_method": True}, headers=bearer(other))
    assert bought.status_code == 201, bought.text
    intent = {"id": unique("pi"), "object": "payment_intent", "status": "succeeded", "amount": 1_500,
              "amount_received": 1_500, "currency": "usd", "metadata": {"payment_id": bought.json()["id"]},
              "setup_future_usage": "off_session", "customer": unique("cus"), "payment_method": token}
    payload, header = signed({"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
                              "data": {"object": intent}})
    answer = await client.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": header})
    assert answer.status_code == 200 and answer.json()["outcome"] == "applied"
    paid = await settle(client, bought.json()["id"], other)
    sub = await subscription(client, paid["subscription_id"], other)
    assert sub["status"] == "active" and sub["payment_method_id"] is None
    assert (await client.get("/api/v1/payment-methods", headers=bearer(other))).json()["items"] == []


async def test_a_card_saved_at_checkout_renews_the_subscription_once_when_the_month_is_up(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tariff = await make_tariff(client, amount=1_500, currency="USD", duration_days=30, recurring=True)
    user, paid, sub = await stripe_subscriber(client, tariff)
    assert sub["status"] == "active" and sub["auto_renew"] and sub["payment_method_id"]
    cards = (await client.get("/api/v1/payment-methods", headers=bearer(user))).json()["items"]
    assert [c["id"] for c in cards] == [sub["payment_method_id"]] and cards[0]["provider"] == "stripe"
    # the event named only the PaymentMethod: kassa asked Stripe for the card at once
    assert (cards[0]["brand"], cards[0]["last4"], cards[0]["exp_month"]) == ("visa", "4242", 12)
    first_end = datetime.fromisoformat(sub["current_period_end"])

    await until_due(client, sub, timedelta(hours=12))  # inside RENEWAL_LEAD_HOURS (24)
    renewed = await subscription(client, sub["id"], user)
    assert renewed["status"] == "active"
    assert datetime.fromisoformat(renewed["current_period_end"]) == first_end + timedelta(days=30)
    made = await renewal_payments(client, sub["id"], user)
    assert [(p["status"], p["billing_period"], p["amount"]) for p in made] == [("succeeded", 2, 1_500)]
    assert made[0]["payment_method_id"] == sub["payment_method_id"]
    invoices = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
    assert {i["payment_id"] for i in invoices} == {paid["id"], made[0]["id"]}
    assert len(await events(runtime, "subscription.renewed", sub["id"])) == 1

    # running the job again, the clock unmoved, charges nothing more
    await advance(client, 60)
    assert len(await renewal_payments(client, sub["id"], user)) == 1
    periods = (await client.get(f"/api/v1/subscriptions/{sub['id']}/periods", headers=bearer(user))).json()
    assert [(p["number"], p["kind"]) for p in periods] == [(2, "renewal"), (1, "purchase")]


async def renewals_charted(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, int]:
    """The renewal charges of the last 14 days as the dashboard's chart draws them."""
    days = (await client.get("/api/v1/admin/statistics", headers=admin)).json()["daily_renewals"]
    return {"renewed": sum(d["renewed"] for d in days), "failed": sum(d["failed"] for d in days)}


async def test_declined_renewals_make_it_past_due_then_follow_the_dunning_schedule_to_cancellation(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    before = await renewals_charted(client, admin)
    tariff = await make_tariff(client, amount=2_000, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    failing = await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_chargeCustomerFail"}, headers=bearer(user))
    assert failing.status_code == 201, failing.text
    changed = await client.patch(f"/api/v1/subscriptions/{sub['id']}", json={
        "payment_method_id": failing.json()["id"]}, headers=bearer(user))
    assert changed.status_code == 200 and changed.json()["payment_method_id"] == failing.json()["id"]

    await until_due(client, sub, timedelta(hours=12))
    due = await subscription(client, sub["id"], user)
    assert due["status"] == "past_due" and due["renewal_attempts"] == 1  # still usable
    past_due = await events(runtime, "subscription.past_due", sub["id"])
    assert len(past_due) == 1 and past_due[0]["failure_code"] == "generic_decline"
    retry = datetime.fromisoformat(due["next_attempt_at"])
    assert retry == datetime.fromisoformat(sub["current_period_end"]) + timedelta(days=1)

    await advance(client, 13 * 3600)  # past the period's end, before the first retry: nothing new
    assert len(await renewal_payments(client, sub["id"], user)) == 1
    await advance(client, DAY)  # the first retry (end + 1d)
    assert (await subscription(client, sub["id"], user))["renewal_attempts"] == 2
    await advance(client, 5 * DAY)  # the retries at end + 3d and + 5d, then it gives up
    ended = await subscription(client, sub["id"], user)
    assert ended["status"] == "cancelled" and ended["next_attempt_at"] is None
    made = await renewal_payments(client, sub["id"], user)
    # four attempts for period 2, each declined; every earlier one closed at Stripe before
    # the next, so none of them could still be paid
    assert [p["billing_period"] for p in made] == [2, 2, 2, 2]
    assert [p["status"] for p in made] == ["cancelled", "cancelled", "cancelled", "failed"]
    assert len(await events(runtime, "subscription.cancelled", sub["id"])) == 1
    after = await renewals_charted(client, admin)  # the dashboard's renewals chart counts them
    assert after["failed"] >= before["failed"] + 4  # (other tests' subscriptions renew too)


async def test_a_new_card_given_while_past_due_is_charged_at_once(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client, amount=2_500, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    failing = (await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_authenticationRequired"}, headers=bearer(user))).json()
    await client.patch(f"/api/v1/subscriptions/{sub['id']}", json={"payment_method_id": failing["id"]},
                       headers=bearer(user))
    await until_due(client, sub, timedelta(hours=1))
    made = await renewal_payments(client, sub["id"], user)
    # a card that wants 3-D Secure cannot be charged without the customer: the renewal
    # needs them (past due, with the reason), it is not charged silently or dropped
    assert made[0]["status"] == "failed" and made[0]["failure_code"] == "authentication_required"
    assert (await subscription(client, sub["id"], user))["status"] == "past_due"

    good = (await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_mastercard"}, headers=bearer(user))).json()
    await client.patch(f"/api/v1/subscriptions/{sub['id']}", json={"payment_method_id": good["id"]},
                       headers=bearer(user))
    await advance(client, 1)
    back = await subscription(client, sub["id"], user)
    assert back["status"] == "active" and back["renewal_attempts"] == 0
    assert datetime.fromisoformat(back["current_period_end"]) == datetime.fromisoformat(
        sub["current_period_end"]) + timedelta(days=30)


async def test_without_a_saved_card_the_customer_is_asked_to_pay_and_a_late_payment_renews(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tariff = await make_tariff(client, amount=5_000_000, currency="UZS", duration_days=30, recurring=True)
    user = unique("u")
    bought = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"},
                                headers=bearer(user))).json()
    await client.post(bought["checkout_url"], data={"action": "pay"})
    paid = await settle(client, bought["id"], user)
    sub = await subscription(client, paid["subscription_id"], user)
    assert sub["payment_method_id"] is None

    await until_due(client, sub, timedelta(hours=6))
    asked = await events(runtime, "subscription.renewal_upcoming", sub["id"])
    assert len(asked) == 1 and asked[0]["checkout_url"] and asked[0]["amount"] == 5_000_000
    assert (await subscription(client, sub["id"], user))["status"] == "active"
    await advance(client, 7 * 3600)  # the period ends unpaid
    assert (await subscription(client, sub["id"], user))["status"] == "past_due"

    await client.post(asked[0]["checkout_url"], data={"action": "pay"})
    await settle(client, asked[0]["payment_id"], user)
    renewed = await subscription(client, sub["id"], user)
    assert renewed["status"] == "active"  # continued from the old end: no gap, no double time
    assert datetime.fromisoformat(renewed["current_period_end"]) == datetime.fromisoformat(
        sub["current_period_end"]) + timedelta(days=30)
    assert len(await events(runtime, "subscription.renewal_upcoming", sub["id"])) == 1


async def test_a_full_refund_takes_back_exactly_the_period_that_payment_bought(client: httpx.AsyncClient,
                                                                             service_key: dict[str, str]) -> None:
    tariff = await make_tariff(client, amount=1_000, currency="USD", duration_days=30)
    user = unique("u")
    good = (await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_visa"}, headers=bearer(user))).json()
    bought = []
    for _ in range(2):
        made = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "payment_method_id": good["id"]}, headers=bearer(user))
        assert made.status_code == 201 and made.json()["status"] == "succeeded", made.text
        bought.append(made.json())
    sub_id = bought[0]["subscription_id"]
    assert bought[1]["subscription_id"] == sub_id  # the same tariff bought again extends it
    held = await subscription(client, sub_id, user)
    end = datetime.fromisoformat(held["current_period_end"])

    refunded = await client.post(f"/api/v1/payments/{bought[1]['id']}/refunds", json={}, headers=service_key)
    assert refunded.status_code == 201, refunded.text
    await settle(client, bought[1]["id"], user, "refunded")
    after = await subscription(client, sub_id, user)
    assert after["status"] == "active"  # the first payment's month is still paid for
    assert datetime.fromisoformat(after["current_period_end"]) == end - timedelta(days=30)

    await client.post(f"/api/v1/payments/{bought[0]['id']}/refunds", json={}, headers=service_key)
    await settle(client, bought[0]["id"], user, "refunded")
    assert (await subscription(client, sub_id, user))["status"] == "cancelled"


async def test_groups_run_side_by_side_and_a_trial_starts_without_a_payment(client: httpx.AsyncClient) -> None:
    user = unique("u")
    card = (await client.post("/api/v1/payment-methods", json={
        "provider": "stripe", "token": "pm_card_visa"}, headers=bearer(user))).json()
    video = await make_tariff(client, amount=900, currency="USD", duration_days=30, recurring=True,
                              trial_days=7, group=unique("video"))
    music = await make_tariff(client, amount=500, currency="USD", duration_days=30, group=unique("music"))
    trial = await client.post("/api/v1/subscriptions", json={
        "tariff_id": video["id"], "payment_method_id": card["id"]}, headers=bearer(user))
    assert trial.status_code == 201, trial.text
    started = trial.json()
    assert started["status"] == "trialing"
    span = datetime.fromisoformat(started["current_period_end"]) - datetime.fromisoformat(started["current_period_start"])
    assert span == timedelta(days=7)
    again = await client.post("/api/v1/subscriptions", json={"tariff_id": video["id"]}, headers=bearer(user))
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"  # one trial per group

    other = await client.post(f"/api/v1/tariffs/{music['id']}/purchase", json={
        "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
    assert other.status_code == 201 and other.json()["status"] == "succeeded"
    mine = (await client.get("/api/v1/subscriptions?status=trialing", headers=bearer(user))).json()
    assert [s["id"] for s in mine["items"]] == [started["id"]]
    both = (await client.get("/api/v1/subscriptions", headers=bearer(user))).json()
    assert {s["tariff_id"] for s in both["items"]} == {video["id"], music["id"]}
    stranger = await client.get(f"/api/v1/subscriptions/{started['id']}", headers=bearer(unique("u")))
    assert stranger.status_code == 404

    await until_due(client, started, timedelta(hours=2))  # the trial ends: the first charge
    paid = await subscription(client, started["id"], user)
    assert paid["status"] == "active"
    assert datetime.fromisoformat(paid["current_period_end"]) == datetime.fromisoformat(
        started["current_period_end"]) + timedelta(days=30)


async def test_cancel_at_period_end_keeps_it_until_then_and_never_charges(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client, amount=1_200, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    cancelled = await client.post(f"/api/v1/subscriptions/{sub['id']}/cancel", json={}, headers=bearer(user))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "active" and cancelled.json()["cancel_at_period_end"] is True
    await until_due(client, sub, timedelta(hours=12))
    assert (await subscription(client, sub["id"], user))["status"] == "active"  # no renewal charged
    assert await renewal_payments(client, sub["id"], user) == []
    await advance(client, 13 * 3600)
    assert (await subscription(client, sub["id"], user))["status"] == "cancelled"
    again = await client.post(f"/api/v1/subscriptions/{sub['id']}/cancel", json={}, headers=bearer(user))
    assert again.status_code == 409


async def test_a_promo_code_is_redeemed_at_most_its_limit_however_many_race_for_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tariff = await make_tariff(client, amount=10_000, currency="USD", duration_days=30)
    code = unique("HALF").upper()
    made = await client.post("/api/v1/admin/promo-codes", json={
        "code": code, "percent_off": 50, "max_redemptions": 3, "tariff_ids": [tariff["id"]]}, headers=admin)
    assert made.status_code == 201, made.text

    async def buy() -> httpx.Response:
        return await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "promo_code": code}, headers=bearer(unique("u")))

    answers = await asyncio.gather(*(buy() for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [422] * 5
    sold = [a.json() for a in answers if a.status_code == 201]
    assert {(p["amount"], p["discount_amount"], p["promo_code"]) for p in sold} == {(5_000, 5_000, code)}
    listed = (await client.get("/api/v1/admin/promo-codes", headers=admin)).json()["items"]
    assert [c["redeemed"] for c in listed if c["code"] == code] == [3]

    # a payment that is cancelled gives its redemption back
    user = sold[0]["user_id"]
    assert (await client.post(f"/api/v1/payments/{sold[0]['id']}/cancel", headers=bearer(user))).status_code == 200
    listed = (await client.get("/api/v1/admin/promo-codes", headers=admin)).json()["items"]
    assert [c["redeemed"] for c in listed if c["code"] == code] == [2]
    wrong = await client.post(f"/api/v1/tariffs/{(await make_tariff(client))['id']}/purchase", json={
        "provider": "payme", "promo_code": code.lower()}, headers=bearer(unique("u")))  # any case
    assert wrong.status_code == 422 and "not valid for this tariff" in wrong.json()["detail"]


async def test_a_worker_killed_mid_charge_and_a_second_one_racing_charge_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The first worker wrote the renewal payment and sent the charge to Stripe, then died
    before hearing the answer; later several workers race for the same subscription. Stripe
    sees the one idempotency key again and answers with the intent it made: one charge."""
    tariff = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, recurring=True)
    user, _, sub = await stripe_subscriber(client, tariff)
    await until_due(client, sub, timedelta(hours=30))  # not due yet
    async with runtime.db.transaction() as session:
        now = await clock.billing_now(session)
        row = await session.get(Subscription, sub["id"])
        assert row is not None
        claimed = await renewals.claim(runtime, session, [row], now + timedelta(hours=7), DEFAULT_POLICY)
    assert len(claimed) == 1
    renewal = claimed[0]
    payment = renewal.payment
    assert not renewal.resumed and payment.status == "pending"
    # what the dead worker's request did at Stripe: the intent made with the renewal's key
    customer = await _customer(runtime, user)
    sent = await client.post("/sandbox/stripe/v1/payment_intents", headers={
        "Authorization": "Bearer sk_test_kassa_sandbox",
        "Idempotency-Key": f"kassa-pi-{renewals.provider_key(renewal.key)}"}, data={
        "amount": "3000", "currency": "usd", "metadata[payment_id]": payment.id,
        "payment_method_types[0]": "card", "description": "Pro: renewal", "customer": customer,
        "payment_method": await _token(runtime, sub["payment_method_id"]), "confirm": "true",
        "off_session": "true"})
    assert sent.status_code == 200, sent.text

    await advance(client, 7 * 3600 + 6 * 60)  # due, and past the dead worker's lease
    await asyncio.gather(*(renewals.bill_due(runtime) for _ in range(4)))
    made = await renewal_payments(client, sub["id"], user)
    assert [(p["id"], p["status"], p["provider_payment_id"]) for p in made] == [
        (payment.id, "succeeded", sent.json()["id"])]
    intents = await client.get(f"/sandbox/stripe/v1/payment_intents?customer={customer}&limit=100",
                               headers={"Authorization": "Bearer sk_test_kassa_sandbox"})
    assert len(intents.json()["data"]) == 2  # the first purchase's and this one: no third
    held = await subscription(client, sub["id"], user)
    assert held["status"] == "active" and held["renewal_attempts"] == 0
    async with runtime.db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(Payment).where(
            Payment.subscription_id == sub["id"], Payment.billing_period == 2))
    assert count == 1


async def _customer(runtime: Runtime, user: str) -> str:
    async with runtime.db.transaction() as session:
        found = await session.scalar(select(ProviderCustomer.customer_id).where(
            ProviderCustomer.provider == "stripe", ProviderCustomer.owner == f"user:{user}"))
    assert found
    return str(found)


async def _token(runtime: Runtime, method_id: str) -> str:
    token = await payment_methods.token_of(runtime, method_id)
    assert token
    return token


async def test_workers_racing_over_due_subscriptions_renew_each_period_once(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    """Six workers, each with its own connection pool (as separate processes have), run the
    billing job at once over ten subscriptions that fell due together."""
    tariff = await make_tariff(client, amount=700, currency="USD", duration_days=30, recurring=True)
    subscribers = []
    for _ in range(10):
        user = unique("u")
        card = (await client.post("/api/v1/payment-methods", json={
            "provider": "stripe", "token": "pm_card_visa"}, headers=bearer(user))).json()
        bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
        assert bought.json()["status"] == "succeeded", bought.text
        subscribers.append((user, bought.json()["subscription_id"]))
    first = await subscription(client, subscribers[0][1], subscribers[0][0])
    clock_now = datetime.fromisoformat((await client.get("/sandbox/clock")).json()["now"])
    gap = datetime.fromisoformat(first["current_period_end"]) - clock_now - timedelta(hours=1)
    async with runtime.db.transaction() as session:
        await clock.advance(session, int(gap.total_seconds()))  # moved, no job run yet

    workers = [Runtime.build(settings) for _ in range(6)]
    try:
        await asyncio.gather(*(renewals.bill_due(worker) for worker in workers for _ in range(2)))
    finally:
        await asyncio.gather(*(worker.close() for worker in workers))
    for user, sub_id in subscribers:
        made = await renewal_payments(client, sub_id, user)
        assert [(p["status"], p["billing_period"]) for p in made] == [("succeeded", 2)], made
        periods = (await client.get(f"/api/v1/subscriptions/{sub_id}/periods", headers=bearer(user))).json()
        assert [p["number"] for p in periods] == [2, 1]


async def test_yookassa_autopayments_with_the_method_a_payment_saved(client: httpx.AsyncClient,
                                                                    runtime: Runtime) -> None:
    tariff = await make_tariff(client, amount=59_900, currency="RUB", duration_days=30, recurring=True)
    user = unique("u")
    bought = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "yookassa", "save_payment_method": True}, headers=bearer(user))).json()
    await client.post(bought["checkout_url"], data={"action": "pay"})
    paid = await settle(client, bought["id"], user)
    sub = await subscription(client, paid["subscription_id"], user)
    cards = (await client.get("/api/v1/payment-methods", headers=bearer(user))).json()["items"]
    assert [(c["id"], c["provider"], c["last4"]) for c in cards] == [(sub["payment_method_id"], "yookassa", "4477")]

    await until_due(client, sub, timedelta(hours=3))
    made = await renewal_payments(client, sub["id"], user)
    assert [(p["status"], p["provider"]) for p in made] == [("succeeded", "yookassa")]
    renewed = await subscription(client, sub["id"], user)
    assert datetime.fromisoformat(renewed["current_period_end"]) == datetime.fromisoformat(
        sub["current_period_end"]) + timedelta(days=30)

    # the card runs dry: the next renewal is declined by the bank, and the subscription is past due
    dried = await client.post(f"/sandbox/yookassa/_methods/{paid['provider_payment_id']}/decline")
    assert dried.status_code == 200
    await until_due(client, renewed, timedelta(hours=3))
    failed = (await renewal_payments(client, sub["id"], user))[-1]
    assert failed["status"] == "cancelled" and failed["failure_code"] == "insufficient_funds"
    assert (await subscription(client, sub["id"], user))["status"] == "past_due"


async def test_the_yookassa_emulator_charges_only_methods_a_succeeded_payment_saved(client: httpx.AsyncClient) -> None:
    """As YooKassa: a payment without save_payment_method saves nothing, and an unknown or
    unsaved method id is refused with invalid_request on payment_method_id."""
    auth = ("100500", "test_kassa_sandbox")

    async def create(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/sandbox/yookassa/v3/payments", json=body, auth=auth,
                                 headers={"Idempotence-Key": unique("k")})

    plain = (await create({"amount": {"value": "10.00", "currency": "RUB"}, "capture": True,
                           "confirmation": {"type": "redirect", "return_url": "https://x.example/"}})).json()
    await client.post(plain["confirmation"]["confirmation_url"], data={"action": "pay"})
    read = (await client.get(f"/sandbox/yookassa/v3/payments/{plain['id']}", auth=auth)).json()
    assert read["status"] == "succeeded" and read["payment_method"]["saved"] is False
    for method_id in (plain["id"], "no-such-method"):
        refused = await create({"amount": {"value": "10.00", "currency": "RUB"}, "capture": True,
                                "payment_method_id": method_id})
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_request" and refused.json()["parameter"] == "payment_method_id"
    bad_flag = await create({"amount": {"value": "10.00", "currency": "RUB"}, "save_payment_method": "yes",
                             "confirmation": {"type": "redirect", "return_url": "https://x.example/"}})
    assert bad_flag.status_code == 400 and bad_flag.json()["parameter"] == "save_payment_method"


async def test_a_payme_card_renewal_resumed_after_a_dead_worker_pays_one_receipt(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Payme's Subscribe API has no idempotency key: the resumed charge finds the receipt
    the dead worker made and paid for this order (receipts.get_all) instead of a second."""
    from kassa.providers.payme.plugin import SANDBOX_PAYME_MERCHANT_ID, SANDBOX_PAYME_SECRET_KEY
    from tests.providers.test_payme_cards import save_card, subscribe, verified_card_token

    server = f"{SANDBOX_PAYME_MERCHANT_ID}:{SANDBOX_PAYME_SECRET_KEY}"

    tariff = await make_tariff(client, amount=5_000_000, currency="UZS", duration_days=30, recurring=True)
    user = unique("u")
    token = await verified_card_token(client)
    card = (await save_card(client, user, token)).json()
    bought = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "payme", "payment_method_id": card["id"]}, headers=bearer(user))).json()
    assert bought["status"] == "succeeded", bought
    sub = await subscription(client, bought["subscription_id"], user)
    await until_due(client, sub, timedelta(hours=30))
    async with runtime.db.transaction() as session:
        now = await clock.billing_now(session)
        row = await session.get(Subscription, sub["id"])
        assert row is not None
        claimed = await renewals.claim(runtime, session, [row], now + timedelta(hours=7), DEFAULT_POLICY)
    assert len(claimed) == 1
    payment = claimed[0].payment
    made = await subscribe(client, "receipts.create", {"amount": 5_000_000, "account": {"order_id": payment.id}},
                           server)
    receipt_id = made["result"]["receipt"]["_id"]
    paid = await subscribe(client, "receipts.pay", {"id": receipt_id, "token": token}, server)
    assert paid["result"]["receipt"]["state"] == 4  # charged; the worker died before recording it

    await advance(client, 7 * 3600 + 6 * 60)
    renewed = await renewal_payments(client, sub["id"], user)
    assert [(p["status"], p["provider_payment_id"]) for p in renewed] == [("succeeded", receipt_id)]
    created_at = made["result"]["receipt"]["create_time"]
    listed = await subscribe(client, "receipts.get_all", {
        "count": 50, "from": created_at, "to": created_at + 60_000, "offset": 0}, server)
    mine = [r for r in listed["result"] if any(a["value"] == payment.id for a in r["account"])]
    assert len(mine) == 1


async def test_a_kaspi_subscriber_gets_the_renewal_as_a_remote_payment_to_their_phone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Kaspi keeps no cards: the renewal is a payment request to the phone the customer paid
    from, announced with subscription.renewal_upcoming; paid in the app, it renews."""
    tariff = await make_tariff(client, amount=990_000, currency="KZT", duration_days=30, recurring=True)
    user = unique("u")
    shop = (await client.post("/api/v1/admin/merchants", headers=bearer("admin-1", "admin"), json={
        "shop_id": unique("shop"), "provider": "kaspi", "organization_bin": "990840000047"})).json()
    bought = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "kaspi", "phone": "+7 701 521 15 45", "shop_id": shop["shop_id"]},
        headers=bearer(user))).json()
    await client.post(bought["checkout_url"], data={"action": "pay"})
    paid = (await client.post(f"/api/v1/payments/{bought['id']}/sync", headers=bearer(user))).json()
    sub = await subscription(client, paid["subscription_id"], user)

    await until_due(client, sub, timedelta(hours=6))
    asked = await events(runtime, "subscription.renewal_upcoming", sub["id"])
    assert len(asked) == 1 and asked[0]["amount"] == 990_000
    renewal = (await client.get(f"/api/v1/payments/{asked[0]['payment_id']}", headers=bearer(user))).json()
    assert renewal["provider"] == "kaspi" and renewal["provider_payment_id"]  # sent to the phone
    assert renewal["shop_id"] == shop["shop_id"]
    recorded = (await client.get(f"/api/v1/payments/{renewal['id']}/events", headers=bearer(user))).json()
    assert {e["organization_bin"] for e in recorded["items"]} == {"990840000047"}  # the shop's, as bought
    sent = (await client.get("/sandbox/kaspi/_payments")).json()["payments"][renewal["provider_payment_id"]]
    assert sent["amount"] == "9900" and sent["phone"].endswith("7015211545")  # 9 900 tenge, whole
    await client.post(renewal["checkout_url"], data={"action": "pay"})
    await client.post(f"/api/v1/payments/{renewal['id']}/sync", headers=bearer(user))
    renewed = await subscription(client, sub["id"], user)
    assert renewed["status"] == "active" and datetime.fromisoformat(renewed["current_period_end"]) == \
        datetime.fromisoformat(sub["current_period_end"]) + timedelta(days=30)


async def test_two_purchases_at_once_give_one_subscription_both_periods(client: httpx.AsyncClient) -> None:
    """Two payments for the same tariff succeeding together: the second waits for the first's
    new subscription and extends it; neither period is lost."""
    tariff = await make_tariff(client, amount=800, currency="USD", duration_days=30)
    user = unique("u")
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()

    async def buy() -> dict[str, Any]:
        made = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
        assert made.status_code == 201 and made.json()["status"] == "succeeded", made.text
        result: dict[str, Any] = made.json()
        return result

    first, second = await asyncio.gather(buy(), buy())
    assert first["subscription_id"] == second["subscription_id"]
    held = await subscription(client, first["subscription_id"], user)
    periods = (await client.get(f"/api/v1/subscriptions/{held['id']}/periods", headers=bearer(user))).json()
    assert [p["number"] for p in periods] == [2, 1]
    bought = sum((datetime.fromisoformat(p["ends_at"]) - datetime.fromisoformat(p["starts_at"])
                  for p in periods), timedelta(0))
    assert bought == timedelta(days=60)
    assert datetime.fromisoformat(held["current_period_end"]) == datetime.fromisoformat(
        periods[-1]["starts_at"]) + timedelta(days=60)
