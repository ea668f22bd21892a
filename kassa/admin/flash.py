"""The message a page shows after a form (`Tariff created.`): composed by the admin and
carried in the redirect's address with a signature and its time. A page shows only a
message signed here in the last minutes: a link that anyone can write (`?msg=Your account
is locked, call …&error=1`) would otherwise lend its text the admin's own red box."""

from __future__ import annotations

import hashlib
import hmac
import time
from contextvars import ContextVar
from urllib.parse import urlencode

from fastapi import Request

LIFETIME_SECONDS = 300  # a redirect is followed at once; a bookmarked message expires
MAX_CHARS = 300
_KEY: ContextVar[bytes | None] = ContextVar("kassa_admin_flash_key", default=None)


def _key_of(request: Request) -> bytes:
    """A key of its own, derived from SECRET_KEY: a message signature is never a token's."""
    secret: str = request.app.state.runtime.settings.signing_key
    return hmac.new(secret.encode(), b"kassa-admin-flash", hashlib.sha256).digest()


async def bind_key(request: Request) -> None:
    """Router dependency: the key this request's messages are signed with (`query`)."""
    _KEY.set(_key_of(request))


def _signature(key: bytes, at: str, error: bool, message: str) -> str:
    signed = f"{at}\n{int(error)}\n{message}".encode()
    return hmac.new(key, signed, hashlib.sha256).hexdigest()[:32]


def query(message: str, error: bool = False) -> str:
    """`msg=…&t=…&sig=…` (and `error=1`) for a redirect; empty when no key is bound."""
    key = _KEY.get()
    if key is None:
        return ""
    message = message[:MAX_CHARS]
    at = str(int(time.time()))
    fields = {"msg": message, **({"error": "1"} if error else {}), "t": at}
    fields["sig"] = _signature(key, at, error, message)
    return urlencode(fields)


def read(request: Request) -> tuple[str | None, bool]:
    """The message to show and whether it is an error: none unless signed here, lately."""
    params = request.query_params
    message, at, given = params.get("msg"), params.get("t", ""), params.get("sig", "")
    if not message or not at.isdigit() or abs(time.time() - int(at)) > LIFETIME_SECONDS:
        return None, False
    error = params.get("error") == "1"
    expected = _signature(_key_of(request), at, error, message)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return None, False
    return message, error
