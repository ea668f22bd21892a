"""kassa's Subscribe API client against the emulator, and its handling of a bad Payme."""

from __future__ import annotations

import asyncio
import json
import secrets

import httpx
import pytest
import respx

from kassa.providers.base import ProviderFailure
from kassa.providers.payme.plugin import SANDBOX_PAYME_MERCHANT_ID, SANDBOX_PAYME_SECRET_KEY
from kassa.providers.payme.subscribe import PaymeApiError, SubscribeClient


@pytest.fixture
def payme(server: str) -> SubscribeClient:
    return SubscribeClient(httpx.AsyncClient(timeout=5), f"{server}/sandbox/payme/api",
                           SANDBOX_PAYME_MERCHANT_ID, SANDBOX_PAYME_SECRET_KEY)


async def test_every_card_and_receipt_method(payme: SubscribeClient) -> None:
    card = await payme.card_create("8600495473316478", "0399")
    assert card["number"] == "860049******6478" and card["verify"] is False
    assert (await payme.card_send_code(card["token"]))["sent"] is True
    with pytest.raises(PaymeApiError) as wrong:
        await payme.card_verify(card["token"], "000000")
    assert wrong.value.payme_code == -31103
    assert (await payme.card_verify(card["token"], "666666"))["verify"] is True
    assert (await payme.card_check(card["token"]))["verify"] is True

    receipt = await payme.receipt_create(250_000, {"order_id": "pay_1"}, "Order 1")
    assert receipt["state"] == 0
    paid = (await payme.call("receipts.pay", {"id": receipt["_id"], "token": card["token"],
                                              "payer": {"phone": "998901234567"}}))["receipt"]
    assert paid["state"] == 4 and (await payme.receipt_get(receipt["_id"]))["state"] == 4
    assert paid["card"]["expire"] == "9903" and paid["payer"] == {"phone": "998901234567"}  # YYMM
    await payme.receipt_send(receipt["_id"], "998901234567")
    assert (await payme.receipt_get(receipt["_id"]))["amount"] == 250_000
    listed = await payme.receipts_between(0, 2**45)
    assert receipt["_id"] in [r["_id"] for r in listed]
    queued = await payme.receipt_cancel(receipt["_id"])  # a paid receipt: the cancel queue first
    assert queued["state"] == 21 and queued["meta"]["source_cancel"]
    await asyncio.sleep(0.2)
    assert (await payme.receipt_get(receipt["_id"]))["state"] == 50
    unpaid = await payme.receipt_create(1_000, {"order_id": "pay_2"}, None)
    assert (await payme.receipt_cancel(unpaid["_id"]))["state"] == 50

    await payme.card_remove(card["token"])
    with pytest.raises(PaymeApiError):
        await payme.card_check(card["token"])


async def test_a_wrong_key_is_refused(server: str) -> None:
    client = SubscribeClient(httpx.AsyncClient(timeout=5), f"{server}/sandbox/payme/api",
                             SANDBOX_PAYME_MERCHANT_ID, "not-the-key")
    with pytest.raises(PaymeApiError) as refused:
        await client.receipt_create(100, {"order_id": "x"}, None)
    assert refused.value.payme_code == -32504


@pytest.mark.parametrize(("reply", "created_nothing"), [
    (httpx.Response(502, text="bad gateway"), False),
    (httpx.Response(200, text="<html>maintenance</html>"), False),
    (httpx.Response(200, json=[1, 2]), False),
    (httpx.Response(200, json={"id": 1}), False),
    (httpx.ConnectError("refused"), True),
    (httpx.ReadTimeout("slow"), False),
])
async def test_garbage_and_outages_are_provider_failures(reply: object, created_nothing: bool) -> None:
    url = "https://checkout.test.paycom.uz/api"
    async with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url)
        if isinstance(reply, Exception):
            route.side_effect = reply
        else:
            route.return_value = reply
        client = SubscribeClient(httpx.AsyncClient(), url, "m", "k")
        with pytest.raises(ProviderFailure) as failure:
            await client.receipt_create(100, {"order_id": "x"}, None)
    assert failure.value.created_nothing is created_nothing


async def test_receipts_get_all_answers_a_bare_list_as_payme_does(payme: SubscribeClient, server: str) -> None:
    """receipts.get_all's `result` is the list of receipts itself: payme-pkg types it
    `GetAllResponse.result: list[Receipt]` (payme/types/response/receipts.py) and its self-test
    against Payme's test server asserts `isinstance(get_all_response.result, list)`
    (payme/classes/receipts.py, Receipts.test, "Get All Test"); Payme's receipts.get_all page
    shows `"result": [{"_id": …}, …]`. A resumed renewal finds its earlier receipt this way."""
    order = f"pay_{secrets.token_hex(6)}"
    made = await payme.receipt_create(1_000, {"order_id": order}, "Test receipt")
    async with httpx.AsyncClient(timeout=5) as http:
        answer = (await http.post(f"{server}/sandbox/payme/api", json={
            "id": 7, "method": "receipts.get_all",
            "params": {"count": 50, "from": made["create_time"], "to": made["create_time"], "offset": 0},
        }, headers={"X-Auth": f"{SANDBOX_PAYME_MERCHANT_ID}:{SANDBOX_PAYME_SECRET_KEY}"})).json()
    assert answer["id"] == 7 and isinstance(answer["result"], list)
    [receipt] = [r for r in answer["result"] if r["_id"] == made["_id"]]
    # the fields payme-pkg's Receipt declares without a default, typed as it types them
    for name, kind in (("_id", str), ("create_time", int), ("pay_time", int), ("cancel_time", int),
                       ("state", int), ("type", int), ("external", bool), ("operation", int)):
        assert isinstance(receipt[name], kind), name
    assert receipt["amount"] == 1_000 and receipt["currency"] == 860
    assert {"name": "order_id", "value": order}.items() <= receipt["account"][0].items()
    found = await payme.receipts_between(made["create_time"], made["create_time"])
    assert made["_id"] in [r["_id"] for r in found]


def _docs_receipt(number: int) -> dict[str, object]:
    """A paid receipt shaped as in Payme's receipts.get_all example: account entries with a
    per-language title, one of them a number."""
    return {"_id": f"618a5b9f1045eb4efde6{number:04x}", "create_time": 1636457473995 + number,
            "pay_time": 1636457474283, "cancel_time": 0, "state": 4, "type": 2, "external": False,
            "operation": -1, "amount": 100000, "currency": 860, "commission": 0,
            "account": [{"name": "order_id", "title": {"ru": "Заказ", "uz": "Buyurtma"},
                         "value": f"pay_{number}", "main": True},
                        {"name": "transaction", "title": {"ru": "Номер чека"}, "value": 1544, "main": False}],
            "card": {"number": "860006******6311", "expire": "9903"}}


async def test_receipts_between_reads_paymes_pages_by_offset() -> None:
    url = "https://checkout.test.paycom.uz/api"
    pages = [[_docs_receipt(n) for n in range(50)], [_docs_receipt(50)]]
    async with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url)
        route.side_effect = [httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": page}) for page in pages]
        client = SubscribeClient(httpx.AsyncClient(), url, "m", "k")
        found = await client.receipts_between(0, 2**45)
    assert [r["_id"] for r in found] == [r["_id"] for r in pages[0] + pages[1]]
    asked = [json.loads(call.request.content)["params"] for call in route.calls]
    assert [(p["count"], p["offset"]) for p in asked] == [(50, 0), (50, 50)]


@pytest.mark.parametrize("result", [{"receipts": [_docs_receipt(1)]}, None, [1, 2]])
async def test_a_get_all_answer_without_a_list_of_receipts_is_a_provider_failure(result: object) -> None:
    """Read as "no earlier receipt", such an answer would let a resumed renewal charge twice."""
    url = "https://checkout.test.paycom.uz/api"
    async with respx.mock(assert_all_called=True) as mock:
        mock.post(url).return_value = httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": result})
        client = SubscribeClient(httpx.AsyncClient(), url, "m", "k")
        with pytest.raises(ProviderFailure):
            await client.receipts_between(0, 2**45)
