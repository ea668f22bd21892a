"""Every refund is a Refund, whoever started it: a refund made in Payme's cabinet, Stripe's
dashboard, YooKassa's cabinet or Kaspi Pay is listed on its payment with its own amount in
the audit log and its credit note, and kassa's own refund echoed back by the provider is
recorded once. Over real HTTP, with each provider's emulator."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from kassa.core.context import Actor
from kassa.db.migrate import upgrade
from kassa.domain.refunds import KnownRefund, plan_refunds
from kassa.domain.updates import SeenRefund
from kassa.providers.base import ProviderRefund
from kassa.providers.stripe.plugin import SANDBOX_STRIPE_WEBHOOK_SECRET
from kassa.runtime import Runtime
from kassa.services.payments import refund_records, refunds
from kassa.services.payments.updates import lock_payment
from tests.admin.test_admin_ui import operator, sign_in
from tests.conftest import bearer, unique


async def refunds_of(client: httpx.AsyncClient, payment: dict[str, Any], admin: dict[str, str]) -> list[dict[str, Any]]:
    listed = (await client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)).json()
    items: list[dict[str, Any]] = sorted(listed["items"], key=lambda r: r["created_at"])
    return items


async def credit_notes_of(client: httpx.AsyncClient, payment: dict[str, Any], admin: dict[str, str]) -> list[int]:
    invoices = (await client.get("/api/v1/invoices", headers=bearer(payment["user_id"]))).json()["items"]
    invoice = next(i for i in invoices if i["payment_id"] == payment["id"])
    notes = (await client.get(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=admin)).json()
    return sorted(note["amount"] for note in notes)


async def refund_moves(client: httpx.AsyncClient, payment: dict[str, Any], admin: dict[str, str]) -> list[int]:
    """The amounts the audit log records for the payment's refund moves, oldest first."""
    trail = (await client.get(f"/api/v1/payments/{payment['id']}/events", params={"limit": 100},
                              headers=admin)).json()["items"]
    moves = [r for r in trail if r["status"] in ("partially_refunded", "refunded") and not r["error_message"]]
    return [r["amount"] for r in sorted(moves, key=lambda r: r["id"])]


async def read(client: httpx.AsyncClient, payment: dict[str, Any], admin: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    return body


async def paid(client: httpx.AsyncClient, provider: str, amount: int, currency: str, **extra: Any) -> dict[str, Any]:
    user = unique("u")
    made = await client.post("/api/v1/payments", json={
        "provider": provider, "amount": amount, "currency": currency, **extra}, headers=bearer(user))
    assert made.status_code == 201, made.text
    payment: dict[str, Any] = made.json()
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    return payment


async def settled(client: httpx.AsyncClient, payment: dict[str, Any], admin: dict[str, str], refunded: int) -> dict[str, Any]:
    """The payment once its provider's notices (sent after its API answers) have arrived."""
    for _ in range(50):
        body = await read(client, payment, admin)
        if body["refunded_amount"] == refunded:
            await asyncio.sleep(0.2)  # and whatever else was on its way
            return await read(client, payment, admin)
        await asyncio.sleep(0.1)
    return await read(client, payment, admin)


# --- Payme: CancelTransaction with reason 5 after PerformTransaction -------------------------

async def test_a_refund_in_the_payme_cabinet_is_a_refund_recorded_once(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    payment = await paid(client, "payme", 600_000, "UZS")
    payme_id = (await read(client, payment, admin))["provider_payment_id"]

    cancelled = await client.post("/sandbox/payme/_cabinet/refund", json={"order_id": payment["id"]})
    assert cancelled.json()["result"]["state"] == -2
    # Payme repeats a CancelTransaction it got no answer to: answered from storage
    again = await client.post("/sandbox/payme/_cabinet/refund", json={"payme_id": payme_id})
    assert again.json()["result"]["state"] == -2

    body = await read(client, payment, admin)
    assert (body["status"], body["refunded_amount"]) == ("refunded", 600_000)
    [refund] = await refunds_of(client, payment, admin)
    assert (refund["amount"], refund["status"], refund["initiated_by"], refund["provider_refund_id"]) == (
        600_000, "succeeded", "provider", payme_id)
    assert refund["credit_note_id"] is not None
    assert await credit_notes_of(client, payment, admin) == [600_000]
    assert await refund_moves(client, payment, admin) == [600_000]

    # the admin's payment page lists it: who started it, Payme's id, its credit note
    invoices = (await client.get("/api/v1/invoices", headers=bearer(payment["user_id"]))).json()["items"]
    invoice = next(i for i in invoices if i["payment_id"] == payment["id"])
    [note] = (await client.get(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=admin)).json()
    async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as browser:
        await sign_in(browser, *await operator(runtime))
        page = (await browser.get(f"/admin/payments/{payment['id']}")).text
    table = page.split('id="refunds"', 1)[1].split("</table>", 1)[0]
    assert all(text in table for text in (refund["id"], "payme", payme_id, note["number"]))


# --- Stripe: a dashboard refund, and kassa's own refund echoed by its events -----------------

async def test_stripe_dashboard_and_kassa_refunds_each_recorded_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    payment = await paid(client, "stripe", 10_000, "USD")
    intent = (await read(client, payment, admin))["provider_payment_id"]

    dashboard = await client.post("/sandbox/stripe/_dashboard/refund", json={"payment_intent": intent, "amount": 1_500})
    assert dashboard.status_code == 200
    body = await settled(client, payment, admin, 1_500)
    assert (body["status"], body["refunded_amount"]) == ("partially_refunded", 1_500)
    [theirs] = await refunds_of(client, payment, admin)
    assert (theirs["amount"], theirs["initiated_by"], theirs["provider_refund_id"]) == (
        1_500, "provider", dashboard.json()["id"])

    ours = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 2_500}, headers=admin)
    assert ours.status_code == 201 and ours.json()["status"] == "succeeded"
    assert ours.json()["provider_refund_id"].startswith("re_")
    body = await settled(client, payment, admin, 4_000)  # charge.refunded and refund.created came back
    assert body["refunded_amount"] == 4_000
    resent = await client.post(f"/sandbox/stripe/_events/{intent}/resend")
    assert resent.status_code == 200
    body = await read(client, payment, admin)
    assert (body["status"], body["refunded_amount"]) == ("partially_refunded", 4_000)

    listed = await refunds_of(client, payment, admin)
    assert [(r["amount"], r["initiated_by"]) for r in listed] == [(1_500, "provider"), (2_500, "kassa")]
    assert listed[1]["id"] == ours.json()["id"]
    assert await credit_notes_of(client, payment, admin) == [1_500, 2_500]
    assert await refund_moves(client, payment, admin) == [1_500, 2_500]


def signed(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(event).encode()
    t = int(time.time())
    mac = hmac.new(SANDBOX_STRIPE_WEBHOOK_SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


async def test_kassas_stripe_refund_echoed_before_its_answer_is_recorded_once(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    """Stripe's events for kassa's refund may arrive while kassa still waits for the
    answer: they find the refund kassa reserved, and the answer then finds it recorded."""
    payment = await paid(client, "stripe", 10_000, "USD")
    intent = (await read(client, payment, admin))["provider_payment_id"]
    async with runtime.db.transaction() as session:
        locked = await lock_payment(session, payment_id=payment["id"])
        assert locked is not None
        reserved = await refund_records.reserve(session, locked, 2_500, "damaged")
    refund = {"id": "re_echoed" + unique("x")[2:], "object": "refund", "amount": 2_500, "currency": "usd",
              "payment_intent": intent, "status": "succeeded", "charge": "ch_x"}
    for kind, obj in (("refund.created", refund),
                      ("charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": intent,
                                           "amount": 10_000, "amount_captured": 10_000,
                                           "amount_refunded": 2_500, "currency": "usd"})):
        body, headers = signed({"id": unique("evt"), "object": "event", "type": kind, "data": {"object": obj}})
        answer = await client.post("/webhooks/stripe", content=body, headers=headers)
        assert answer.status_code == 200, answer.text

    async with runtime.db.transaction() as session:
        answered = await refunds._answered(session, payment["id"], reserved,
                                           ProviderRefund(refund["id"], 2_500), Actor("service:test"))
    assert answered.id == reserved.id and answered.status == "succeeded"
    [one] = await refunds_of(client, payment, admin)
    assert (one["id"], one["provider_refund_id"], one["initiated_by"], one["reason"]) == (
        reserved.id, refund["id"], "kassa", "damaged")
    assert (await read(client, payment, admin))["refunded_amount"] == 2_500
    assert await credit_notes_of(client, payment, admin) == [2_500]
    assert await refund_moves(client, payment, admin) == [2_500]


# --- YooKassa: refund.succeeded, re-read from the API ---------------------------------------

async def test_yookassa_cabinet_and_kassa_refunds_each_recorded_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    payment = await paid(client, "yookassa", 100_000, "RUB", description="Pro")
    yid = (await read(client, payment, admin))["provider_payment_id"]

    cabinet = await client.post("/sandbox/yookassa/_cabinet/refund", json={"payment_id": yid, "amount": "300.00"})
    assert cabinet.status_code == 200, cabinet.text
    body = await settled(client, payment, admin, 30_000)
    assert (body["status"], body["refunded_amount"]) == ("partially_refunded", 30_000)
    [theirs] = await refunds_of(client, payment, admin)
    assert (theirs["amount"], theirs["initiated_by"], theirs["provider_refund_id"]) == (
        30_000, "provider", cabinet.json()["id"])

    ours = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 20_000}, headers=admin)
    assert ours.status_code == 201 and ours.json()["status"] == "succeeded"
    await settled(client, payment, admin, 50_000)  # its refund.succeeded came back
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=admin)
    assert synced.json()["refunded_amount"] == 50_000

    listed = await refunds_of(client, payment, admin)
    assert [(r["amount"], r["initiated_by"]) for r in listed] == [(30_000, "provider"), (20_000, "kassa")]
    assert listed[1]["provider_refund_id"] == ours.json()["provider_refund_id"]
    assert await credit_notes_of(client, payment, admin) == [20_000, 30_000]
    assert await refund_moves(client, payment, admin) == [30_000, 20_000]


RU = {"vat_code": 11, "payment_subject": "service", "payment_mode": "full_payment"}


async def test_a_yookassa_cabinet_refund_without_a_receipt_gets_the_one_kassa_sends(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """kassa sends a 54-FZ receipt with its own refunds; a partial refund made in YooKassa's
    cabinet comes without one, and gets it from kassa once recorded, exactly once."""
    shop_id = unique("ru-shop")
    made = await client.post("/api/v1/admin/merchants", json={
        "shop_id": shop_id, "provider": "yookassa", "credentials": {"receipts": "on"}}, headers=admin)
    assert made.status_code == 201, made.text
    await client.put("/sandbox/yookassa/_shop", json={"receipts_required": True})
    try:
        user = unique("u")
        made = await client.post("/api/v1/payments", json={
            "provider": "yookassa", "amount": 99_900, "currency": "RUB", "shop_id": shop_id,
            "email": "buyer@shop.example",
            "items": [{"title": "Pro", "quantity": 1, "unit_price": 99_900, "fiscal": RU}]}, headers=bearer(user))
        assert made.status_code == 201, made.text
        bought = made.json()
        await client.post(bought["checkout_url"], data={"action": "pay"})
        yid = (await read(client, bought, admin))["provider_payment_id"]

        cabinet = await client.post("/sandbox/yookassa/_cabinet/refund", json={"payment_id": yid, "amount": "333.33"})
        assert cabinet.status_code == 200 and "receipt_registration" not in cabinet.json()
        await settled(client, bought, admin, 33_333)
        await client.post(f"/api/v1/payments/{bought['id']}/sync", headers=admin)  # read again: no second

        registered = (await client.get("/sandbox/yookassa/_receipts")).json()["receipts"]
        [receipt] = [r for r in registered if r.get("refund_id") == cabinet.json()["id"]]
        assert receipt["type"] == "refund" and receipt["_customer"] == {"email": "buyer@shop.example"}
        assert sum(Decimal(str(i["quantity"])) * Decimal(i["amount"]["value"]) for i in receipt["items"]) == Decimal("333.33")
        listed = (await client.get(f"/api/v1/payments/{bought['id']}/fiscal-receipts", headers=bearer(user))).json()
        assert [(r["kind"], r["provider"], r["receipt_id"]) for r in listed] == [("refund", "yookassa", receipt["id"])]

        ours = await client.post(f"/api/v1/payments/{bought['id']}/refunds", json={"amount": 10_000}, headers=admin)
        assert ours.status_code == 201, ours.text
        await settled(client, bought, admin, 43_333)
        again = (await client.get("/sandbox/yookassa/_receipts")).json()["receipts"]
        assert not [r for r in again if r.get("refund_id") == ours.json()["provider_refund_id"]]  # sent with it
    finally:
        await client.put("/sandbox/yookassa/_shop", json={"receipts_required": False})


# --- Click: no notice of refunds; kassa's reversal is its Refund, named by Click's id ----------

async def test_a_click_reversal_is_a_refund_named_by_clicks_payment(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    payment = await paid(client, "click", 250_000, "UZS")
    ours = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert ours.status_code == 201 and ours.json()["status"] == "succeeded", ours.text
    click_id = (await read(client, payment, admin))["provider_payment_id"]
    [refund] = await refunds_of(client, payment, admin)
    assert (refund["amount"], refund["initiated_by"], refund["provider_refund_id"]) == (250_000, "kassa", click_id)
    assert await credit_notes_of(client, payment, admin) == [250_000]
    assert await refund_moves(client, payment, admin) == [250_000]


# --- Kaspi: a refund in Kaspi Pay, seen in the purchase's status ------------------------------

async def test_a_kaspi_refund_made_in_kaspi_pay_is_recorded_on_sync(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    payment = await paid(client, "kaspi", 100_000, "KZT", phone="+7 (701) 521-15-45", description="Flowers")
    await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=admin)
    ours = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 30_000}, headers=admin)
    assert ours.status_code == 201 and ours.json()["status"] == "succeeded"

    external = (await read(client, payment, admin))["provider_payment_id"]
    made = await client.post("/sandbox/kaspi/_cabinet/refund", json={"externalId": external, "amount": "200"})
    assert made.status_code == 200, made.text
    for _ in range(2):  # the status now reports 500 tenge refunded; read twice, recorded once
        synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=admin)
        assert synced.json()["refunded_amount"] == 50_000
    listed = await refunds_of(client, payment, admin)
    assert [(r["amount"], r["initiated_by"]) for r in listed] == [(30_000, "kassa"), (20_000, "provider")]
    assert await credit_notes_of(client, payment, admin) == [20_000, 30_000]
    assert await refund_moves(client, payment, admin) == [30_000, 20_000]


# --- the plan: which Refund each reported refund is ------------------------------------------

def test_a_total_then_the_refund_it_was_counts_once() -> None:
    """Stripe's charge.refunded without its refunds, then refund.created for that refund."""
    first = plan_refunds(paid=10_000, refunded=0, known=[], seen=[], reported_total=1_500)
    assert [(s.refund_id, s.amount, s.counts) for s in first.steps] == [(None, 1_500, True)]
    known = [KnownRefund("re_k1", None, 1_500, "succeeded", "provider")]
    second = plan_refunds(paid=10_000, refunded=1_500, known=known,
                          seen=[SeenRefund("re_s1", 1_500)], reported_total=None)
    assert [(s.refund_id, s.provider_refund_id, s.counts) for s in second.steps] == [("re_k1", "re_s1", False)]
    assert second.refunded == 1_500


def test_kassas_refund_given_up_on_is_revived_when_the_provider_did_it() -> None:
    known = [KnownRefund("re_k1", None, 2_000, "failed", "kassa")]
    plan = plan_refunds(paid=10_000, refunded=0, known=known,
                        seen=[SeenRefund("re_s1", 2_000)], reported_total=2_000)
    assert [(s.refund_id, s.status, s.counts) for s in plan.steps] == [("re_k1", "succeeded", True)]
    assert plan.refunded == 2_000


def test_a_pending_refund_counts_once_it_succeeds() -> None:
    known = [KnownRefund("re_k1", "re_s1", 2_000, "pending", "kassa")]
    waiting = plan_refunds(paid=10_000, refunded=0, known=known,
                           seen=[SeenRefund("re_s1", 2_000, "pending")], reported_total=None)
    assert waiting.steps == () and waiting.refunded == 0
    done = plan_refunds(paid=10_000, refunded=0, known=known, seen=[], reported_total=2_000)
    assert [(s.refund_id, s.counts) for s in done.steps] == [("re_k1", True)]


# --- the migration: refunds the audit log knows of become Refunds ---------------------------

def test_refunds_recorded_only_in_the_audit_log_become_refunds(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0011")
    moves = [(300_000, "partially_refunded", "webhook"), (200_000, "partially_refunded", "refund"),
             (100_000, "refunded", "webhook")]
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount,"
            " purpose, metadata, created_at, updated_at, check_attempts, save_payment_method,"
            " discount_amount) VALUES ('pay_old', 'u1', 'payme', 'refunded', 600000, 'UZS', 600000,"
            " 'one_off', '{}', '2026-01-01 00:00:00', '2026-01-03 00:00:00', 0, 0, 0)")
        db.execute(
            "INSERT INTO refunds (id, payment_id, amount, currency, status, provider_refund_id, created_at)"
            " VALUES ('re_mine', 'pay_old', 200000, 'UZS', 'succeeded', '', '2026-01-02 00:00:00')")
        for day, (amount, status, operation) in enumerate(moves, start=1):
            db.execute(
                "INSERT INTO audit_records (at, actor, operation, payment_id, amount, currency, status,"
                " details) VALUES (?, 'provider:payme', ?, 'pay_old', 600000, 'UZS', ?, ?)",
                (f"2026-01-0{day} 12:00:00", operation, status, json.dumps({"newly_refunded": amount})))
    upgrade(url, "0012")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT id, provider, amount, status, initiated_by, provider_refund_id, created_at FROM refunds"
            " ORDER BY created_at").fetchall()
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("payme", 300_000, "succeeded", "provider", None),
        ("payme", 200_000, "succeeded", "kassa", None),
        ("payme", 100_000, "succeeded", "provider", None)]
    assert rows[0][6].startswith("2026-01-01 12:00:00") and rows[1][0] == "re_mine"
