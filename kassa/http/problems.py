"""RFC 9457 problem responses for every error kassa answers with."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from kassa.core.context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://kassa.dev/problems/"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"content": _PROBLEM_CONTENT, "description": text}
    for code, text in {
        401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict",
        413: "Payload too large", 422: "Invalid request", 429: "Rate limited",
        502: "Provider error",
    }.items()
}  # fmt: skip


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    texts = {
        400: "Unauthentic or malformed",
        403: "Sender not allowed",
        429: "Rate limited",
        503: "Provider unavailable; retry",
    }
    return {
        code: {"content": _PROBLEM_CONTENT, "description": texts.get(code, "Error")}
        for code in codes
    }
