"""Exception handlers: every failure becomes a problem body, never a stack trace."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeout,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.core.logging import describe_exception, get_logger
from kassa.domain.errors import KassaError
from kassa.http.problems import problem

log = get_logger(__name__)

_HTTP_CODES = {
    400: ("validation_error", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Payload too large"),
    415: ("validation_error", "Unsupported media type"),
    422: ("validation_error", "Invalid request"),
    429: ("rate_limited", "Too many requests"),
}


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input (it may hold a secret or be huge)."""
    cleaned = []
    for error in list(errors)[:20]:
        cleaned.append(
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "msg": str(error.get("msg", ""))[:300],
                "type": str(error.get("type", "")),
            }
        )
    return cleaned


# The HTTP status of each of the contract's problem codes.
STATUS_OF_CODE = {
    "validation_error": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "idempotency_key_reused": 422,
    "idempotency_conflict": 409,
    "invalid_state": 409,
    "provider_error": 502,
    "rate_limited": 429,
    "payload_too_large": 413,
    "service_unavailable": 503,
}


async def kassa_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KassaError)
    status = STATUS_OF_CODE.get(exc.code, 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if "retry_after" in exc.extra:
        headers = {"Retry-After": str(exc.extra["retry_after"])}
    return problem(status, exc.code, exc.title, exc.detail, headers=headers)


async def validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _clean_errors(exc.errors())
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:3])
    return problem(
        422, "validation_error", "Invalid request", detail or "invalid request", errors=errors
    )


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # a body that could not be parsed: the contract says 422
        return problem(
            422, "validation_error", "Invalid request", "the request body could not be read"
        )
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem(exc.status_code, code, title, detail, headers=getattr(exc, "headers", None))


# SQLSTATE classes that mean "the database is not there right now", not "bad request":
# 08 connection exception, 57P operator intervention (shutdown, restart), 53 resources.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53")


def _database_unavailable(exc: Exception) -> bool:
    # a connection refused or reset while the database restarts may surface unwrapped
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )
    return isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES)


async def database_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, IntegrityError | DataError):
        log.info("request.rejected_by_database", error=type(exc).__name__, path=request.url.path)
        return problem(
            422,
            "validation_error",
            "Invalid request",
            "the request conflicts with stored data or exceeds a field's limits",
        )
    if _database_unavailable(exc):
        log.error("database.unavailable", error=type(exc).__name__, path=request.url.path)
        return problem(
            503,
            "service_unavailable",
            "Service unavailable",
            "the database is not answering; try again shortly",
            headers={"Retry-After": "5"},
        )
    return await unexpected_error(request, exc)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("request.failed", path=request.url.path, **describe_exception(exc))
    return problem(
        500,
        "internal_error",
        "Internal error",
        "an unexpected error occurred; quote the request id to the operator",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(KassaError, kassa_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(StatementError, database_error)
    app.add_exception_handler(PoolTimeout, database_error)  # every connection busy too long
    app.add_exception_handler(ConnectionError, database_error)  # refused while it restarts
