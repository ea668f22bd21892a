"""Secrets never reach a log line; each request is one line at INFO; a Redis outage never
lets a key be used twice."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from redis.asyncio import Redis

from kassa.app import create_app
from kassa.core.logging import configure_logging, get_logger
from kassa.core.settings import Settings
from kassa.domain.errors import IdempotencyConflict, IdempotencyKeyReused
from kassa.providers import plugins
from kassa.runtime import Runtime
from kassa.services.ops.idempotency import DatabaseStore, RedisStore, StoredResponse
from tests.conftest import unique


def test_configured_secrets_and_sensitive_keys_are_scrubbed() -> None:
    secret = "sk_live_very_secret_value_123"
    buffer = io.StringIO()
    configure_logging("INFO", json=True, secrets=[secret], file=buffer)
    get_logger("test").info("calling provider", url=f"https://api.example/?key={secret}",
                            password="hunter2",
                            nested={"authorization": "Basic abc", "note": f"uses {secret}"})
    line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    text = json.dumps(line)
    assert secret not in text and "hunter2" not in text and "Basic abc" not in text
    assert line["password"] == "[redacted]" and "[redacted]" in line["url"]
    configure_logging("WARNING", json=True)


def test_every_provider_secret_setting_is_scrubbed(settings: Settings) -> None:
    """Each secret a provider declares (keys, tokens, Kaspi's device token) is among what a
    log line never shows."""
    given = {"KASPI_DEVICE_TOKEN": "kaspi-device-token-1234567890",
             "STRIPE_SECRET_KEY": "sk_test_scrubbed_0987654321",
             "PAYME_SECRET_KEY": "payme-secret-key-scrubbed"}
    configured = settings.model_copy(update={name.lower(): value for name, value in given.items()})
    scrubbed = plugins.log_secrets(configured)
    assert set(given.values()) <= set(scrubbed)


@pytest.mark.parametrize(("level", "logged"), [("INFO", True), ("WARNING", False)])
async def test_each_request_is_a_line_at_info_with_its_id_route_and_status(
    settings: Settings, runtime: Runtime, level: str, logged: bool
) -> None:
    app = create_app(settings.model_copy(update={"log_level": level}), runtime=runtime)
    buffer = io.StringIO()  # the app's own configuration, written here
    configure_logging(level, json=True, secrets=plugins.log_secrets(settings), file=buffer)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as http:
            answer = await http.get("/api/v1/tariffs", headers={"X-Request-ID": "trace-789"})
    finally:
        configure_logging(settings.log_level, json=settings.log_json,
                          secrets=plugins.log_secrets(settings))
    assert answer.status_code == 200
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if "http.request" in line]
    expected = [{"method": "GET", "route": "/api/v1/tariffs", "status": 200, "request_id": "trace-789"}]
    assert [{k: line[k] for k in expected[0]} for line in lines] == (expected if logged else [])


async def test_the_database_store_claims_once(runtime: Runtime) -> None:
    store = DatabaseStore(runtime.db, ttl_seconds=60)
    principal, key = unique("user"), unique("key")
    assert await store.claim(principal, key, "fp1") is None
    with pytest.raises(IdempotencyConflict):
        await store.claim(principal, key, "fp1")
    with pytest.raises(IdempotencyKeyReused):
        await store.claim(principal, key, "fp2")
    await store.complete(principal, key, StoredResponse(201, '{"id": 1}'))
    assert await store.claim(principal, key, "fp1") == StoredResponse(201, '{"id": 1}')


async def test_when_redis_is_down_the_database_keeps_keys_single_use(runtime: Runtime) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, decode_responses=True)
    fallback = DatabaseStore(runtime.db, ttl_seconds=60)
    store = RedisStore(dead, fallback, ttl_seconds=60)
    principal, key = unique("user"), unique("key")
    try:
        assert await store.claim(principal, key, "fp") is None
        with pytest.raises(IdempotencyConflict):
            await RedisStore(dead, fallback, ttl_seconds=60).claim(principal, key, "fp")
        await store.complete(principal, key, StoredResponse(201, "{}"))
        assert await fallback.claim(principal, key, "fp") == StoredResponse(201, "{}")
    finally:
        await dead.aclose()
