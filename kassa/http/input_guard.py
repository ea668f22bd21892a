"""Refuses requests kassa could not store or answer with, before anything parses them:

- text PostgreSQL cannot store, wherever it comes in (path, query, form, JSON): NUL (`%00`,
  `\\u0000`), and in JSON an unpaired surrogate (`"\\ud800"`, which JSON's escapes allow; a URL
  or a form is read as UTF-8 with replacement, so only JSON can make one). Let through, it
  would be a 500 at the first statement that carries it on PostgreSQL, and stored on SQLite
  it would make every later read of the object fail: refused here, both answer alike;
- JSON nested deeper than kassa's objects ever are: Python's parser recurses, and a body of
  100 000 brackets would otherwise end in a RecursionError (a 500) in whichever handler
  reads it first;
- JSON numbers JSON does not have (NaN, Infinity, which Python's parser accepts).

A path holding NUL names nothing (404); anything else is a 422 problem, but a provider's
call is answered in its own protocol with HTTP 200, as its reader answers a body it cannot
read, as its plug-in declares (Payme: JSON-RPC's parse error; Click: "Error in request from
click").

The checks are cheap where it matters: bytes are searched (`%00`, a NUL, `\\u0000`, a
surrogate escape, NaN/Infinity) and a body is parsed here only when one is found; a body with
fewer brackets than the limit cannot be too deep.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.http.problems import problem
from kassa.providers import plugins

MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_FORM = b"application/x-www-form-urlencoded"
_MULTIPART = b"multipart/form-data"
_NO_BODY = ("GET", "HEAD", "OPTIONS", "DELETE")
# what each provider's protocol answers a call it cannot read, with HTTP 200, by the path
# of its calls (the plug-ins that declare one)
_PROTOCOL_REFUSALS: dict[str, dict[str, Any]] = {
    f"/webhooks/{plugin.name}": plugin.unreadable()
    for plugin in plugins.all_plugins()
    if plugin.unreadable is not None
}

NUL_IN_QUERY = "query parameters must not contain NUL (%00)"
NUL_IN_FORM = "form fields must not contain NUL (%00)"
UNSTORABLE_TEXT = "strings must be Unicode without NUL (\\u0000) or unpaired surrogates"
_SUSPECT = re.compile(rb"\\u[dD][89a-fA-F]|\\u0000|\x00|NaN|Infinity")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _storable_text(value: object) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable_text(k) and _storable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable_text(item) for item in value)
    return True


def unstorable(body: bytes) -> str | None:
    """Why a JSON body (already known not too deep) could not be stored, or None."""
    if not _SUSPECT.search(body):
        return None
    if b"\x00" in body:  # never in UTF-8 JSON (RFC 8259): NUL in a string is escaped
        return UNSTORABLE_TEXT
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        if "not a JSON number" in str(exc):
            return "NaN and Infinity are not JSON numbers"
        return None  # not JSON at all: the handler answers that
    if not _storable_text(value):
        return UNSTORABLE_TEXT
    return None


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    outside_strings = _STRING.sub(b"", body)
    steps = (_BRACKETS[b] for b in outside_strings if b in _BRACKETS)
    return max(accumulate(steps, initial=0)) > limit


def body_problem(body: bytes, content_type: bytes) -> str | None:
    """Why a body could not be stored, or None. kassa takes no files, so a multipart body's
    NUL is in a field's text; a urlencoded one's is `%00` (or a NUL sent as it is)."""
    if content_type.startswith(_FORM):
        return NUL_IN_FORM if b"%00" in body or b"\x00" in body else None
    if content_type.startswith(_MULTIPART):
        return NUL_IN_FORM if b"\x00" in body else None
    if too_deep(body):
        return f"JSON may be nested at most {MAX_DEPTH} levels deep"
    return unstorable(body)


def _refusal(path: str, detail: str) -> JSONResponse:
    answer = _PROTOCOL_REFUSALS.get(path)
    if answer is not None:
        return JSONResponse(answer)
    return problem(422, "validation_error", "Invalid request", detail)


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "\x00" in path:  # the server decoded %00: no route or object has such a name
            answer = problem(404, "not_found", "Not found", "nothing is named with NUL (%00)")
            await answer(scope, receive, send)
            return
        query: bytes = scope["query_string"]
        if b"%00" in query or b"\x00" in query:
            await _refusal(path, NUL_IN_QUERY)(scope, receive, send)
            return
        if scope["method"] in _NO_BODY:
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
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        detail = body_problem(body, content_type)
        if detail is not None:
            await _refusal(path, detail)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
