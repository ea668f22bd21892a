"""The Payme Subscribe API client: cards.* and receipts.* over JSON-RPC with X-Auth.

Card methods a browser may call carry `X-Auth: <merchant id>`; cards.check, cards.remove and
every receipts.* method are server-side and carry `X-Auth: <merchant id>:<key>`.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from kassa.providers.base import ProviderFailure

FRONT_END_METHODS = frozenset({"cards.create", "cards.get_verify_code", "cards.verify"})

# Receipt states (Payme's table): 4 paid, 50 cancelled; 0-3, 5, 6, 20, 21, 30 are on the way.
RECEIPT_PAID = 4
RECEIPT_CANCELLED = 50
RECEIPT_CANCEL_QUEUED = frozenset({20, 21})  # paused, and queued for cancellation


class PaymeApiError(ProviderFailure):
    """Payme answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str, *, method: str) -> None:
        # Errors before any debit (bad token, card refused) left nothing at Payme.
        nothing_done = method != "receipts.pay" or code in (-31400, -31300, -31301, -31303, -31630)
        super().__init__(
            f"Payme {method}: {message} ({code})",
            retryable=code in (-31002, -31302, -32400),
            created_nothing=nothing_done,
            code=f"payme_{abs(code)}",
        )
        self.payme_code = code


class SubscribeClient:
    def __init__(self, http: httpx.AsyncClient, url: str, merchant_id: str, key: str) -> None:
        self.http = http
        self.url = url
        self.merchant_id = merchant_id
        self.key = key

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A method whose `result` is an object (every one but receipts.get_all)."""
        result = await self._result(method, params)
        if not isinstance(result, dict):
            raise ProviderFailure(f"Payme {method}: no result in the answer")
        return result

    async def _result(self, method: str, params: dict[str, Any]) -> object:
        auth = self.merchant_id if method in FRONT_END_METHODS else f"{self.merchant_id}:{self.key}"
        try:
            response = await self.http.post(
                self.url,
                json={"id": secrets.randbelow(10**9), "method": method, "params": params},
                headers={"X-Auth": auth},
            )
        except httpx.TimeoutException as exc:
            raise ProviderFailure(f"Payme {method}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderFailure(
                f"Payme {method}: could not reach the Payme Subscribe API at {self.url}",
                created_nothing=isinstance(exc, httpx.ConnectError),
            ) from exc
        if response.status_code >= 500:
            raise ProviderFailure(f"Payme {method}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderFailure(f"Payme {method}: an answer that is not JSON") from exc
        if not isinstance(body, dict):
            raise ProviderFailure(f"Payme {method}: an answer that is not a JSON-RPC object")
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            if isinstance(message, dict):
                message = message.get("en") or message.get("ru")
            raise PaymeApiError(int(error.get("code", -32400)), str(message)[:200], method=method)
        return body.get("result")

    async def card_create(self, number: str, expire: str, *, save: bool = True) -> dict[str, Any]:
        """Normally called by the shop's card form in the browser; here for back-office use."""
        params = {"card": {"number": number, "expire": expire}, "save": save}
        card: dict[str, Any] = (await self.call("cards.create", params))["card"]
        return card

    async def card_send_code(self, token: str) -> dict[str, Any]:
        return await self.call("cards.get_verify_code", {"token": token})

    async def card_verify(self, token: str, code: str) -> dict[str, Any]:
        card: dict[str, Any] = (await self.call("cards.verify", {"token": token, "code": code}))[
            "card"
        ]
        return card

    async def card_check(self, token: str) -> dict[str, Any]:
        card: dict[str, Any] = (await self.call("cards.check", {"token": token}))["card"]
        return card

    async def card_remove(self, token: str) -> None:
        await self.call("cards.remove", {"token": token})

    async def receipt_create(
        self,
        amount: int,
        account: dict[str, str],
        description: str | None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"amount": amount, "account": account}
        if description:
            params["description"] = description[:200]
        if detail is not None:
            params["detail"] = detail  # the fiscal lines, as in CheckPerformTransaction
        receipt: dict[str, Any] = (await self.call("receipts.create", params))["receipt"]
        return receipt

    async def receipt_pay(self, receipt_id: str, token: str) -> dict[str, Any]:
        receipt: dict[str, Any] = (
            await self.call("receipts.pay", {"id": receipt_id, "token": token})
        )["receipt"]
        return receipt

    async def receipt_cancel(self, receipt_id: str) -> dict[str, Any]:
        receipt: dict[str, Any] = (await self.call("receipts.cancel", {"id": receipt_id}))[
            "receipt"
        ]
        return receipt

    async def receipt_send(self, receipt_id: str, phone: str) -> None:
        await self.call("receipts.send", {"id": receipt_id, "phone": phone})

    async def receipts_between(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Every receipt created in the window: receipts.get_all, 50 a page (its maximum).

        Its `result` is the list of receipts itself, not an object holding one: Payme's
        page for receipts.get_all shows `"result": [{"_id": …}, …]`, payme-pkg types it
        `GetAllResponse.result: list[Receipt]` and its self-test against Payme's test
        server asserts `isinstance(get_all_response.result, list)`.
        """
        found: list[dict[str, Any]] = []
        while True:
            batch = await self._result(
                "receipts.get_all",
                {"count": 50, "from": start_ms, "to": end_ms, "offset": len(found)},
            )
            if not isinstance(batch, list) or not all(isinstance(r, dict) for r in batch):
                raise ProviderFailure("Payme receipts.get_all: no list of receipts in the answer")
            found.extend(batch)
            if len(batch) < 50:
                return found

    async def receipt_get(self, receipt_id: str) -> dict[str, Any]:
        receipt: dict[str, Any] = (await self.call("receipts.get", {"id": receipt_id}))["receipt"]
        return receipt
