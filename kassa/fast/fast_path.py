"""A quicker way into the busiest endpoint: its arguments read straight from the request when
the request is the ordinary kind, FastAPI's dependency solving for every other request.

FastAPI solves an endpoint's parameters anew on each request: it walks the dependency tree,
looks for path, query, header and cookie parameters at every level, computes cache keys and
reads the body through an email parser for its content type; under the create load that
was a fifth of an API worker's time (py-spy, under `make bench`'s create cells). A route
whose endpoint has a reader (`reads_arguments`) asks it first. The reader either returns the
endpoint's arguments, as FastAPI would have solved them, or None; on None FastAPI handles the
request as it always has. A reader says None to anything out of the ordinary (a body that
does not validate, a caller not yet verified, another content type), so every refusal, its
status and its wording still come from FastAPI and kassa's exception handlers alone.

Without the `fast_path` piece of FAST_PATHS (the application's `state.fast_paths`), FastAPI
solves every request: the reader is not asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from kassa.fast import switch

ArgumentReader = Callable[[Request], Awaitable[dict[str, Any] | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])

_READERS: dict[Callable[..., Any], ArgumentReader] = {}


def reads_arguments(reader: ArgumentReader) -> Callable[[Endpoint], Endpoint]:
    """Gives an endpoint (of a router whose route class is `FastPathRoute`, returning a
    Response of its own) a reader of its arguments; applied before the route decorator."""

    def register(endpoint: Endpoint) -> Endpoint:
        _READERS[endpoint] = reader
        return endpoint

    return register


async def json_object(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object when it is sent as application/json, else None (FastAPI
    decides what any other body means)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return None
    try:
        payload = await request.json()  # kept by the request: a fallback reads it again free
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


class FastPathRoute(APIRoute):
    """An APIRoute that calls its endpoint's reader first (FastAPI's documented extension
    point: a custom route class's `get_route_handler`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        solved_by_fastapi = super().get_route_handler()
        reader = _READERS.get(self.endpoint)
        if reader is None:
            return solved_by_fastapi
        unnamed = [d.call for d in self.dependant.dependencies if d.name is None]
        if unnamed:  # a route's or router's `dependencies=[...]`: the reader would skip them
            raise TypeError(f"{self.path}: a fast path cannot run dependencies {unnamed}")
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            pieces = getattr(request.app.state, "fast_paths", switch.ALL)
            if "fast_path" not in pieces:
                return await solved_by_fastapi(request)
            arguments = await reader(request)
            if arguments is None:
                return await solved_by_fastapi(request)
            response: Response = await endpoint(**arguments)
            return response

        return handler
