"""Running the official `yookassa` SDK safely inside an async, multi-shop service.

The SDK is synchronous, keeps its credentials in process-global class attributes and sends
requests without a timeout. kassa keeps the SDK's request building, validation and response
objects, but gives each call its own credentials and a timeout: the SDK's `ApiClient` is
replaced (in the SDK modules kassa uses) by a subclass that reads them from a context
variable set for that one call, which runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import yookassa.payment
import yookassa.receipt
import yookassa.refund
from yookassa import Configuration
from yookassa.client import ApiClient

from kassa.providers.base import ProviderFailure

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ShopAccess:
    shop_id: str
    secret_key: str
    api_url: str
    timeout: float


_ACCESS: ContextVar[ShopAccess | None] = ContextVar("kassa_yookassa_access", default=None)


class PerCallApiClient(ApiClient):  # type: ignore[misc]
    """The SDK's client with the calling shop's credentials and a request timeout."""

    def __init__(self) -> None:
        super().__init__()
        access = _ACCESS.get()
        if access is None:
            raise RuntimeError("YooKassa called outside kassa's adapter")
        self.shop_id = access.shop_id
        self.shop_password = access.secret_key
        self.endpoint = access.api_url
        self.request_timeout = access.timeout

    def execute(
        self, body: Any, method: str, path: str, query_params: Any, request_headers: Any
    ) -> Any:
        session = self.get_session()
        try:
            return session.request(
                method,
                self.endpoint + path,
                params=query_params,
                headers=request_headers,
                json=body,
                timeout=self.request_timeout,
            )
        finally:
            session.close()


# The SDK builds its ApiClient inside each call; these are the modules kassa calls through.
yookassa.payment.ApiClient = PerCallApiClient
yookassa.refund.ApiClient = PerCallApiClient
yookassa.receipt.ApiClient = PerCallApiClient
Configuration.configure("unused", "unused")  # the SDK insists on a global configuration


async def call(access: ShopAccess, action: str, fn: Callable[[], T]) -> T:
    """Run one SDK call in a thread with this shop's credentials; every failure becomes a
    ProviderFailure (the SDK surfaces a refused connection as AttributeError)."""

    def run() -> T:
        _ACCESS.set(access)
        return fn()

    try:
        return await asyncio.wait_for(asyncio.to_thread(run), timeout=access.timeout + 1)
    except TimeoutError as exc:
        raise ProviderFailure(f"YooKassa {action}: timed out") from exc
    except Exception as exc:
        raise _failure(exc, action, access.api_url) from exc


def _failure(exc: Exception, action: str, api_url: str) -> ProviderFailure:
    from yookassa.domain.exceptions import (
        ApiError,
        BadRequestError,
        ForbiddenError,
        NotFoundError,
        UnauthorizedError,
    )

    if isinstance(exc, BadRequestError | ForbiddenError | UnauthorizedError | NotFoundError):
        content = getattr(exc, "args", [{}])[0] if exc.args else {}
        detail = content.get("description") if isinstance(content, dict) else None
        return ProviderFailure(
            f"YooKassa {action}: {detail or 'YooKassa refused the request'}"[:300],
            retryable=False,
            created_nothing=True,
            code=f"yookassa_{type(exc).__name__}",
        )
    if isinstance(exc, ApiError):
        return ProviderFailure(f"YooKassa {action}: the YooKassa API answered with an error")
    unreachable = isinstance(exc, ConnectionError | AttributeError | OSError)
    return ProviderFailure(
        f"YooKassa {action}: could not reach the YooKassa API at {api_url}"
        if unreachable
        else f"YooKassa {action}: an answer kassa could not read",
        created_nothing=unreachable,
    )
