"""`Kassa` and `AsyncKassa`: the same operations, over httpx, with kassa's credentials,
automatic idempotency keys and retries with exponential backoff."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, cast

import httpx

from kassa_client import calls
from kassa_client.calls import Call
from kassa_client.errors import KassaError
from kassa_client.types import Page, Payment, Refund, Subscription, Tariff

RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


def _headers(api_key: str | None, token: str | None) -> dict[str, str]:
    if api_key:
        return {"X-API-Key": api_key}
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {}


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRIED_STATUS:
        return True
    return response.status_code == 409 and _code(response) == "idempotency_conflict"


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""


def _answer(response: httpx.Response) -> Any:
    if response.status_code == 204:
        return None
    if response.is_success:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = {}
    raise KassaError(
        response.status_code,
        str(body.get("code") or "http_error"),
        str(body.get("detail") or response.reason_phrase),
        body,
    )


def _backoff(attempt: int, base: float) -> float:
    return float(base * (2**attempt))


class _Common:
    def __init__(self, retries: int, backoff: float) -> None:
        self.retries = retries
        self.backoff = backoff

    @staticmethod
    def _request(call: Call, key: str | None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        return {
            "method": call.method,
            "url": call.path,
            "json": call.body,
            "params": call.params or None,
            "headers": headers,
        }


class Kassa(_Common):
    """kassa's API, blocking. `api_key`: a service key (acts for any user with `user_id`);
    `token`: a user's or admin's bearer token."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(retries, backoff)
        self.http = http or httpx.Client(
            base_url=base_url, timeout=timeout, headers=_headers(api_key, token)
        )

    def send(self, call: Call, idempotency_key: str | None = None) -> Any:
        key = (idempotency_key or str(uuid.uuid4())) if call.creates else None
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(**self._request(call, key))
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            else:
                if not _retryable(response) or attempt == self.retries:
                    return _answer(response)
            time.sleep(_backoff(attempt, self.backoff))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()

    def tariffs(self, page: int = 1, page_size: int = 20) -> Page[Tariff]:
        return cast(Page[Tariff], self.send(calls.tariffs(page, page_size)))

    def tariff(self, tariff_id: str) -> Tariff:
        return cast(Tariff, self.send(calls.tariff(tariff_id)))

    def create_tariff(self, *, idempotency_key: str | None = None, **fields: Any) -> Tariff:
        return cast(Tariff, self.send(calls.create_tariff(**fields), idempotency_key))

    def purchase(
        self, tariff_id: str, *, idempotency_key: str | None = None, **fields: Any
    ) -> Payment:
        return cast(Payment, self.send(calls.purchase(tariff_id, **fields), idempotency_key))

    def create_payment(self, *, idempotency_key: str | None = None, **fields: Any) -> Payment:
        return cast(Payment, self.send(calls.create_payment(**fields), idempotency_key))

    def payment(self, payment_id: str) -> Payment:
        return cast(Payment, self.send(calls.payment(payment_id)))

    def payments(self, **filters: Any) -> Page[Payment]:
        return cast(Page[Payment], self.send(calls.payments(**filters)))

    def cancel(self, payment_id: str) -> Payment:
        return cast(Payment, self.send(calls.cancel(payment_id)))

    def sync(self, payment_id: str) -> Payment:
        return cast(Payment, self.send(calls.sync(payment_id)))

    def refund(
        self,
        payment_id: str,
        *,
        amount: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        return cast(Refund, self.send(calls.refund(payment_id, amount, reason), idempotency_key))

    def subscriptions(self, **filters: Any) -> Page[Subscription]:
        return cast(Page[Subscription], self.send(calls.subscriptions(**filters)))

    def subscription(self, subscription_id: str) -> Subscription:
        return cast(Subscription, self.send(calls.subscription(subscription_id)))

    def change_subscription(self, subscription_id: str, **fields: Any) -> Subscription:
        call = calls.change_subscription(subscription_id, **fields)
        return cast(Subscription, self.send(call))

    def cancel_subscription(
        self, subscription_id: str, *, at_period_end: bool = True
    ) -> Subscription:
        call = calls.cancel_subscription(subscription_id, at_period_end)
        return cast(Subscription, self.send(call))

    def portal_session(
        self,
        *,
        user_id: str | None = None,
        return_url: str | None = None,
        language: str | None = None,
    ) -> dict[str, str]:
        """A signed link to the customer portal; `language` "en" or "ru" (else the browser's)."""
        call = calls.portal_session(user_id, return_url, language)
        return cast(dict[str, str], self.send(call))


class AsyncKassa(_Common):
    """kassa's API for asyncio; the same operations as `Kassa`, awaited."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(retries, backoff)
        self.http = http or httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=_headers(api_key, token)
        )

    async def send(self, call: Call, idempotency_key: str | None = None) -> Any:
        key = (idempotency_key or str(uuid.uuid4())) if call.creates else None
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.request(**self._request(call, key))
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            else:
                if not _retryable(response) or attempt == self.retries:
                    return _answer(response)
            await asyncio.sleep(_backoff(attempt, self.backoff))
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def tariffs(self, page: int = 1, page_size: int = 20) -> Page[Tariff]:
        return cast(Page[Tariff], await self.send(calls.tariffs(page, page_size)))

    async def tariff(self, tariff_id: str) -> Tariff:
        return cast(Tariff, await self.send(calls.tariff(tariff_id)))

    async def create_tariff(self, *, idempotency_key: str | None = None, **fields: Any) -> Tariff:
        return cast(Tariff, await self.send(calls.create_tariff(**fields), idempotency_key))

    async def purchase(
        self, tariff_id: str, *, idempotency_key: str | None = None, **fields: Any
    ) -> Payment:
        call = calls.purchase(tariff_id, **fields)
        return cast(Payment, await self.send(call, idempotency_key))

    async def create_payment(self, *, idempotency_key: str | None = None, **fields: Any) -> Payment:
        return cast(Payment, await self.send(calls.create_payment(**fields), idempotency_key))

    async def payment(self, payment_id: str) -> Payment:
        return cast(Payment, await self.send(calls.payment(payment_id)))

    async def payments(self, **filters: Any) -> Page[Payment]:
        return cast(Page[Payment], await self.send(calls.payments(**filters)))

    async def cancel(self, payment_id: str) -> Payment:
        return cast(Payment, await self.send(calls.cancel(payment_id)))

    async def sync(self, payment_id: str) -> Payment:
        return cast(Payment, await self.send(calls.sync(payment_id)))

    async def refund(
        self,
        payment_id: str,
        *,
        amount: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        call = calls.refund(payment_id, amount, reason)
        return cast(Refund, await self.send(call, idempotency_key))

    async def subscriptions(self, **filters: Any) -> Page[Subscription]:
        return cast(Page[Subscription], await self.send(calls.subscriptions(**filters)))

    async def subscription(self, subscription_id: str) -> Subscription:
        return cast(Subscription, await self.send(calls.subscription(subscription_id)))

    async def change_subscription(self, subscription_id: str, **fields: Any) -> Subscription:
        call = calls.change_subscription(subscription_id, **fields)
        return cast(Subscription, await self.send(call))

    async def cancel_subscription(
        self, subscription_id: str, *, at_period_end: bool = True
    ) -> Subscription:
        call = calls.cancel_subscription(subscription_id, at_period_end)
        return cast(Subscription, await self.send(call))

    async def portal_session(
        self,
        *,
        user_id: str | None = None,
        return_url: str | None = None,
        language: str | None = None,
    ) -> dict[str, str]:
        """A signed link to the customer portal; `language` "en" or "ru" (else the browser's)."""
        call = calls.portal_session(user_id, return_url, language)
        return cast(dict[str, str], await self.send(call))
