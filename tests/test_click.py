"""Click (Uzbekistan) end to end: checkout links, the SHOP API as Click calls it (Prepare and
Complete, form-encoded, MD5-signed), Click's error codes, repeats, declines, and reversal
through the Merchant API — against the emulator, which calls kassa over HTTP as Click does."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import bearer, make_tariff, unique

SERVICE_ID, SECRET = "10001", "click-sandbox-secret"  # the sandbox's Click cabinet


async def order(client: httpx.AsyncClient, amount: int = 1_500_050, user: str | None = None,
                **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/payments", headers=bearer(user or unique("u")), json={
        "provider": "click", "amount": amount, "currency": "UZS", **extra})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def signed(fields: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    parts = [fields["click_trans_id"], fields["service_id"], secret, fields["merchant_trans_id"]]
    if fields["action"] == "1":
        parts.append(fields["merchant_prepare_id"])
    parts += [fields["amount"], fields["action"], fields["sign_time"]]
    return {**fields, "sign_string": hashlib.md5("".join(parts).encode()).hexdigest()}


def prepare_fields(payment: dict[str, Any], amount: str = "15000.50", **extra: str) -> dict[str, str]:
    return {"click_trans_id": str(secrets.randbelow(10**9) + 1), "service_id": SERVICE_ID,
            "click_paydoc_id": str(secrets.randbelow(10**9) + 1), "merchant_trans_id": payment["id"],
            "amount": amount, "action": "0", "error": "0", "error_note": "Success",
            "sign_time": time.strftime("%Y-%m-%d %H:%M:%S"), **extra}


async def click(client: httpx.AsyncClient, fields: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/webhooks/click", data=fields)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def status(client: httpx.AsyncClient, payment: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/payments/{payment['id']}",
                                             headers=bearer(payment["user_id"]))).json()
    return body


async def test_a_tariff_paid_on_clicks_page(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=9_900_000, currency="UZS", name="Click Pro")
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", headers=bearer(user), json={
        "provider": "click", "return_url": "https://shop.example/back"})).json()
    link = urlsplit(payment["checkout_url"])
    assert link.path.endswith("/sandbox/click/services/pay")
    assert parse_qs(link.query) == {"service_id": [SERVICE_ID], "merchant_id": ["20002"], "amount": ["99000.00"],
                                    "transaction_param": [payment["id"]], "return_url": ["https://shop.example/back"]}
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "Payment successful" in page.text
    paid = await status(client, payment)
    assert paid["status"] == "succeeded" and paid["provider_payment_id"] and paid["paid_at"]
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "active"
    invoices = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"]
    assert [i["amount"] for i in invoices] == [9_900_000]


async def test_a_declined_card_cancels_the_order(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    page = await client.post(payment["checkout_url"], data={"action": "decline"})
    assert "insufficient funds" in page.text
    body = await status(client, payment)
    assert body["status"] == "cancelled" and body["failure_code"] == "click_-5017"
    again = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "Transaction cancelled (-9)" in again.text  # Click's next Prepare is refused


async def test_the_shop_api_as_click_calls_it(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    fields = prepare_fields(payment)
    prepared = await click(client, signed(fields))
    assert prepared["error"] == 0 and prepared["error_note"] == "Success"
    assert prepared["click_trans_id"] == int(fields["click_trans_id"])
    assert prepared["merchant_trans_id"] == payment["id"] and isinstance(prepared["merchant_prepare_id"], int)
    assert await click(client, signed(fields)) == prepared  # a repeat answers identically
    assert (await status(client, payment))["status"] == "processing"

    other = prepare_fields(payment)  # another Click transaction while this one is open
    assert (await click(client, signed(other)))["error"] == -8

    complete = {**fields, "action": "1", "merchant_prepare_id": str(prepared["merchant_prepare_id"])}
    wrong_id = await click(client, signed({**complete, "merchant_prepare_id": str(prepared["merchant_prepare_id"] + 1)}))
    assert wrong_id["error"] == -6
    confirmed = await click(client, signed(complete))
    assert confirmed["error"] == 0 and confirmed["merchant_confirm_id"] == prepared["merchant_prepare_id"]
    assert await click(client, signed(complete)) == confirmed
    assert (await status(client, payment))["status"] == "succeeded"
    assert (await click(client, signed(prepare_fields(payment))))["error"] == -4  # already paid


@pytest.mark.parametrize(("change", "code"), [
    ({"sign_string": "0" * 32}, -1),
    ({"service_id": "99999"}, -1),
    ({"action": "7"}, -3),
    ({"amount": "15000.5"}, None),  # the same sums written shorter: accepted
    ({"amount": "15000.51"}, -2),
    ({"amount": "15000.505"}, -2),  # not a whole tiyin
    ({"amount": "abc"}, -2),
    ({"merchant_trans_id": "pay_nobody"}, -5),
    ({"amount": ""}, -8),
])
async def test_clicks_error_codes(client: httpx.AsyncClient, change: dict[str, str], code: int | None) -> None:
    payment = await order(client)
    fields = {**prepare_fields(payment), **{k: v for k, v in change.items() if k != "sign_string"}}
    body = signed(fields)
    if "sign_string" in change:
        body["sign_string"] = change["sign_string"]
    answer = await click(client, body)
    assert answer["error"] == (code if code is not None else 0), answer
    expected = "processing" if code is None else "pending"
    assert (await status(client, payment))["status"] == expected  # a refusal changes nothing


async def test_a_complete_for_an_unknown_transaction_and_one_signed_wrongly(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    fields = {**prepare_fields(payment), "action": "1", "merchant_prepare_id": "123456"}
    assert (await click(client, signed(fields)))["error"] == -6
    assert (await click(client, signed(fields, secret="guess")))["error"] == -1
    assert (await status(client, payment))["status"] == "pending"


async def test_a_cancelled_order_refuses_clicks_calls(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    cancelled = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(payment["user_id"]))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await click(client, signed(prepare_fields(payment))))["error"] == -9


async def test_a_refund_is_a_reversal_through_the_merchant_api(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    payment = await order(client)
    await client.post(payment["checkout_url"], data={"action": "pay"})
    partial = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 100}, headers=admin)
    assert partial.status_code == 409  # Click reverses whole payments only
    refund = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert refund.status_code == 201 and refund.json()["status"] == "succeeded", refund.text
    assert (await status(client, payment))["status"] == "refunded"
    again = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert again.status_code == 409
    reversed_at_click = [p for p in (await client.get("/sandbox/click/_payments")).json()["payments"].values()
                         if p["merchant_trans_id"] == payment["id"]]
    assert [p["status"] for p in reversed_at_click] == ["reversed"]


async def test_an_unknown_provider_does_not_call_kassa(client: httpx.AsyncClient) -> None:
    assert (await client.post("/webhooks/nobody", data={"a": "b"})).status_code == 404
