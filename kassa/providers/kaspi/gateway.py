"""The Kaspi gateway kassa talks to (KASPI_API_URL, `Authorization: Bearer <token>`).

The surface of the proxy service kassa replaces: `GET {base}/{create|status|refund|cancel}/`
with query parameters, answering `{"status": true, "data": {...}}`, or `{"status": false,
"data": {"errors": {code: message}}}`. Amounts are tenge with two decimals; kassa converts
from tiyn exactly. `status/` also finds a payment by kassa's own reference, so a create
whose answer was lost is found again rather than repeated (the customer would get a
second push). A different gateway shape is a change to this one file.
"""

from __future__ import annotations

from typing import Any

import httpx

from kassa.money import to_decimal_string
from kassa.providers.base import ProviderFailure


class KaspiGateway:
    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str, timeout: float) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    async def _get(
        self, action: str, params: dict[str, str], *, creates: bool = False
    ) -> dict[str, Any]:
        try:
            response = await self.http.get(
                f"{self.base}/{action}/",
                params=params,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.TimeoutException as exc:
            raise ProviderFailure(f"Kaspi {action}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderFailure(
                f"Kaspi {action}: {type(exc).__name__}",
                created_nothing=creates and isinstance(exc, httpx.ConnectError),
            ) from exc
        if response.status_code in (401, 403):
            raise ProviderFailure(
                f"Kaspi {action}: the gateway refused kassa's token",
                retryable=False,
                created_nothing=True,
                code="kaspi_unauthorized",
            )
        if response.status_code >= 500:
            raise ProviderFailure(f"Kaspi {action}: HTTP {response.status_code}")
        if not response.content.strip() and action == "refund":
            return {}  # production refunds may answer with an empty body: success
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderFailure(f"Kaspi {action}: an answer that is not JSON") from exc
        if not isinstance(body, dict):
            raise ProviderFailure(f"Kaspi {action}: an unexpected answer")
        data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
        if body.get("status") is not True and body.get("success") is not True:
            errors = data.get("errors") if isinstance(data, dict) else None
            text = (
                "; ".join(f"{v} (code: {k})" for k, v in errors.items())
                if isinstance(errors, dict)
                else "refused"
            )
            raise ProviderFailure(
                f"Kaspi {action}: {text}"[:300],
                retryable=False,
                created_nothing=creates,
                code="kaspi_refused",
            )
        return data

    async def create(
        self,
        *,
        phone: str,
        amount: int,
        message: str,
        organization_bin: str,
        device_token: str | None,
        reference: str,
    ) -> dict[str, Any]:
        params = {
            "phone": phone,
            "amount": to_decimal_string(amount, "KZT"),
            "message": message[:200],
            "organizationBin": organization_bin,
            "externalRef": reference,
        }
        if device_token:
            params["deviceToken"] = device_token
        return await self._get("create", params, creates=True)

    async def status(self, *, external_id: str | None, reference: str) -> dict[str, Any]:
        params = {"externalId": external_id} if external_id else {"externalRef": reference}
        return await self._get("status", params)

    async def refund(
        self, *, external_id: str, amount: int, organization_bin: str, device_token: str | None
    ) -> dict[str, Any]:
        params = {
            "externalId": external_id,
            "amount": to_decimal_string(amount, "KZT"),
            "organizationBin": organization_bin,
        }
        if device_token:
            params["deviceToken"] = device_token
        return await self._get("refund", params)

    async def cancel(
        self, *, external_id: str, organization_bin: str, device_token: str | None
    ) -> dict[str, Any]:
        params = {"externalId": external_id, "organizationBin": organization_bin}
        if device_token:
            params["deviceToken"] = device_token
        return await self._get("cancel", params)
