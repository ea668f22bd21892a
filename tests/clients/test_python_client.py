"""The Python client (clients/python, `kassa-client`) against a running kassa: typed calls,
an idempotency key reused across its retries, problems as KassaError, webhook signatures."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from kassa_client import AsyncKassa, Kassa, KassaError, verify_signature

from kassa.core.security import mint_token
from kassa.runtime import Runtime
from kassa.services.ops.outbox_relay import relay_once
from tests.conftest import TEST_SECRET, Receiver, unique


class LostAnswers(httpx.AsyncHTTPTransport):
    """The network between the client and kassa loses the first `n` answers: each request
    reaches kassa and is carried out, and the client hears nothing back."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.lost = n
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.sent += 1
        if self.lost:
            self.lost -= 1
            await response.aread()
            raise httpx.ReadError("connection reset", request=request)
        return response


async def test_a_purchase_retried_after_a_lost_answer_is_one_payment(server: str,
                                                                      service_key: dict[str, str]) -> None:
    admin = AsyncKassa(server, token=mint_token(TEST_SECRET, "admin-1", role="admin"))
    tariff = await admin.create_tariff(name="Client plan", amount=5_000_000, currency="UZS", duration_days=30)
    assert tariff["amount"] == 5_000_000 and tariff["recurring"] is False
    network = LostAnswers(2)
    service = AsyncKassa(server, api_key=service_key["X-API-Key"], backoff=0.01,
                         http=httpx.AsyncClient(base_url=server, transport=network,
                                                headers={"X-API-Key": service_key["X-API-Key"]}))
    user = unique("u")
    payment = await service.purchase(tariff["id"], provider="payme", user_id=user)
    assert network.sent == 3  # two answers lost, the third heard
    listed = await service.payments(user_id=user)
    assert [p["id"] for p in listed["items"]] == [payment["id"]]  # one payment, not three
    assert payment["status"] == "pending" and payment["checkout_url"]

    with pytest.raises(KassaError) as refused:
        await service.payment("pay_does_not_exist")
    assert refused.value.status == 404 and refused.value.code == "not_found"
    with pytest.raises(KassaError) as invalid:
        await service.purchase(tariff["id"], provider="payme")  # a service must name the user
    assert invalid.value.code == "validation_error"
    await asyncio.gather(admin.aclose(), service.aclose())


async def test_the_blocking_client_and_a_verified_webhook(server: str, receiver: Receiver, runtime: Runtime,
                                                          service_key: dict[str, str]) -> None:
    admin_token = mint_token(TEST_SECRET, "admin-1", role="admin")
    async with httpx.AsyncClient(base_url=server) as http:
        hook = await http.post("/api/v1/admin/webhook-endpoints", json={
            "url": receiver.url, "events": ["payment.cancelled"]}, headers={"Authorization": f"Bearer {admin_token}"})
        secret = hook.json()["secret"]

    def as_a_backend() -> tuple[str, str, str]:
        kassa = Kassa(server, api_key=service_key["X-API-Key"])
        try:
            customer = unique("u")
            payment = kassa.create_payment(provider="payme", amount=150_000, currency="UZS", user_id=customer)
            cancelled = kassa.cancel(payment["id"])
            portal = kassa.portal_session(user_id=customer, language="ru")  # their account, in Russian
            return payment["id"], cancelled["status"], portal["url"]
        finally:
            kassa.close()

    payment_id, status, portal_url = await asyncio.to_thread(as_a_backend)
    assert status == "cancelled" and "/portal/enter?token=" in portal_url and portal_url.endswith("&lang=ru")
    for _ in range(100):
        await relay_once(runtime)  # the worker's outbox relay, one pass
        mine = [(h, b) for h, b in receiver.received if json.loads(b)["data"].get("id") == payment_id]
        if mine:
            break
        await asyncio.sleep(0.05)
    headers, body = mine[0]
    assert verify_signature(secret, body, headers["kassa-signature"])
    assert not verify_signature(secret, body + b" ", headers["kassa-signature"])
    assert not verify_signature("another secret", body, headers["kassa-signature"])
