"""The door of an API process (API_CONCURRENCY): requests past it wait in arrival order
before anything of theirs is built, a request waiting on its provider leaves its place to
the next, a slow sender holds none, and the probes pass by."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text

from kassa.app import create_app
from kassa.core.settings import Settings
from kassa.db.session import Database
from kassa.runtime import Runtime
from tests.conftest import _free_port, bearer, served, unique

PAYME = {"provider": "payme", "amount": 150_000, "currency": "UZS"}


@asynccontextmanager
async def serving(settings: Settings, runtime: Runtime, places: int) -> AsyncIterator[str]:
    """The suite's kassa with a door of `places`, on a port of its own, over real HTTP."""
    app = create_app(settings.model_copy(update={"api_concurrency": places}), runtime=runtime)
    port = _free_port()
    async with served(app, port):
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def payments_held(database_url: str) -> AsyncIterator[None]:
    """Another program's transaction that keeps every new payment waiting until it ends."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            if db.dialect == "sqlite":
                await session.execute(text("SELECT 1"))  # after BEGIN IMMEDIATE: the write lock
            else:
                await session.execute(text("LOCK TABLE payments IN SHARE MODE"))
            yield
    finally:
        await db.dispose()


async def waiting_at_the_door(http: httpx.AsyncClient) -> float:
    metrics = (await http.get("/metrics")).text
    line = next(x for x in metrics.splitlines() if x.startswith("kassa_requests_waiting "))
    return float(line.split()[1])


async def until_waiting(http: httpx.AsyncClient, count: int) -> None:
    async with asyncio.timeout(10):
        while await waiting_at_the_door(http) != count:
            await asyncio.sleep(0.02)


async def test_requests_past_the_limit_wait_at_the_door_in_arrival_order(
    settings: Settings, runtime: Runtime
) -> None:
    user = unique("u")
    answered: list[str] = []
    async with serving(settings, runtime, places=1) as url, \
            httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def create(name: str) -> None:
            response = await http.post("/api/v1/payments", json={**PAYME, "description": name},
                                       headers=bearer(user))
            assert response.status_code == 201, response.text
            answered.append(name)

        async with payments_held(settings.database_url):
            first = asyncio.create_task(create("first"))  # inside, waiting for the database
            await asyncio.sleep(0.2)
            queued = []
            for name in ("second", "third"):
                queued.append(asyncio.create_task(create(name)))
                await until_waiting(http, len(queued))
            # the probes pass by a full door: an orchestrator must not restart a busy process
            assert (await asyncio.wait_for(http.get("/health"), timeout=1)).status_code == 200
            assert not first.done() and answered == []
        await asyncio.wait_for(asyncio.gather(first, *queued), timeout=60)
        assert answered == ["first", "second", "third"]
        assert await waiting_at_the_door(http) == 0


async def test_a_request_waiting_on_its_provider_leaves_its_place_to_the_next(
    client: httpx.AsyncClient, settings: Settings, runtime: Runtime
) -> None:
    """With one place, a Stripe payment whose provider takes a second and a half to answer
    does not hold up another client's Payme payment or a read."""
    user = unique("u")
    await client.put("/sandbox/stripe/_faults", json={"delay_ms": 1_500})
    try:
        async with serving(settings, runtime, places=1) as url, \
                httpx.AsyncClient(base_url=url, timeout=30) as http:
            slow = asyncio.create_task(http.post(
                "/api/v1/payments", json={"provider": "stripe", "amount": 700, "currency": "USD"},
                headers=bearer(user)))
            try:
                await asyncio.sleep(0.3)  # the Stripe call is under way
                other = unique("u")
                payme = await asyncio.wait_for(
                    http.post("/api/v1/payments", json=PAYME, headers=bearer(other)), timeout=1)
                read = await asyncio.wait_for(
                    http.get(f"/api/v1/payments/{payme.json()['id']}", headers=bearer(other)),
                    timeout=1)
                assert payme.status_code == 201 and read.status_code == 200
                assert not slow.done()
                stripe = await slow
            finally:
                slow.cancel()
            assert stripe.status_code == 201, stripe.text
            # back from outside, the Stripe request gave its place up once: the door is free
            again = await asyncio.wait_for(
                http.post("/api/v1/payments", json=PAYME, headers=bearer(other)), timeout=5)
            assert again.status_code == 201
    finally:
        await client.put("/sandbox/stripe/_faults", json={})


async def test_a_client_sending_its_body_slowly_holds_no_place(
    settings: Settings, runtime: Runtime
) -> None:
    user = unique("u")
    body = b'{"provider": "payme", "amount": 150000, "currency": "UZS"}'
    async with serving(settings, runtime, places=1) as url, \
            httpx.AsyncClient(base_url=url, timeout=30) as http:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            token = bearer(user)["Authorization"]
            writer.write(
                b"POST /api/v1/payments HTTP/1.1\r\nhost: kassa\r\n"
                + f"content-type: application/json\r\nauthorization: {token}\r\n".encode()
                + f"content-length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            await writer.drain()
            await asyncio.sleep(0.2)  # the head is in; the body stalls
            others = await asyncio.wait_for(
                http.post("/api/v1/payments", json=PAYME, headers=bearer(user)), timeout=5)
            assert others.status_code == 201
            writer.write(body[10:])
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        finally:
            writer.close()
        assert status_line.startswith(b"HTTP/1.1 201"), status_line
