"""Click (Uzbekistan) end to end: checkout links, the SHOP API as Click calls it (Prepare and
Complete, form-encoded, MD5-signed), Click's error codes, repeats, declines, and reversal
through the Merchant API — against the emulator, which calls kassa over HTTP as Click does."""

from __future__ import annotations

import asyncio
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


# -- Complete as Click defines it: every check before any change ------------------------------
# Click's docs (docs.click.uz/en/click-api-error): -2 for an amount that is
# not the order's, -4 for a confirmed transaction (confirmed again, or cancelled by Click's own
# error), -6 when merchant_prepare_id names no transaction of this one, -8 when a parameter is
# missing. A refusal changes nothing: the payment and its audit trail stay as they were.

async def events(client: httpx.AsyncClient, payment: dict[str, Any]) -> list[dict[str, Any]]:
    body = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(payment["user_id"]))).json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return items


async def snapshot(client: httpx.AsyncClient, payment: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return await status(client, payment), await events(client, payment)


async def prepared(client: httpx.AsyncClient, payment: dict[str, Any]) -> dict[str, str]:
    """A Prepare answered 0: the Complete Click would send next."""
    fields = prepare_fields(payment)
    answer = await click(client, signed(fields))
    assert answer["error"] == 0, answer
    return {**fields, "action": "1", "merchant_prepare_id": str(answer["merchant_prepare_id"])}


async def test_a_complete_naming_another_transactions_prepare_id_changes_nothing(client: httpx.AsyncClient) -> None:
    payment, other = await order(client), await order(client)
    complete, others = await prepared(client, payment), await prepared(client, other)
    before = await snapshot(client, payment)
    for prepare_id in (others["merchant_prepare_id"], "987654321"):
        answer = await click(client, signed({**complete, "merchant_prepare_id": prepare_id}))
        assert answer["error"] == -6 and "merchant_confirm_id" not in answer, answer
    # this transaction under the other order's id, and the other's under this order's
    assert (await click(client, signed({**others, "merchant_trans_id": payment["id"]})))["error"] == -6
    assert (await click(client, signed({**complete, "merchant_trans_id": other["id"]})))["error"] == -6
    assert await snapshot(client, payment) == before
    assert (await status(client, other))["status"] == "processing"
    confirmed = await click(client, signed(complete))  # the genuine Complete still pays it
    assert confirmed["error"] == 0 and (await status(client, payment))["status"] == "succeeded"


async def test_a_complete_short_of_the_order_is_refused(client: httpx.AsyncClient) -> None:
    payment = await order(client)  # 15 000.50 sums
    complete = await prepared(client, payment)
    before = await snapshot(client, payment)
    for amount in ("14999.50", "15000.49", "15001.50"):
        answer = await click(client, signed({**complete, "amount": amount}))
        assert answer["error"] == -2 and answer["error_note"] == "Incorrect parameter amount", answer
    assert await snapshot(client, payment) == before
    assert (await click(client, signed({**complete, "amount": "15000.5"})))["error"] == 0  # the same sums


async def test_clicks_error_for_a_confirmed_transaction_is_already_paid(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    complete = await prepared(client, payment)
    assert (await click(client, signed(complete)))["error"] == 0
    before = await snapshot(client, payment)
    failed = {**complete, "error": "-5017", "error_note": "Insufficient funds"}
    answer = await click(client, signed(failed))
    assert answer["error"] == -4 and answer["error_note"] == "Already paid", answer
    assert await click(client, signed(failed)) == answer  # and again
    after = await snapshot(client, payment)
    assert after == before and after[0]["status"] == "succeeded" and after[0]["refunded_amount"] == 0


@pytest.mark.parametrize(("action", "missing"), [
    *((action, name) for action in "01" for name in ("click_paydoc_id", "error", "error_note")),
    ("1", "merchant_prepare_id"),
])
async def test_a_call_missing_a_parameter_is_refused(client: httpx.AsyncClient, action: str, missing: str) -> None:
    payment = await order(client)
    fields = await prepared(client, payment) if action == "1" else prepare_fields(payment)
    before = await snapshot(client, payment)
    body = signed({**fields, missing: ""})  # signed as Click would without it
    del body[missing]
    answer = await click(client, body)
    assert answer["error"] == -8 and answer["error_note"] == "Error in request from click", answer
    assert await snapshot(client, payment) == before


@pytest.mark.parametrize("error", ["", "abc", "-", "1.5", "-1000000000000"])
async def test_a_complete_whose_error_is_not_a_number_is_refused(client: httpx.AsyncClient, error: str) -> None:
    payment = await order(client)
    complete = await prepared(client, payment)
    before = await snapshot(client, payment)
    assert (await click(client, signed({**complete, "error": error})))["error"] == -8
    assert await snapshot(client, payment) == before


@pytest.mark.parametrize(("action", "change"), [
    ("1", {"merchant_prepare_id": "\u0661\u0662"}),  # digits, but not ASCII ones
    ("1", {"click_trans_id": "\u00b2"}),
    ("0", {"click_trans_id": "\u00b2"}),
])
async def test_ids_that_are_not_clicks_numbers_are_refused(client: httpx.AsyncClient, action: str,
                                                           change: dict[str, str]) -> None:
    payment = await order(client)
    fields = await prepared(client, payment) if action == "1" else prepare_fields(payment)
    before = await snapshot(client, payment)
    response = await client.post("/webhooks/click", data=signed({**fields, **change}))
    assert response.status_code == 200 and response.json()["error"] == -8, response.text
    assert await snapshot(client, payment) == before


async def test_a_complete_and_clicks_error_at_once_agree_with_the_payment(client: httpx.AsyncClient) -> None:
    """Click's Complete and a Complete carrying its error for one transaction, several of each
    at once: one of them decides; the answers say what the payment became, never otherwise."""
    payment = await order(client)
    complete = await prepared(client, payment)
    failed = {**complete, "error": "-5017", "error_note": "Insufficient funds"}
    calls = [signed(complete)] * 4 + [signed(failed)] * 4  # the Completes sent first
    answers = await asyncio.gather(*(click(client, body) for body in calls))
    paid = (await status(client, payment))["status"]
    completes = {a["error"] for body, a in zip(calls, answers, strict=True) if body["error"] == "0"}
    cancels = {a["error"] for body, a in zip(calls, answers, strict=True) if body["error"] != "0"}
    if paid == "succeeded":
        assert completes == {0} and cancels == {-4}, answers
    else:
        assert paid == "cancelled" and completes == {-9} and cancels == {-9}, answers
    moves = [e["status"] for e in await events(client, payment)]
    assert moves.count(paid) == 1, moves


async def clicks_payments(client: httpx.AsyncClient, payment: dict[str, Any]) -> list[str]:
    """The payment's transactions as Click's side (the emulator) holds them."""
    held = (await client.get("/sandbox/click/_payments")).json()["payments"].values()
    return [p["status"] for p in held if p["merchant_trans_id"] == payment["id"]]


async def test_clicks_page_for_a_link_short_of_the_order_is_refused(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    short = payment["checkout_url"].replace("amount=15000.50", "amount=14999.50")
    assert short != payment["checkout_url"]
    page = await client.post(short, data={"action": "pay"})
    assert "Incorrect parameter amount (-2)" in page.text
    assert (await status(client, payment))["status"] == "pending"
    assert await clicks_payments(client, payment) == []  # Click charged nothing


async def test_an_order_closed_before_clicks_complete_is_not_paid_at_click(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    await client.put("/sandbox/click/_faults", json={"delay_ms": 400})  # before each of Click's calls
    try:
        paying = asyncio.create_task(client.post(payment["checkout_url"], data={"action": "pay"}))
        for _ in range(100):
            if (await status(client, payment))["status"] == "processing":
                break
            await asyncio.sleep(0.02)
        closed = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(payment["user_id"]))
        assert closed.status_code == 200, closed.text
        page = await paying
    finally:
        await client.put("/sandbox/click/_faults", json={})
    assert "Transaction cancelled (-9)" in page.text
    assert (await status(client, payment))["status"] == "cancelled"
    assert await clicks_payments(client, payment) == ["cancelled"]  # Click did not keep the money
