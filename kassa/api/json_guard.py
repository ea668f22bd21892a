"""Refuses JSON bodies kassa could not store or answer with, before anything parses them:

- nested deeper than kassa's objects ever are: Python's parser recurses, and a body of
  100 000 brackets would otherwise end in a RecursionError (a 500) in whichever handler
  reads it first;
- holding a string that is not Unicode (an unpaired surrogate such as "\\ud800", which JSON's
  escapes allow) or a number JSON does not have (NaN, Infinity, which Python's parser
  accepts): stored, either would make every later read of the object fail.

The checks are cheap where it matters: a body with fewer brackets than the limit cannot be
too deep, and only a body with a surrogate escape or a NaN/Infinity token is parsed here.
Form and multipart bodies are left alone: they are not JSON.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.api.problems import problem

MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_JSON = (b"application/x-www-form-urlencoded", b"multipart/form-data")
# Payme's protocol answers everything with HTTP 200 and a JSON-RPC error (-32700: parse error)
_JSON_RPC_PATHS = ("/webhooks/payme",)


_SUSPECT = re.compile(rb"\\u[dD][89a-fA-F]|NaN|Infinity")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _all_unicode(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_all_unicode(k) and _all_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_unicode(item) for item in value)
    return True


def unstorable(body: bytes) -> str | None:
    """Why a body (already known not too deep) could not be stored, or None."""
    if not _SUSPECT.search(body):
        return None
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        if "not a JSON number" in str(exc):
            return "NaN and Infinity are not JSON numbers"
        return None  # not JSON at all: the handler answers that
    if not _all_unicode(value):
        return "strings must be valid Unicode (no unpaired surrogates)"
    return None


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    outside_strings = _STRING.sub(b"", body)
    steps = (_BRACKETS[b] for b in outside_strings if b in _BRACKETS)
    return max(accumulate(steps, initial=0)) > limit


def _refusal(path: str, detail: str) -> JSONResponse:
    if path in _JSON_RPC_PATHS:
        return JSONResponse(
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
        )
    return problem(422, "validation_error", "Invalid body", detail)


class JsonBodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if content_type.startswith(_NOT_JSON):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left (or BodyLimit refused)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if too_deep(body):
            detail: str | None = f"JSON may be nested at most {MAX_DEPTH} levels deep"
        else:
            detail = unstorable(body)
        if detail is not None:
            await _refusal(scope["path"], detail)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
