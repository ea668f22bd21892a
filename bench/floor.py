"""The floor: the least an HTTP endpoint that records something can do on this machine:
one INSERT and COMMIT per request, in a bare ASGI app under the same uvicorn, same database.
kassa's figures are reported as a ratio to these."""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import text

from kassa.db.session import Database

DATABASE_URL = os.environ["DATABASE_URL"]
_db = Database(DATABASE_URL)


async def _ensure() -> None:
    async with _db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id VARCHAR(40) PRIMARY KEY, "
                                "amount BIGINT NOT NULL)"))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _ensure()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _db.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    async with _db.transaction() as session:
        await session.execute(text("INSERT INTO bench_floor (id, amount) VALUES (:id, :amount)"),
                              {"id": uuid.uuid4().hex, "amount": 100_000})
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})



