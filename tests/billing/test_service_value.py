"""The value ledger as a customer and an operator see it over the API: a trial or a discount
converts as what was paid, a refund around a change takes back its own payment's time, a
change across currencies is refused, and each stretch shows the money it holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.billing.test_billing import settle, subscription
from tests.conftest import bearer, make_tariff, unique

DAY = timedelta(days=1)


async def _card(client: httpx.AsyncClient, user: str) -> str:
    made = await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                             headers=bearer(user))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _buy(client: httpx.AsyncClient, tariff: dict[str, Any], user: str, card: str,
               **extra: Any) -> dict[str, Any]:
    made = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "payment_method_id": card, **extra}, headers=bearer(user))
    assert made.status_code == 201 and made.json()["status"] == "succeeded", made.text
    result: dict[str, Any] = made.json()
    return result


async def _periods(client: httpx.AsyncClient, sub_id: str, user: str) -> list[dict[str, Any]]:
    got = await client.get(f"/api/v1/subscriptions/{sub_id}/periods", headers=bearer(user))
    assert got.status_code == 200, got.text
    result: list[dict[str, Any]] = got.json()
    return result


def _days_left(sub: dict[str, Any], clock_now: datetime) -> float:
    return (datetime.fromisoformat(sub["current_period_end"]) - clock_now) / DAY


async def _now(client: httpx.AsyncClient) -> datetime:
    return datetime.fromisoformat((await client.get("/sandbox/clock")).json()["now"])


async def test_a_trial_converts_as_nothing_paid(client: httpx.AsyncClient) -> None:
    """Tariff A's trial, then B bought once: B's month, not the trial at A's list price."""
    group = unique("g")
    dear = await make_tariff(client, amount=10_000_000, currency="USD", duration_days=30, trial_days=14,
                             group=group, recurring=True)
    cheap = await make_tariff(client, amount=1_000, currency="USD", duration_days=30, group=group,
                              recurring=True)
    user = unique("u")
    trial = await client.post("/api/v1/subscriptions", json={"tariff_id": dear["id"]}, headers=bearer(user))
    assert trial.status_code == 201, trial.text
    paid = await _buy(client, cheap, user, await _card(client, user))
    sub = await subscription(client, paid["subscription_id"], user)
    assert 29.9 < _days_left(sub, await _now(client)) <= 30.0
    periods = await _periods(client, sub["id"], user)
    assert [(p["kind"], p["value"], p["currency"]) for p in periods] == [
        ("change", 1_000, "USD"), ("trial", 0, "USD")]
    assert periods[0]["funded_by"] == paid["id"] and periods[1]["funded_by"] is None


async def test_a_discounted_period_converts_as_what_was_paid(client: httpx.AsyncClient) -> None:
    group = unique("g")
    a = await make_tariff(client, amount=100_000, currency="USD", duration_days=30, group=group)
    b = await make_tariff(client, amount=50_000, currency="USD", duration_days=30, group=group)
    code = unique("NINETY").upper().replace("-", "")
    created = await client.post("/api/v1/admin/promo-codes", json={"code": code, "percent_off": 90},
                                headers=bearer("admin-1", "admin"))
    assert created.status_code == 201, created.text
    user = unique("u")
    card = await _card(client, user)
    first = await _buy(client, a, user, card, promo_code=code)
    assert first["amount"] == 10_000
    second = await _buy(client, b, user, card)
    sub = await subscription(client, second["subscription_id"], user)
    # 10 000 paid buys 6 days of B (50 000 a month), then B's own month: 36, not 90
    assert 35.9 < _days_left(sub, await _now(client)) <= 36.0
    carried = [p for p in await _periods(client, sub["id"], user) if p["kind"] == "carried"]
    assert len(carried) == 1 and carried[0]["funded_by"] == first["id"]
    assert 9_990 <= carried[0]["value"] <= 10_000


async def test_refunds_around_a_change_take_back_their_own_payments_time(
    client: httpx.AsyncClient, service_key: dict[str, str]
) -> None:
    group = unique("g")
    a = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, group=group)
    b = await make_tariff(client, amount=6_000, currency="USD", duration_days=30, group=group)
    user = unique("u")
    card = await _card(client, user)
    first = await _buy(client, a, user, card)
    second = await _buy(client, b, user, card)
    sub_id = second["subscription_id"]
    assert 44.9 < _days_left(await subscription(client, sub_id, user), await _now(client)) <= 45.0

    # B's payment refunded: A's money still backs the 15 days it was carried into
    refunded = await client.post(f"/api/v1/payments/{second['id']}/refunds", json={}, headers=service_key)
    assert refunded.status_code == 201, refunded.text
    await settle(client, second["id"], user, "refunded")
    sub = await subscription(client, sub_id, user)
    assert sub["status"] == "active"
    assert 14.9 < _days_left(sub, await _now(client)) <= 15.0

    # half of A's payment refunded: half of the time it funded goes, wherever it went
    half = await client.post(f"/api/v1/payments/{first['id']}/refunds", json={"amount": 1_500},
                             headers=service_key)
    assert half.status_code == 201, half.text
    await settle(client, first["id"], user, "partially_refunded")
    sub = await subscription(client, sub_id, user)
    assert 7.4 < _days_left(sub, await _now(client)) <= 7.5

    rest = await client.post(f"/api/v1/payments/{first['id']}/refunds", json={}, headers=service_key)
    assert rest.status_code == 201, rest.text
    await settle(client, first["id"], user, "refunded")
    assert (await subscription(client, sub_id, user))["status"] == "cancelled"


async def test_a_change_across_currencies_is_refused_while_paid_time_is_left(client: httpx.AsyncClient) -> None:
    group = unique("g")
    usd = await make_tariff(client, amount=3_000, currency="USD", duration_days=30, group=group)
    eur = await make_tariff(client, amount=3_000, currency="EUR", duration_days=30, group=group)
    user = unique("u")
    card = await _card(client, user)
    paid = await _buy(client, usd, user, card)
    refused = await client.post(f"/api/v1/tariffs/{eur['id']}/purchase", json={
        "provider": "stripe", "payment_method_id": card}, headers=bearer(user))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "invalid_state"
    listed = (await client.get("/api/v1/payments?purpose=tariff&page_size=100", headers=bearer(user))).json()
    assert [p["id"] for p in listed["items"]] == [paid["id"]]  # nothing was asked of Stripe
    sub = await subscription(client, paid["subscription_id"], user)
    assert sub["tariff_id"] == usd["id"] and 29.9 < _days_left(sub, await _now(client)) <= 30.0
