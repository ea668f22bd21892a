"""What every provider emulator shares: fault switches, the checkout page, callbacks.

An emulator is a FastAPI sub-app with its own state (never kassa's tables). Its fault
switches let tests and benchmarks play a provider's bad day: slow answers, 5xx errors,
and callbacks delivered twice or out of order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from kassa.core.settings import Settings

if TYPE_CHECKING:
    import aiohttp

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass(slots=True)
class EmulatorContext:
    """All an emulator gets of kassa: the settings (its credentials, kassa's public URL) and
    a way to call kassa, as the provider would. Nothing of kassa's database, services or
    providers: the emulator keeps its own state and parsers."""

    settings: Settings
    # Callbacks in flight at once, for all emulators of a process: a burst of callbacks
    # leaves 8 at a time. The bound changes only how fast callbacks leave, not which, how
    # often or in what order (none of which Stripe or YooKassa promise).
    callbacks: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    async def call_kassa(
        self, url: str, *, body: bytes | Mapping[str, str], headers: Mapping[str, str]
    ) -> KassaAnswer:
        """One request to kassa (a webhook, a Merchant API call; `body` a mapping is a
        form). Sent with aiohttp: the emulators stand in for the providers' own servers
        and share the process with the kassa they call, so what their calls cost is kept
        small: a Stripe webhook sent through httpx (whose pool polls every kept connection
        on every request) was a fifth of the renewal bench's API process, ~0.5 ms of CPU a
        renewal more than through aiohttp (bench/renewals.py)."""
        import aiohttp  # here: a kassa without its sandboxes never loads it (~8 MB a process)

        session = self._session
        if session is None or session.closed:
            timeout = aiohttp.ClientTimeout(total=self.settings.provider_timeout_seconds)
            session = self._session = aiohttp.ClientSession(timeout=timeout)
        async with session.post(url, data=body, headers=headers) as response:
            return KassaAnswer(response.status, await response.read())

    async def aclose(self) -> None:
        """Closes the connections to kassa (when the app stops)."""
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass(frozen=True, slots=True)
class KassaAnswer:
    """kassa's answer to an emulator's call, as the provider reads it."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Faults:
    delay_ms: int = 0  # before every answer and every callback
    fail_status: int = 0  # answer the provider API with this status (e.g. 503)
    fail_times: int = 0  # …this many times, then recover (0: until switched off)
    fail_method: str = ""  # …only for this API method or path (empty: every call)
    lose_answers: bool = False  # do the work, then fail: the provider acted, kassa never heard
    duplicate_callbacks: bool = False  # send every callback twice, concurrently
    reverse_callbacks: bool = False  # deliver a batch of callbacks newest first

    async def delay(self) -> None:
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)

    def take_failure(self, method: str | None = None) -> int | None:
        """The status to fail this API call with, if a failure is switched on."""
        if not self.fail_status or (self.fail_method and method != self.fail_method):
            return None
        if self.fail_times:
            self.fail_times -= 1
            if self.fail_times == 0:
                status, self.fail_status = self.fail_status, 0
                return status
        return self.fail_status


class FaultSwitches(BaseModel):
    delay_ms: int = Field(default=0, ge=0, le=60_000)
    fail_status: int = Field(default=0, ge=0, le=599)
    fail_times: int = Field(default=0, ge=0, le=1000)
    fail_method: str = Field(default="", max_length=100)
    lose_answers: bool = False
    duplicate_callbacks: bool = False
    reverse_callbacks: bool = False


def fault_router(faults: Faults) -> APIRouter:
    """GET/PUT /_faults on every emulator."""
    router = APIRouter()

    @router.get("/_faults")
    async def read_faults() -> dict[str, Any]:
        return asdict(faults)

    @router.put("/_faults")
    async def set_faults(switches: FaultSwitches) -> dict[str, Any]:
        for name, value in switches.model_dump().items():
            setattr(faults, name, value)
        return asdict(faults)

    return router


def checkout_page(
    request: Request,
    *,
    provider: str,
    title: str,
    amount: str,
    reference: str,
    note: str | None = None,
    result: str | None = None,
    return_url: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The sandbox payment page: Pay and Decline post `action=…` back to the same URL."""
    return TEMPLATES.TemplateResponse(
        request,
        "checkout.html",
        {
            "provider": provider,
            "title": title,
            "amount": amount,
            "reference": reference,
            "note": note,
            "result": result,
            "return_url": return_url if return_url and return_url.startswith("http") else None,
        },
        status_code=status_code,
    )


def later(tasks: set[asyncio.Task[Any]], coro: Any) -> None:
    """Send a callback after the API has answered, as providers do; the task is kept in
    `tasks` until done so it is not collected half-way."""
    task = asyncio.create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def new_emulator(name: str, faults: Faults) -> FastAPI:
    app = FastAPI(title=f"{name} sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(fault_router(faults))
    return app


async def read_action(request: Request) -> str | None:
    form = await request.form()
    action = form.get("action")
    return action if action in ("pay", "decline") else None


def json_error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)
