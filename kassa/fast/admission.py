"""How many requests one API process works on at once, and who waits at its door (the
`admission` piece of kassa.fast; without it, no door unless API_CONCURRENCY is set).

Under more clients than a process can serve, requests used to be let in at once and queue
for a database turn with their bodies parsed, their dependencies solved and their
coroutines deep: about 30 KB each, and the arenas they spread over stayed with the process
after the peak (2-3 MB more a process after 256 clients; docs/scaling.md). With a door, at
most `places` requests are at work; the others wait before anything of theirs is built, in
the order they came. A request waiting on the world outside kassa (its provider, a merchant's
server) is not at work: it leaves its place to the next while it waits and takes it back
without queueing. So a slow provider never holds up Payme's and Click's calls or other
clients' reads, and a returning request never waits on newcomers (nothing that holds a
place, a row lock or a database turn ever waits at the door, so no wait can close a cycle).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.core.observability import REQUESTS_WAITING


class Door:
    """At most `places` holders at once (a returning one may briefly make it more);
    the others are let in first come, first served."""

    def __init__(self, places: int) -> None:
        self.places = places
        self.inside = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> None:
        if self.inside < self.places and not self._waiting:
            self.inside += 1
            return
        arrival = asyncio.get_running_loop().create_future()
        self._waiting.append(arrival)
        try:
            await arrival  # the place is handed over with the wake-up (`_let_in`)
        except asyncio.CancelledError:
            if arrival.done() and not arrival.cancelled():
                self.leave()  # let in as it was cancelled: the place goes to the next
            elif arrival in self._waiting:  # (`_let_in` drops a cancelled one it meets)
                self._waiting.remove(arrival)
            raise

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def leave(self) -> None:
        self.inside -= 1
        self._let_in()

    def come_back(self) -> None:
        """A holder back from waiting outside: no queue, or the door could wait on itself."""
        self.inside += 1

    def _let_in(self) -> None:
        while self._waiting and self.inside < self.places:
            arrival = self._waiting.popleft()
            if not arrival.done():
                self.inside += 1
                arrival.set_result(None)


@dataclass(slots=True)
class _Place:
    door: Door
    outside: int = 0  # this request's waits outside under way (several may overlap)
    over: bool = False  # the request has ended (a task it started may still be running)


_PLACE: ContextVar[_Place | None] = ContextVar("kassa_admission_place", default=None)


class Admitted:
    """Holds a place at `door` for the request running in this context (a class, not a
    generator: it runs for every request)."""

    __slots__ = ("door", "place", "token")

    def __init__(self, door: Door) -> None:
        self.door = door

    async def __aenter__(self) -> None:
        await self.door.enter()
        self.place = _Place(self.door)
        self.token = _PLACE.set(self.place)

    async def __aexit__(self, *exc: object) -> None:
        _PLACE.reset(self.token)
        self.place.over = True
        if self.place.outside == 0:  # else the place was given up when it went outside
            self.door.leave()


@asynccontextmanager
async def waiting_outside() -> AsyncIterator[None]:
    """Around a wait on something beyond kassa's process and database (a provider's API, a
    merchant's server): the request's place is someone else's meanwhile. Outside a request
    (a background job) it does nothing."""
    place = _PLACE.get()
    if place is None or place.over:
        yield
        return
    place.outside += 1
    if place.outside == 1:
        place.door.leave()
    try:
        yield
    finally:
        place.outside -= 1
        if place.outside == 0 and not place.over:
            place.door.come_back()


class OutsideTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, each call sent as a wait outside: the providers' APIs, the
    merchants' webhook endpoints."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with waiting_outside():
            return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


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
