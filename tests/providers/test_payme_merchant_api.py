"""Payme's sandbox checks, played against /webhooks/payme: every method, error and repeat."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from typing import Any

import httpx
import pytest

from kassa.db.models import ProviderTransaction
from kassa.providers.payme.plugin import SANDBOX_PAYME_SECRET_KEY
from kassa.runtime import Runtime
from tests.conftest import bearer, make_tariff, unique

AUTH = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()}


def now_ms() -> int:
    return int(time.time() * 1000)


def new_payme_id() -> str:
    return secrets.token_hex(12)


async def rpc(client: httpx.AsyncClient, method: str, params: dict[str, Any],
              headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.post("/webhooks/payme", json={
        "jsonrpc": "2.0", "id": 7, "method": method, "params": params}, headers=headers or AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == 7
    return body


def error_code(body: dict[str, Any]) -> int:
    assert "error" in body, body
    code: int = body["error"]["code"]
    return code


async def order(client: httpx.AsyncClient, amount: int = 500_000, user: str | None = None) -> dict[str, Any]:
    response = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": amount, "currency": "UZS"}, headers=bearer(user or unique("u")))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def account(payment: dict[str, Any]) -> dict[str, str]:
    return {"order_id": payment["id"]}


async def status_of(client: httpx.AsyncClient, payment: dict[str, Any]) -> str:
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(payment["user_id"]))).json()
    status: str = body["status"]
    return status


@pytest.mark.parametrize("method", ["CheckPerformTransaction", "CreateTransaction", "PerformTransaction",
                                    "CancelTransaction", "CheckTransaction", "GetStatement"])
@pytest.mark.parametrize("auth", [None, "Basic " + base64.b64encode(b"Paycom:wrong-key").decode(),
                                  "Bearer abc", "Basic !!!", "Basic " + base64.b64encode(
                                      f"Other:{SANDBOX_PAYME_SECRET_KEY}".encode()).decode()])
async def test_wrong_or_missing_key_is_refused_on_every_method(
    client: httpx.AsyncClient, method: str, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {"X-Nothing": "1"}
    body = await rpc(client, method, {"id": new_payme_id(), "amount": 100, "account": {}}, headers)
    assert error_code(body) == -32504
    assert set(body["error"]["message"]) == {"ru", "uz", "en"}


async def test_check_perform_allows_a_waiting_order_and_refuses_bad_input(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    ok = await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": account(payment)})
    assert ok["result"] == {"allow": True}

    wrong_amount = await rpc(client, "CheckPerformTransaction", {"amount": 499_999, "account": account(payment)})
    assert error_code(wrong_amount) == -31001
    unknown = await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": {"order_id": "pay_nope"}})
    assert error_code(unknown) == -31050 and unknown["error"]["data"] == "order_id"
    missing = await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": {}})
    assert -31099 <= error_code(missing) <= -31050
    for bad in ("500000", 5000.0, True, None, -5, 2**70):
        body = await rpc(client, "CheckPerformTransaction", {"amount": bad, "account": account(payment)})
        assert error_code(body) in (-32600, -31001), bad
    assert await status_of(client, payment) == "pending"


async def test_create_perform_with_repeats_answers_identically(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    payme_id, created_at = new_payme_id(), now_ms()
    params = {"id": payme_id, "time": created_at, "amount": 500_000, "account": account(payment)}

    first = await rpc(client, "CreateTransaction", params)
    second = await rpc(client, "CreateTransaction", params)
    assert first["result"] == second["result"]
    assert first["result"]["state"] == 1 and first["result"]["transaction"] == payment["id"]
    assert await status_of(client, payment) == "processing"

    check = await rpc(client, "CheckTransaction", {"id": payme_id})
    assert check["result"]["state"] == 1
    assert check["result"]["perform_time"] == 0 and check["result"]["cancel_time"] == 0
    assert check["result"]["reason"] is None

    performed = await rpc(client, "PerformTransaction", {"id": payme_id})
    again = await rpc(client, "PerformTransaction", {"id": payme_id})
    assert performed["result"] == again["result"]
    assert performed["result"]["state"] == 2 and performed["result"]["perform_time"] > 0
    assert await status_of(client, payment) == "succeeded"

    check = await rpc(client, "CheckTransaction", {"id": payme_id})
    assert check["result"]["state"] == 2
    assert check["result"]["perform_time"] == performed["result"]["perform_time"]
    assert check["result"]["create_time"] == first["result"]["create_time"]

    paid_again = await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": account(payment)})
    assert -31099 <= error_code(paid_again) <= -31050


async def test_a_second_transaction_for_one_order_is_refused(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    params = {"id": new_payme_id(), "time": now_ms(), "amount": 500_000, "account": account(payment)}
    assert "result" in await rpc(client, "CreateTransaction", params)
    other = await rpc(client, "CreateTransaction", {**params, "id": new_payme_id()})
    assert -31099 <= error_code(other) <= -31050
    check = await rpc(client, "CheckPerformTransaction", {"amount": 500_000, "account": account(payment)})
    assert -31099 <= error_code(check) <= -31050


async def test_cancel_before_perform_then_perform_is_refused(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    payme_id = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 500_000,
                                            "account": account(payment)})
    cancelled = await rpc(client, "CancelTransaction", {"id": payme_id, "reason": 3})
    repeat = await rpc(client, "CancelTransaction", {"id": payme_id, "reason": 3})
    assert cancelled["result"] == repeat["result"] and cancelled["result"]["state"] == -1

    perform = await rpc(client, "PerformTransaction", {"id": payme_id})
    assert error_code(perform) == -31008
    check = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
    assert (check["state"], check["reason"], check["perform_time"]) == (-1, 3, 0)
    assert check["cancel_time"] == cancelled["result"]["cancel_time"]
    assert await status_of(client, payment) == "cancelled"
    recreate = await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 500_000,
                                                       "account": account(payment)})
    assert error_code(recreate) == -31008


async def test_cancel_after_perform_is_a_refund_and_cancels_the_subscription(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=700_000)
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase",
                                 json={"provider": "payme"}, headers=bearer(user))).json()
    payme_id = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 700_000,
                                            "account": account(payment)})
    await rpc(client, "PerformTransaction", {"id": payme_id})
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "active"

    cancelled = await rpc(client, "CancelTransaction", {"id": payme_id, "reason": 5})
    repeat = await rpc(client, "CancelTransaction", {"id": payme_id, "reason": 5})
    assert cancelled["result"] == repeat["result"] and cancelled["result"]["state"] == -2
    assert await status_of(client, payment) == "refunded"
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "cancelled"
    check = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
    assert (check["state"], check["reason"]) == (-2, 5)


async def test_unknown_transactions_answer_not_found(client: httpx.AsyncClient) -> None:
    for method, params in (("PerformTransaction", {"id": new_payme_id()}),
                           ("CancelTransaction", {"id": new_payme_id(), "reason": 1}),
                           ("CheckTransaction", {"id": new_payme_id()})):
        assert error_code(await rpc(client, method, params)) == -31003


async def test_a_stale_transaction_times_out_after_twelve_hours(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    payme_id = new_payme_id()
    old = now_ms() - 43_200_000 - 60_000
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": old, "amount": 500_000,
                                            "account": account(payment)})
    perform = await rpc(client, "PerformTransaction", {"id": payme_id})
    assert error_code(perform) == -31008
    check = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
    assert (check["state"], check["reason"]) == (-1, 4)
    assert await status_of(client, payment) == "cancelled"


async def test_get_statement_lists_transactions_by_payme_time(client: httpx.AsyncClient) -> None:
    base = now_ms() - 10_000_000
    ids = []
    for offset in (300, 100, 200):
        payment = await order(client)
        payme_id = new_payme_id()
        ids.append((offset, payme_id))
        await rpc(client, "CreateTransaction", {"id": payme_id, "time": base + offset, "amount": 500_000,
                                                "account": account(payment)})
    body = await rpc(client, "GetStatement", {"from": base + 100, "to": base + 200})
    listed = body["result"]["transactions"]
    assert [t["id"] for t in listed] == [dict((o, i) for o, i in ids)[100], dict((o, i) for o, i in ids)[200]]
    assert {"id", "time", "amount", "account", "create_time", "perform_time", "cancel_time",
            "transaction", "state", "reason"} <= set(listed[0])
    assert error_code(await rpc(client, "GetStatement", {"from": base + 10, "to": base})) in range(-31099, -31049)
    empty = await rpc(client, "GetStatement", {"from": 1, "to": 2})
    assert empty["result"] == {"transactions": []}


async def test_protocol_errors(client: httpx.AsyncClient) -> None:
    garbage = await client.post("/webhooks/payme", content=b"{not json", headers=AUTH)
    assert garbage.status_code == 200 and garbage.json()["error"]["code"] == -32700
    not_post = await client.get("/webhooks/payme")
    assert not_post.status_code == 200 and not_post.json()["error"]["code"] == -32300
    unknown = await rpc(client, "StealMoney", {})
    assert error_code(unknown) == -32601 and unknown["error"]["data"] == "StealMoney"
    no_params = await client.post("/webhooks/payme", json={"jsonrpc": "2.0", "id": 7, "method": "CheckTransaction"},
                                  headers=AUTH)
    assert no_params.json()["error"]["code"] == -32600
    array = await client.post("/webhooks/payme", json=[1, 2], headers=AUTH)
    assert array.status_code == 200 and array.json()["error"]["code"] == -32600
    bad_types = await rpc(client, "CreateTransaction", {"id": 12, "time": "x", "amount": 1, "account": []})
    assert error_code(bad_types) == -32600


async def test_set_fiscal_data_and_change_password(client: httpx.AsyncClient, runtime: Runtime) -> None:
    payment = await order(client)
    payme_id = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 500_000,
                                            "account": account(payment)})
    fiscal = await rpc(client, "SetFiscalData", {"id": payme_id, "type": "PERFORM",
                                                 "fiscal_data": {"receipt_id": 121, "qr_code_url": "x"}})
    assert fiscal["result"] == {"success": True}
    assert error_code(await rpc(client, "SetFiscalData", {"id": payme_id, "type": "NOPE", "fiscal_data": {}})) == -32602

    assert error_code(await rpc(client, "ChangePassword", {"password": ""})) <= -31050
    same = await rpc(client, "ChangePassword", {"password": SANDBOX_PAYME_SECRET_KEY})
    assert error_code(same) == -32504
    rotated = await rpc(client, "ChangePassword", {"password": "rotated-key-123456"})
    assert rotated["result"] == {"success": True}
    try:
        old_key = await rpc(client, "CheckTransaction", {"id": payme_id})
        assert error_code(old_key) == -32504
        new_auth = {"Authorization": "Basic " + base64.b64encode(b"Paycom:rotated-key-123456").decode()}
        assert (await rpc(client, "CheckTransaction", {"id": payme_id}, new_auth))["result"]["state"] == 1
    finally:
        from sqlalchemy import delete

        from kassa.db.models import ProviderKey

        async with runtime.db.transaction() as session:
            await session.execute(delete(ProviderKey))
        from kassa.services.payments.provider_keys import forget as forget_keys

        forget_keys(runtime)


async def test_concurrent_perform_and_cancel_race_safely(client: httpx.AsyncClient, runtime: Runtime) -> None:
    org = unique("org")
    user = unique("u")
    created = await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 300_000, "currency": "UZS", "purpose": "wallet_topup",
        "organization_id": org}, headers=bearer(user, orgs=[org]))
    payment = created.json()
    payme_id = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 300_000,
                                            "account": account(payment)})
    calls = [rpc(client, "PerformTransaction", {"id": payme_id}) for _ in range(10)]
    calls += [rpc(client, "CancelTransaction", {"id": payme_id, "reason": 3}) for _ in range(5)]
    answers = await asyncio.gather(*calls)

    final = (await rpc(client, "CheckTransaction", {"id": payme_id}))["result"]
    status = await status_of(client, payment)
    wallet = (await client.get(f"/api/v1/wallets/{org}", headers=bearer(user, orgs=[org]))).json()
    balance = sum(b["amount"] for b in wallet["balances"])
    if final["state"] == -1:  # cancel won before any perform
        assert status == "cancelled" and balance == 0
        assert all("error" in a for a in answers[:10])
    else:  # perform won; cancels that came after are refunds
        assert final["state"] in (2, -2)
        assert status == ("succeeded" if final["state"] == 2 else "refunded")
        assert balance == (300_000 if final["state"] == 2 else 0)
    performs = {a["result"]["perform_time"] for a in answers[:10] if "result" in a}
    assert len(performs) <= 1  # every successful perform answered the same stored time


async def test_concurrent_creates_for_one_order_make_one_transaction(client: httpx.AsyncClient,
                                                                     runtime: Runtime) -> None:
    payment = await order(client)
    ids = [new_payme_id() for _ in range(6)]
    answers = await asyncio.gather(*(
        rpc(client, "CreateTransaction", {"id": i, "time": now_ms(), "amount": 500_000,
                                          "account": account(payment)}) for i in ids))
    assert sum("result" in a for a in answers) == 1
    # the others are told the order awaits payment in another transaction, even those that
    # read the order's transactions before the winner's lock let them go
    assert sorted(error_code(a) for a in answers if "error" in a) == [-31052] * 5
    async with runtime.db.transaction() as session:
        from sqlalchemy import func, select

        count = await session.scalar(select(func.count()).select_from(ProviderTransaction).where(
            ProviderTransaction.provider == "payme", ProviderTransaction.payment_id == payment["id"]))
    assert count == 1


async def test_concurrent_repeats_of_one_create_answer_alike(client: httpx.AsyncClient) -> None:
    """Payme repeats a CreateTransaction it got no answer to; repeats that race the first
    (each waiting for the order's lock) all answer the one transaction it opened."""
    payment = await order(client)
    params = {"id": new_payme_id(), "time": now_ms(), "amount": 500_000, "account": account(payment)}
    answers = await asyncio.gather(*(rpc(client, "CreateTransaction", params) for _ in range(6)))
    results = [a["result"] for a in answers]
    assert all(r == results[0] for r in results) and results[0]["state"] == 1
    assert await status_of(client, payment) == "processing"


async def test_a_transaction_id_of_another_order_is_refused_and_changes_nothing(
        client: httpx.AsyncClient) -> None:
    """The other order's transactions are not read with this order's lock: the transaction
    id's unique key finds it, and the call, carried out again, is refused."""
    first, second = await order(client), await order(client)
    tx = new_payme_id()
    opened = await rpc(client, "CreateTransaction", {"id": tx, "time": now_ms(), "amount": 500_000,
                                                     "account": account(first)})
    reused = await rpc(client, "CreateTransaction", {"id": tx, "time": now_ms(), "amount": 500_000,
                                                     "account": account(second)})
    assert error_code(reused) == -31008
    assert await status_of(client, second) == "pending"
    again = await rpc(client, "CheckTransaction", {"id": tx})
    assert again["result"]["transaction"] == opened["result"]["transaction"] == first["id"]


async def test_an_order_cancelled_in_kassa_cannot_be_performed(client: httpx.AsyncClient) -> None:
    payment = await order(client)
    payme_id = new_payme_id()
    await rpc(client, "CreateTransaction", {"id": payme_id, "time": now_ms(), "amount": 500_000,
                                            "account": account(payment)})
    cancel = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(payment["user_id"]))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert error_code(await rpc(client, "PerformTransaction", {"id": payme_id})) == -31008
    assert await status_of(client, payment) == "cancelled"
