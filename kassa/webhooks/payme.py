"""POST /webhooks/payme: the Payme Merchant API endpoint (JSON-RPC 2.0, always HTTP 200)."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kassa.core.logging import describe_exception, get_logger
from kassa.core.runtime import Runtime
from kassa.providers.payme import protocol as p
from kassa.providers.payme.protocol import PaymeError
from kassa.services.payme_merchant import PaymeMerchantApi, current_keys
from kassa.webhooks.guard import unverified

router = APIRouter(tags=["webhooks"])
log = get_logger(__name__)
LOGIN = "Paycom"


def _answer(
    request_id: Any, *, result: Any = None, error: PaymeError | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        body["error"] = error.to_json()
    else:
        body["result"] = result
    return JSONResponse(body, status_code=200)


def _credentials(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        return base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


async def _authorised(rt: Runtime, header: str | None) -> bool:
    given = _credentials(header)
    keys = await current_keys(rt)
    # Compare against every key without returning early, so timing says nothing.
    matched = False
    for key in keys:
        expected = f"{LOGIN}:{key}".encode()
        matched |= hmac.compare_digest(expected, (given or "").encode())
    return matched and given is not None


@router.post(
    "/webhooks/payme",
    summary="Payme Merchant API (JSON-RPC 2.0)",
    description="Payme's calls, authenticated with Basic `Paycom:<PAYME_SECRET_KEY>`; "
    "errors travel in the JSON-RPC body with HTTP 200.",
)
async def payme_merchant_api(request: Request) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    try:
        rpc = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _answer(None, error=PaymeError(p.PARSE_ERROR))
    request_id = rpc.get("id") if isinstance(rpc, dict) else None
    if isinstance(request_id, dict | list):
        request_id = None
    if not await _authorised(rt, request.headers.get("authorization")):
        log.warning("payme.unauthorised", client=request.client.host if request.client else None)
        refusal = _answer(request_id, error=PaymeError(p.INSUFFICIENT_PRIVILEGE))
        await unverified(rt, request, "payme", refusal, throttle=False)
        return refusal
    if not isinstance(rpc, dict):
        return _answer(None, error=PaymeError(p.INVALID_REQUEST))
    method, params = rpc.get("method"), rpc.get("params")
    if not isinstance(method, str) or not isinstance(params, dict):
        return _answer(
            request_id,
            error=PaymeError(
                p.INVALID_REQUEST, "method" if not isinstance(method, str) else "params"
            ),
        )
    try:
        result = await PaymeMerchantApi(rt).call(method, params)
    except PaymeError as exc:
        log.info("payme.error", method=method[:60], code=exc.code)
        return _answer(request_id, error=exc)
    except Exception as exc:
        log.error("payme.failed", method=method[:60], **describe_exception(exc))
        return _answer(request_id, error=PaymeError(p.SYSTEM_ERROR))
    log.info("payme.call", method=method)
    return _answer(request_id, result=result)


@router.api_route(
    "/webhooks/payme", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def payme_not_post() -> JSONResponse:
    return _answer(None, error=PaymeError(p.NOT_POST))
