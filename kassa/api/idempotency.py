"""Running a create endpoint under an Idempotency-Key."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kassa.api.errors import kassa_error
from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.domain.errors import KassaError
from kassa.services.idempotency import (
    DatabaseStore,
    IdempotencyStore,
    RedisStore,
    StoredResponse,
    check_key,
    fingerprint,
)


def store_for(rt: Runtime) -> IdempotencyStore:
    ttl, lock = rt.settings.idempotency_key_ttl, rt.settings.idempotency_lock_seconds
    database = DatabaseStore(rt.db, ttl, lock)
    if rt.redis is not None:
        return RedisStore(rt.redis, database, ttl, lock)
    return database


class Idempotent:
    """Claims the caller's key, runs the handler once, stores and replays its answer.

    The endpoint hands over the runtime and caller it already has: were they dependencies
    of this one too, FastAPI would solve their whole trees a second time on every create
    before finding them cached (a fifth of a create's CPU went to solving dependencies)."""

    def __init__(self, request: Request, key: str | None, body: Any) -> None:
        self.request = request
        self.key = check_key(key) if key is not None else None
        self.body = body

    async def run(
        self,
        rt: Runtime,
        principal: Principal,
        status_code: int,
        handler: Callable[[], Awaitable[BaseModel]],
    ) -> Response:
        if self.key is None:
            return await self._respond(status_code, handler)
        store = store_for(rt)
        fp = fingerprint(self.request.method, self.request.url.path, self.body)
        replay = await store.claim(principal.key, self.key, fp)
        if replay is not None:
            return Response(
                replay.body,
                status_code=replay.status,
                headers={"Idempotent-Replayed": "true"},
                media_type=_media(replay.status),
            )
        try:
            response = await self._respond(status_code, handler)
        except BaseException:
            with contextlib.suppress(Exception):  # if it fails too, the claim's lock runs out
                await store.release(principal.key, self.key)
            raise
        await store.complete(
            principal.key,
            self.key,
            StoredResponse(response.status_code, bytes(response.body).decode()),
        )
        return response

    async def _respond(
        self, status_code: int, handler: Callable[[], Awaitable[BaseModel]]
    ) -> Response:
        try:
            result = await handler()
        except KassaError as exc:
            return await kassa_error(self.request, exc)
        # pydantic's own serialiser writes the JSON JSONResponse would, without the dict
        return Response(
            result.model_dump_json(), status_code=status_code, media_type="application/json"
        )


def _media(status: int) -> str:
    return "application/json" if status < 400 else "application/problem+json"


async def idempotent(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    x_idempotency_key: Annotated[str | None, Header(alias="X-Idempotency-Key")] = None,
) -> Idempotent:
    body: Any = None
    if await request.body():
        try:
            body = await request.json()  # parsed once: FastAPI read the body model from it
        except ValueError:
            body = None
    key = idempotency_key or x_idempotency_key
    if key is None and isinstance(body, dict) and isinstance(body.get("idempotency_key"), str):
        key = body["idempotency_key"]
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "idempotency_key"}
    return Idempotent(request, key, body)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]
