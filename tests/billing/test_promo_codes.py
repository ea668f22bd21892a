"""Promo codes a merchant can trust: a renewal is discounted only while its code applies to
it; one customer cannot hold a limited code with orders nobody pays, nor use a code more
times than it allows; racing purchases never take more than the code gives."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from kassa.db.base import utcnow
from kassa.db.models import Payment, Subscription
from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY
from kassa.runtime import Runtime
from kassa.services.payments.reconciler import reconcile_due
from tests.admin.test_admin_ui import csrf_of, operator, sign_in
from tests.billing.test_billing import renewal_payments, settle, subscription, until_due
from tests.conftest import bearer, make_tariff, unique

USED = "promo_code: this code has been used by this customer"
PAYME = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}


async def new_code(client: httpx.AsyncClient, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    made = await client.post("/api/v1/admin/promo-codes", json={"code": unique("CODE").upper(), **fields},
                             headers=admin)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def listed(client: httpx.AsyncClient, admin: dict[str, str], code: str) -> dict[str, Any]:
    items = (await client.get("/api/v1/admin/promo-codes?page_size=100", headers=admin)).json()["items"]
    found: dict[str, Any] = next(c for c in items if c["code"] == code)
    return found


async def buy(client: httpx.AsyncClient, tariff: dict[str, Any], user: str, code: str | None,
              provider: str = "payme", **extra: Any) -> httpx.Response:
    body = {"provider": provider, **({"promo_code": code} if code else {}), **extra}
    return await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json=body, headers=bearer(user))


async def subscribe_on_stripe(client: httpx.AsyncClient, tariff: dict[str, Any], user: str,
                              code: str | None) -> dict[str, Any]:
    """The customer buys on Stripe's Checkout page, keeping the card for renewals."""
    bought = await buy(client, tariff, user, code, provider="stripe", save_payment_method=True)
    assert bought.status_code == 201, bought.text
    await client.post(bought.json()["checkout_url"], data={"action": "pay"})
    return await settle(client, bought.json()["id"], user)


async def billing_now(client: httpx.AsyncClient) -> datetime:
    return datetime.fromisoformat((await client.get("/sandbox/clock")).json()["now"])


async def payment(client: httpx.AsyncClient, user: str, pid: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/payments/{pid}", headers=bearer(user))).json()
    return body


async def aged(runtime: Runtime, pid: str, age: timedelta) -> None:
    """The payment made `age` ago (wall-clock time, as the reconciler counts it) and due for
    a look before any other."""
    async with runtime.db.transaction() as session:
        await session.execute(update(Payment).where(Payment.id == pid).values(
            created_at=utcnow() - age, next_check_at=utcnow() - timedelta(days=3650)))


async def test_a_renewal_after_a_change_to_a_tariff_outside_the_codes_scope_is_charged_in_full(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    basic = await make_tariff(client, amount=50_000, currency="USD", duration_days=30, recurring=True)
    premium = await make_tariff(client, amount=50_000, currency="USD", duration_days=30, recurring=True)
    code = (await new_code(client, admin, percent_off=90, applies_to="every_period",
                           tariff_ids=[basic["id"]]))["code"]
    user = unique("u")
    first = await subscribe_on_stripe(client, basic, user, code)
    assert (first["amount"], first["discount_amount"]) == (5_000, 45_000)
    changed = await subscribe_on_stripe(client, premium, user, None)
    sub = await subscription(client, changed["subscription_id"], user)
    assert sub["tariff_id"] == premium["id"] and sub["id"] == first["subscription_id"]
    # as a subscription changed before a change let go of its code still holds it
    async with runtime.db.transaction() as session:
        await session.execute(update(Subscription).where(Subscription.id == sub["id"]).values(promo_code=code))

    await until_due(client, sub, timedelta(hours=12))
    made = await renewal_payments(client, sub["id"], user)
    assert [(p["status"], p["amount"], p["discount_amount"]) for p in made] == [("succeeded", 50_000, 0)]


async def test_a_renewal_after_the_codes_expiry_is_charged_in_full(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tariff = await make_tariff(client, amount=20_000, currency="USD", duration_days=30, recurring=True)
    until = await billing_now(client) + timedelta(days=45)
    code = (await new_code(client, admin, percent_off=50, applies_to="every_period",
                           expires_at=until.isoformat()))["code"]
    user = unique("u")
    bought = await subscribe_on_stripe(client, tariff, user, code)
    assert bought["amount"] == 10_000
    sub = await subscription(client, bought["subscription_id"], user)

    await until_due(client, sub, timedelta(hours=12))  # day ~30: the code still applies
    sub = await subscription(client, sub["id"], user)
    await until_due(client, sub, timedelta(hours=12))  # day ~60: it expired on day 45
    made = await renewal_payments(client, sub["id"], user)
    assert [(p["billing_period"], p["amount"], p["discount_amount"]) for p in made] == [
        (2, 10_000, 10_000), (3, 20_000, 0)]
    assert {p["status"] for p in made} == {"succeeded"}


async def test_a_code_is_used_once_per_customer_until_their_order_is_cancelled(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tariff = await make_tariff(client)
    code = (await new_code(client, admin, percent_off=10))["code"]
    assert (await listed(client, admin, code))["max_per_customer"] == 1  # a first-period code's
    user = unique("u")
    first = await buy(client, tariff, user, code)
    assert first.status_code == 201 and first.json()["amount"] == 4_500_000
    again = await buy(client, tariff, user, code.lower())
    assert again.status_code == 422 and again.json()["detail"] == USED
    assert again.json()["code"] == "validation_error"
    assert (await buy(client, tariff, unique("u"), code)).status_code == 201  # another customer
    # the same user for an organisation is another customer
    org = unique("org")
    for_org = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "payme", "promo_code": code, "organization_id": org}, headers=bearer(user, orgs=[org]))
    assert for_org.status_code == 201, for_org.text
    assert (await listed(client, admin, code))["redeemed"] == 3

    cancelled = await client.post(f"/api/v1/payments/{first.json()['id']}/cancel", headers=bearer(user))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await listed(client, admin, code))["redeemed"] == 2
    assert (await buy(client, tariff, user, code)).status_code == 201

    every = await new_code(client, admin, percent_off=10, applies_to="every_period")
    unlimited = await new_code(client, admin, percent_off=10, max_per_customer=None)
    twice = await new_code(client, admin, percent_off=10, max_per_customer=2)
    assert (every["max_per_customer"], unlimited["max_per_customer"], twice["max_per_customer"]) == (
        None, None, 2)
    answers = [(await buy(client, tariff, user, twice["code"])).status_code for _ in range(3)]
    assert answers == [201, 201, 422]
    bad = await client.post("/api/v1/admin/promo-codes", json={
        "code": unique("BAD").upper(), "percent_off": 10, "max_per_customer": 0}, headers=admin)
    assert bad.status_code == 422


async def test_an_unpaid_order_gives_its_code_back_after_the_reservation_window(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    assert runtime.settings.promo_reservation_minutes == 30
    tariff = await make_tariff(client)
    code = (await new_code(client, admin, percent_off=10, max_redemptions=5))["code"]
    user = unique("u")
    pid = (await buy(client, tariff, user, code)).json()["id"]
    async with runtime.db.transaction() as session:
        row = await session.get(Payment, pid)
        assert row is not None and row.next_check_at is not None
        # the reconciler's first look comes well before the code's time is up
        assert row.next_check_at <= row.created_at + timedelta(minutes=30)
    await aged(runtime, pid, timedelta(minutes=20))
    await reconcile_due(runtime)
    assert (await payment(client, user, pid))["status"] == "pending"
    async with runtime.db.transaction() as session:
        row = await session.get(Payment, pid)
        assert row is not None and row.next_check_at is not None
        # looked at again when the window closes, not a day later
        assert row.next_check_at <= row.created_at + timedelta(minutes=30, seconds=1)
    assert (await buy(client, tariff, user, code)).json()["detail"] == USED

    await aged(runtime, pid, timedelta(minutes=31))
    await reconcile_due(runtime)
    expired = await payment(client, user, pid)
    assert (expired["status"], expired["failure_code"]) == ("cancelled", "expired")
    assert (await listed(client, admin, code))["redeemed"] == 0
    assert (await buy(client, tariff, user, code)).status_code == 201  # the customer's again

    # an order Payme has opened a transaction for is being paid: it keeps its code
    payer = unique("u")
    order = (await buy(client, tariff, payer, code)).json()
    opened = await client.post("/webhooks/payme", json={"id": 1, "method": "CreateTransaction", "params": {
        "id": unique("tx")[-24:], "time": int(time.time() * 1000), "amount": order["amount"],
        "account": {"order_id": order["id"]}}}, headers=PAYME)
    assert "result" in opened.json(), opened.text
    await aged(runtime, order["id"], timedelta(minutes=31))
    await reconcile_due(runtime)
    assert (await payment(client, payer, order["id"]))["status"] == "processing"
    assert (await buy(client, tariff, payer, code)).json()["detail"] == USED
    assert (await listed(client, admin, code))["redeemed"] == 2

    # an order without a code keeps the day it always had
    plain = (await buy(client, tariff, unique("u"), None)).json()
    await aged(runtime, plain["id"], timedelta(minutes=31))
    await reconcile_due(runtime)
    assert (await payment(client, plain["user_id"], plain["id"]))["status"] == "pending"


async def test_a_stripe_order_left_unpaid_is_closed_at_stripe_before_its_code_is_given_back(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    tariff = await make_tariff(client, amount=8_000, currency="USD")
    code = (await new_code(client, admin, percent_off=25))["code"]
    user = unique("u")
    order = (await buy(client, tariff, user, code, provider="stripe")).json()
    assert order["status"] == "pending" and order["checkout_url"]
    await aged(runtime, order["id"], timedelta(minutes=31))
    await reconcile_due(runtime)
    closed = await payment(client, user, order["id"])
    assert closed["status"] == "cancelled"
    # expired at Stripe first: its page no longer takes the money for it
    at_stripe = await client.get(f"/sandbox/stripe/v1/checkout/sessions/{closed['provider_payment_id']}",
                                 headers={"Authorization": "Bearer sk_test_kassa_sandbox"})
    assert at_stripe.json()["status"] == "expired"
    assert (await listed(client, admin, code))["redeemed"] == 0
    assert (await buy(client, tariff, user, code, provider="stripe")).status_code == 201


async def test_a_declined_stripe_payment_keeps_its_code_while_the_customer_may_still_pay(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """Stripe's declined payment is not final: another card may still pay it, so its code
    stays taken until it is paid or cancelled."""
    tariff = await make_tariff(client, amount=8_000, currency="USD")
    code = (await new_code(client, admin, percent_off=25, max_redemptions=1, max_per_customer=None))["code"]
    user = unique("u")
    order = (await buy(client, tariff, user, code, provider="stripe")).json()
    await client.post(order["checkout_url"], data={"action": "decline"})
    await settle(client, order["id"], user, "failed")
    assert (await listed(client, admin, code))["redeemed"] == 1
    taken = await buy(client, tariff, unique("u"), code, provider="stripe")
    assert taken.status_code == 422 and "used up" in taken.json()["detail"]
    await client.post(order["checkout_url"], data={"action": "pay"})
    paid = await settle(client, order["id"], user)
    assert (paid["amount"], paid["promo_code"]) == (6_000, code)
    assert (await listed(client, admin, code))["redeemed"] == 1

    again = await new_code(client, admin, percent_off=25, max_redemptions=1)
    declined = (await buy(client, tariff, user, again["code"], provider="stripe")).json()
    await client.post(declined["checkout_url"], data={"action": "decline"})
    await settle(client, declined["id"], user, "failed")
    closed = await client.post(f"/api/v1/payments/{declined['id']}/cancel", headers=bearer(user))
    assert closed.status_code == 200 and closed.json()["status"] == "cancelled"
    assert (await listed(client, admin, again["code"]))["redeemed"] == 0
    assert (await buy(client, tariff, user, again["code"], provider="stripe")).status_code == 201


async def test_racing_purchases_never_take_more_than_the_code_gives(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tariff = await make_tariff(client)
    three = (await new_code(client, admin, percent_off=10, max_redemptions=3, max_per_customer=None))["code"]
    answers = await asyncio.gather(*(buy(client, tariff, unique("u"), three) for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [422] * 7
    assert (await listed(client, admin, three))["redeemed"] == 3

    once = (await new_code(client, admin, percent_off=10))["code"]
    user = unique("u")
    answers = await asyncio.gather(*(buy(client, tariff, user, once) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [422] * 7
    assert {a.json()["detail"] for a in answers if a.status_code == 422} == {USED}
    assert (await listed(client, admin, once))["redeemed"] == 1


async def test_an_operator_sets_the_limit_per_customer_in_the_admin(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get("/admin/promo-codes")
    assert 'name="max_per_customer"' in page.text
    codes = unique("TWO").upper(), unique("ONE").upper(), unique("EVERY").upper()
    for code, per_customer, every in zip(codes, ("2", "", ""), ("", "", "on"), strict=True):
        form = {"csrf": csrf_of(page.text), "code": code, "kind": "percent", "value": "15",
                "max_per_customer": per_customer, **({"every": every} if every else {})}
        made = await client.post("/admin/promo-codes", data=form)
        assert made.status_code == 303, made.text
    assert [(await listed(client, admin, c))["max_per_customer"] for c in codes] == [2, 1, None]
    refused = await client.post("/admin/promo-codes", data={
        "csrf": csrf_of(page.text), "code": unique("ZERO").upper(), "kind": "percent", "value": "15",
        "max_per_customer": "0"})
    assert "per customer" in (await client.get(refused.headers["location"])).text
    shown = (await client.get("/admin/promo-codes")).text
    assert "Per customer" in shown and codes[0] in shown
