"""What every provider emulator shares: fault switches, the checkout page, callbacks.

An emulator is a FastAPI sub-app with its own state (never kassa's tables). Its fault
switches let tests and benchmarks play a provider's bad day: slow answers, 5xx errors,
and callbacks delivered twice or out of order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from kassa.core.settings import Settings
from kassa.sandbox import amounts

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


def money(amount: int, currency: str) -> str:
    """An amount on the sandbox pages as the admin writes it ("50 000,00 UZS", "12.50 USD"):
    the emulators keep amounts as their providers do, and show them the one way kassa does."""
    return amounts.shown(amount, currency)


Tone = Literal["success", "error", "info"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the checkout page says after Pay or Decline (or when it is opened again):
    `tone` colours it (a decline is an error, never a green box), and `retry` keeps Pay and
    Decline on the page when the provider lets the customer try again (Stripe leaves a
    declined PaymentIntent open for another card)."""

    text: str
    tone: Tone = "success"
    retry: bool = False


def checkout_page(
    request: Request,
    *,
    provider: str,
    title: str,
    amount: str,
    reference: str,
    note: str | None = None,
    result: Outcome | None = None,
    return_url: str | None = None,
    status_code: int = 200,
    name: str | None = None,
) -> HTMLResponse:
    """The sandbox payment page: Pay and Decline post `action=…` back to the same URL.
    `name`: the provider as it writes itself, when not its code capitalised."""
    return TEMPLATES.TemplateResponse(
        request,
        "checkout.html",
        {
            "provider": name or provider.capitalize(),
            "title": title,
            "amount": amount,
            "reference": reference,
            "note": note,
            "result": result,
            "return_url": return_url if return_url and return_url.startswith("http") else None,
        },
        status_code=status_code,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """One payment on an emulator's index page, in the emulator's own words."""

    reference: str
    amount: str  # as `money` writes it
    status: str
    page: str | None = None  # its checkout page, under the emulator, while it can be paid
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Control:
    """One of the emulator's controls (`_…`: no provider's API has them) and what it does."""

    method: str
    path: str
    does: str


def fault_controls() -> list[Control]:
    return [
        Control("GET", "/_faults", "the fault switches as they stand"),
        Control(
            "PUT",
            "/_faults",
            "switch faults on: delay_ms, fail_status, fail_times, fail_method, lose_answers, "
            "duplicate_callbacks, reverse_callbacks ({} switches them off)",
        ),
    ]


def index_page(
    request: Request,
    *,
    provider: str,
    about: str,
    payments: Sequence[Row],
    controls: Sequence[Control],
    faults: Faults,
    limit: int = 50,
    name: str | None = None,
) -> HTMLResponse:
    """`/sandbox/<provider>/`: the emulator's recent payments (newest first; `payments` in
    the order made) with their checkout pages, and its controls with the faults switched on."""
    base = request.scope.get("root_path", "")
    newest = list(reversed(payments))
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            "provider": provider,
            "name": name or provider.capitalize(),
            "about": about,
            "base": base,
            "origin": f"{request.url.scheme}://{request.url.netloc}",
            "payments": newest[:limit],
            "more": max(0, len(newest) - limit),
            "controls": controls,
            "faults": {k: v for k, v in asdict(faults).items() if v},
        },
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
