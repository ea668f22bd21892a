"""A process says at start-up when its PostgreSQL server runs without autovacuum, and a
database that does not answer never holds it up."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import asyncpg
import pytest

from kassa.core.logging import configure_logging
from kassa.db.session import Database
from kassa.runtime import Runtime
from kassa.services.ops import server_advice
from kassa.services.ops.server_advice import AUTOVACUUM_OFF, advise


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("WARNING", json=True, file=buffer)
    yield buffer
    configure_logging("WARNING", json=True)


def said(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_the_log_says_whether_autovacuum_is_off(runtime: Runtime, log_lines: io.StringIO) -> None:
    if runtime.db.dialect != "postgresql":
        assert await advise(runtime.db) == [] and said(log_lines) == []  # SQLite: nothing to ask
        return
    url = runtime.settings.database_url.replace("postgresql+asyncpg", "postgresql")
    server = await asyncpg.connect(url)
    try:
        autovacuum = await server.fetchval("SHOW autovacuum")
    finally:
        await server.close()
    found = await advise(runtime.db)
    warnings = [line for line in said(log_lines) if line["event"] == AUTOVACUUM_OFF]
    if autovacuum == "on":
        assert found == [] and warnings == []
    else:
        assert found == [AUTOVACUUM_OFF]
        assert len(warnings) == 1 and warnings[0]["level"] == "warning"
        assert "ANALYZE" in str(warnings[0]["advice"])


async def test_a_database_that_does_not_answer_is_left_to_readiness(
        monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO) -> None:
    monkeypatch.setattr(server_advice, "ADVICE_SECONDS", 1.0)
    closed = Database("postgresql+asyncpg://postgres@127.0.0.1:9/kassa_nowhere", pool_size=1)
    try:
        started = time.monotonic()
        assert await advise(closed) == []
        assert time.monotonic() - started < 5
    finally:
        await closed.dispose()
    assert [line for line in said(log_lines) if line["level"] == "warning"] == []
