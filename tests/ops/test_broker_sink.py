"""Outbox events published to the RabbitMQ and NATS servers on this machine."""

from __future__ import annotations

import asyncio
import json
import os

import aio_pika
import httpx
import nats
import pytest

from kassa.core.settings import Settings
from kassa.runtime import Runtime
from kassa.services.ops.outbox_relay import fan_out
from tests.conftest import bearer, unique

RABBIT_URL = os.environ.get("KASSA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
NATS_URL = os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222")


def unavailable(what: str, exc: Exception) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not answering and CI=true: {exc}")
    pytest.skip(f"{what} not answering here: {type(exc).__name__}")


async def cancelled_payment(client: httpx.AsyncClient) -> str:
    user = unique("u")
    pid: str = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 1_000,
                                                            "currency": "UZS"}, headers=bearer(user))).json()["id"]
    await client.post(f"/api/v1/payments/{pid}/cancel", headers=bearer(user))
    return pid


async def relay_with(settings: Settings, url: str) -> None:
    rt = Runtime.build(settings.model_copy(update={"events_broker_url": url}))
    try:
        while await fan_out(rt):
            pass
    finally:
        await rt.close()


async def test_events_reach_rabbitmq(client: httpx.AsyncClient, settings: Settings) -> None:
    try:
        connection = await aio_pika.connect_robust(RABBIT_URL, timeout=5)
    except Exception as exc:
        unavailable("RabbitMQ", exc)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange("kassa.events", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key="payment.*")
        pid = await cancelled_payment(client)
        await relay_with(settings, RABBIT_URL)
        seen = []
        async with queue.iterator(timeout=10) as messages:
            async for message in messages:
                async with message.process():
                    body = json.loads(message.body)
                    seen.append((message.routing_key, message.message_id, body))
                    if body["data"].get("id") == pid:
                        break
    routing_key, message_id, body = seen[-1]
    assert routing_key == "payment.cancelled" and body["type"] == "payment.cancelled"
    assert message_id == body["id"]


async def test_events_reach_nats(client: httpx.AsyncClient, settings: Settings) -> None:
    try:
        nc = await nats.connect(NATS_URL, connect_timeout=5, max_reconnect_attempts=0)
    except Exception as exc:
        unavailable("NATS", exc)
    received: asyncio.Queue[tuple[str, dict[str, object]]] = asyncio.Queue()

    async def handler(msg: nats.aio.msg.Msg) -> None:
        await received.put((msg.subject, json.loads(msg.data)))

    await nc.subscribe("kassa.events.>", cb=handler)
    try:
        pid = await cancelled_payment(client)
        await relay_with(settings, NATS_URL)
        while True:
            subject, body = await asyncio.wait_for(received.get(), timeout=10)
            data = body["data"]
            assert isinstance(data, dict)
            if data.get("id") == pid:
                break
        assert subject == "kassa.events.payment.cancelled"
    finally:
        await nc.close()


async def test_a_broker_outage_keeps_events_for_the_next_attempt(client: httpx.AsyncClient,
                                                                  settings: Settings, runtime: Runtime) -> None:
    from sqlalchemy import select

    from kassa.db.models import OutboxEvent

    pid = await cancelled_payment(client)
    with pytest.raises(Exception):  # noqa: B017 - whichever error the client raises
        await relay_with(settings, "amqp://guest:guest@127.0.0.1:1/")
    async with runtime.db.transaction() as session:
        events = (await session.execute(select(OutboxEvent).where(OutboxEvent.type == "payment.cancelled"))).scalars()
        mine = [e for e in events if e.data.get("id") == pid]
    assert mine and mine[0].published_at is None
