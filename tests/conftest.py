"""Test harness: kassa served by a real uvicorn server on a free port, over a real database.

KASSA_TEST_DATABASE_URL picks the database server (a fresh SQLite file by default); on
PostgreSQL the suite creates a database of its own for the run (`kassa_test_<random>`) and
drops it afterwards, leaving every other database alone. KASSA_TEST_REDIS_URL turns Redis
on, in the database number it names (flushed: use one nothing else does).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from kassa.app import create_app
from kassa.core.security import mint_token
from kassa.core.settings import Settings
from kassa.db.migrate import upgrade_async
from kassa.db.session import Database
from kassa.fast import switch
from kassa.runtime import Runtime
from kassa.services.accounts.api_keys import create_api_key

TEST_SECRET = "test-signing-secret-0123456789abcdef-kassa"

# The fault suite starts its own processes and restarts PostgreSQL; it runs on its own
# (`make chaos`, or `make test`'s short run), never inside the ordinary suites.
collect_ignore = [] if os.environ.get("KASSA_CHAOS") else ["chaos"]
# The container image is built and started once, on its own (`make test-container`).
if not os.environ.get("KASSA_CONTAINER"):
    collect_ignore.append("container")
# The API fuzzing runs its own SQLite kassa: once, in the SQLite pass.
if os.environ.get("KASSA_TEST_DATABASE_URL"):
    collect_ignore.append("test_openapi_fuzz.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(app: Any, port: int, *, lifespan: str = "off") -> AsyncIterator[None]:
    """`app` served by uvicorn on `port` in this event loop until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan=lifespan, access_log=False))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "the test server did not start"
    try:
        yield
    except BaseException:
        server.force_exit = True  # a failed test may leave a request that never ends
        raise
    finally:
        server.should_exit = True
        await task


async def _admin(server_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE), on the server's own db."""
    db = Database(server_url)
    try:
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    server = os.environ.get("KASSA_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'kassa-test.db'}"
        return
    name = f"kassa_test_{os.urandom(5).hex()}"
    await _admin(server, f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def port() -> int:
    return _free_port()


@pytest.fixture(scope="session")
def settings(database_url: str, port: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=database_url,
        redis_url=os.environ.get("KASSA_TEST_REDIS_URL") or None,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        sandbox=True,
        public_url=f"http://127.0.0.1:{port}",
        log_level=os.environ.get("KASSA_TEST_LOG_LEVEL", "WARNING"),
        provider_timeout_seconds=2.0,
        # the suite is one busy caller; the limits have their own tests
        rate_limit_per_minute=1_000_000,
        rate_limit_service_per_minute=1_000_000,
        rate_limit_anonymous_per_minute=1_000_000,
        login_attempts_per_minute=1_000_000,
        webhook_failures_per_minute=1_000_000,
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    await upgrade_async(settings.database_url)
    rt = Runtime.build(settings)
    if rt.redis is not None:
        await rt.redis.flushdb()
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
async def server(settings: Settings, runtime: Runtime, port: int) -> AsyncIterator[str]:
    async with served(create_app(settings, runtime=runtime), port, lifespan="on"):
        yield settings.public_url


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        yield http


def bearer(sub: str, role: str = "user", orgs: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(TEST_SECRET, sub, role=role, orgs=orgs)}"}


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer("admin-1", role="admin")


@pytest.fixture(scope="session")
async def service_key(runtime: Runtime) -> dict[str, str]:
    _, key = await create_api_key(runtime.db, "main-backend")
    return {"X-API-Key": key}


def unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(6).hex()}"


async def make_tariff(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Pro", "amount": 5_000_000, "currency": "UZS", "duration_days": 30, **fields}
    response = await client.post("/api/v1/tariffs", json=body, headers=bearer("admin-1", "admin"))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class Receiver:
    """A downstream service (a CRM, say) listening on its own port; it can be told to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        self.url = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (a killed worker): nothing was delivered
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status = 200
        if self.fail_next:
            self.fail_next -= 1
            status = 503
        else:
            self.received.append((headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    port = _free_port()
    app.url = f"http://127.0.0.1:{port}/hooks"
    async with served(app, port):
        yield app


@pytest.fixture(autouse=True)
def _fast_pieces(request: pytest.FixtureRequest) -> None:
    """A test about a piece of kassa.fast itself (`@pytest.mark.fast("batch")`) is skipped
    when FAST_PATHS, which this suite's kassa reads as any kassa does, turns it off; every
    other test runs either way and must pass either way."""
    marker = request.node.get_closest_marker("fast")
    if marker is None:
        return
    off = set(marker.args) - switch.parse(os.environ.get("FAST_PATHS", "on"))
    if off:
        pytest.skip(f"about {', '.join(sorted(off))}, which FAST_PATHS turns off")


@pytest.fixture(autouse=True)
def _lock_order(request: pytest.FixtureRequest) -> Any:
    """On PostgreSQL every test's transactions keep the lock order (tests/lock_order.py):
    a test that breaks it fails, naming the statement."""
    on_purpose = request.node.get_closest_marker("breaks_lock_order") is not None
    if not os.environ.get("KASSA_TEST_DATABASE_URL") or on_purpose:
        yield
        return
    from tests.lock_order import LockOrder

    watch = LockOrder()
    watch.watch()
    try:
        yield
    finally:
        watch.stop()
    if watch.broken:
        pytest.fail("lock order broken (docs/architecture.md):\n" + "\n".join(watch.broken))
