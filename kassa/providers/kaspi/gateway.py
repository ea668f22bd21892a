"""The Kaspi gateway kassa talks to (KASPI_API_URL, token KASPI_ACCESS_TOKEN).

The surface of the proxy the replaced Kaspi service used (its public client,
alekenov/figma-product-catalog `payment-service/kaspi_client.py`): `GET {base}/create/`,
`/status/` and `/refund/` with query parameters and the token as `access_token` in every
query, answering `{"status": true, "data": {...}}` or `{"status": false, "data":
{"errors": {code: message}}}`; a production refund may answer with an empty body. Nothing
else: no cancel, no look-up by a reference of kassa's. Amounts are whole tenge (kassa
refuses anything else before calling). A different gateway shape is a change to this file.
"""

from __future__ import annotations

from typing import Any

import httpx

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
                params={**params, "access_token": self.token},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise ProviderFailure(f"Kaspi {action}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderFailure(
                f"Kaspi {action}: could not reach the Kaspi gateway at {self.base}",
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
    ) -> dict[str, Any]:
        params = {
            "phone": phone,
            "amount": whole_tenge(amount),
            "message": message[:200],
            "organizationBin": organization_bin,
        }
        if device_token:
            params["deviceToken"] = device_token
        return await self._get("create", params, creates=True)

    async def status(self, *, external_id: str) -> dict[str, Any]:
        return await self._get("status", {"externalId": external_id})

    async def refund(
        self, *, external_id: str, amount: int, organization_bin: str, device_token: str | None
    ) -> dict[str, Any]:
        params = {
            "externalId": external_id,
            "amount": whole_tenge(amount),
            "organizationBin": organization_bin,
        }
        if device_token:
            params["deviceToken"] = device_token
        return await self._get("refund", params)


def whole_tenge(tiyn: int) -> str:
    """Tiyn as the gateway's whole tenge ("1500"); callers have refused anything else."""
    if tiyn % 100:
        raise ValueError(f"{tiyn} tiyn is not a whole number of tenge")
    return str(tiyn // 100)
