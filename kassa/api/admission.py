"""The door of an API process (kassa.core.admission) as ASGI middleware."""

from __future__ import annotations

import weakref

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.core.admission import Admitted, Door
from kassa.core.observability import REQUESTS_WAITING

# Passed by without a place: probes must answer while the process is busy (an orchestrator
# would restart it), and the sandboxes (development only) are the providers kassa's own
# requests wait on outside, some of which call kassa back before they answer.
PASS_BY = ("/health", "/ready", "/metrics", "/sandbox/")

_DOORS: weakref.WeakSet[Door] = weakref.WeakSet()  # one a process served; tests make more
REQUESTS_WAITING.set_function(lambda: sum(door.waiting for door in _DOORS))


class Admission:
    """A request waits for its whole body first (BodyLimit, outside, bounds it), so a slow
    sender holds no place; then for a place, in arrival order."""

    def __init__(self, app: ASGIApp, places: int) -> None:
        self.app = app
        self.door = Door(places)
        _DOORS.add(self.door)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PASS_BY):
            await self.app(scope, receive, send)
            return
        arrived = [await receive()]
        while arrived[-1]["type"] == "http.request" and arrived[-1].get("more_body", False):
            arrived.append(await receive())
        if arrived[-1]["type"] != "http.request":
            return  # the client left, or its body was refused and answered (BodyLimit)
        pending = iter(arrived)

        async def replayed() -> Message:
            message = next(pending, None)
            return message if message is not None else await receive()

        async with Admitted(self.door):
            await self.app(scope, replayed, send)
