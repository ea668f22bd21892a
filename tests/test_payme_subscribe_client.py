"""kassa's Subscribe API client against the emulator, and its handling of a bad Payme."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from kassa.core.settings import SANDBOX_PAYME_MERCHANT_ID, SANDBOX_PAYME_SECRET_KEY
from kassa.providers.base import ProviderFailure
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
    listed = (await payme.call("receipts.get_all", {"count": 50, "from": 0, "to": 2**45}))["receipts"]
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
