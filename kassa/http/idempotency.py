"""Running a create endpoint under an Idempotency-Key."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kassa.core.security import Principal
from kassa.domain.errors import IdempotencyConflict, IdempotencyKeyReused, KassaError
from kassa.http.errors import kassa_error
from kassa.runtime import Runtime
from kassa.services.ops.idempotency import (
    DatabaseStore,
    IdempotencyStore,
    KeptAnswer,
    RedisStore,
    Replayed,
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
            return _replay(replay)
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

    async def run_kept(
        self,
        rt: Runtime,
        principal: Principal,
        status_code: int,
        handler: Callable[[KeptAnswer | None], Awaitable[Any]],
        render: Callable[[Any], str],
    ) -> Response:
        """`run` for a create that may write its key's answer with its own statement
        (`KeptAnswer`): then nothing is claimed or stored around it. `render` is the body of
        the answer to what the handler created."""
        if self.key is None:
            try:
                created = await handler(None)
            except KassaError as exc:
                return await kassa_error(self.request, exc)
            return Response(render(created), status_code=status_code, media_type=_JSON)
        store = store_for(rt)
        fp = fingerprint(self.request.method, self.request.url.path, self.body)
        ttl = timedelta(seconds=rt.settings.idempotency_key_ttl)
        keeper = KeptAnswer(rt.db, store, principal.key, self.key, fp, ttl, status_code, render)
        try:
            created = await handler(keeper)
        except Replayed as repeat:
            return _replay(repeat.stored)
        except (IdempotencyKeyReused, IdempotencyConflict):
            raise  # about the key, not an answer to keep under it
        except KassaError as exc:
            refusal = await kassa_error(self.request, exc)
            answer = StoredResponse(refusal.status_code, bytes(refusal.body).decode())
            if keeper.claimed:
                await store.complete(principal.key, self.key, answer)
                return refusal
            kept = await keeper.keep_late(answer)
            return refusal if kept is answer else _replay(kept)
        except BaseException:
            if keeper.claimed:
                with contextlib.suppress(Exception):  # if it fails too, the lock runs out
                    await store.release(principal.key, self.key)
            raise
        if keeper.answer is not None:  # written with the create
            return Response(keeper.answer.body, status_code=status_code, media_type=_JSON)
        body = render(created)
        if not keeper.claimed:
            # Neither written with the create nor claimed: a payment found already made
            # under the key (its answer in the store, from before it was kept with them).
            replay = await store.claim(principal.key, self.key, fp)
            if replay is not None:
                return _replay(replay)
        await store.complete(principal.key, self.key, StoredResponse(status_code, body))
        return Response(body, status_code=status_code, media_type=_JSON)

    async def _respond(
        self, status_code: int, handler: Callable[[], Awaitable[BaseModel]]
    ) -> Response:
        try:
            result = await handler()
        except KassaError as exc:
            return await kassa_error(self.request, exc)
        # pydantic's own serialiser writes the JSON JSONResponse would, without the dict
        return Response(result.model_dump_json(), status_code=status_code, media_type=_JSON)


_JSON = "application/json"


def _replay(stored: StoredResponse) -> Response:
    media = _JSON if stored.status < 400 else "application/problem+json"
    return Response(
        stored.body,
        status_code=stored.status,
        headers={"Idempotent-Replayed": "true"},
        media_type=media,
    )


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
    return idempotent_for(request, idempotency_key or x_idempotency_key, body)


def key_headers(request: Request) -> str | None:
    """The key as `idempotent` reads it from the headers."""
    return request.headers.get("idempotency-key") or request.headers.get("x-idempotency-key")


def idempotent_for(request: Request, key: str | None, body: Any) -> Idempotent:
    """A request's key (a header's, else its body's `idempotency_key`) and the body its
    fingerprint covers (all of it but that key)."""
    if key is None and isinstance(body, dict) and isinstance(body.get("idempotency_key"), str):
        key = body["idempotency_key"]
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "idempotency_key"}
    return Idempotent(request, key, body)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]
