"""A page's message after a form (`Tariff created.`, `Card removed.`): composed by kassa
and carried in the redirect's address with a signature and its time. A page shows only a
message signed for it in the last minutes: a link that anyone can write
(`?msg=Your account is locked, call …&error=1`) would otherwise lend its text the page's
own message box. Each face signs with a key of its own, so a message is never moved from
one face to another."""

from __future__ import annotations

import hashlib
import hmac
import time
from contextvars import ContextVar
from urllib.parse import urlencode

from fastapi import Request

LIFETIME_SECONDS = 300  # a redirect is followed at once; a bookmarked message expires
MAX_CHARS = 300


class SignedFlash:
    """The messages of one face (`purpose`: "admin", "portal")."""

    def __init__(self, purpose: str) -> None:
        self._purpose = f"kassa-{purpose}-flash".encode()
        self._key: ContextVar[bytes | None] = ContextVar(f"kassa_{purpose}_flash_key", default=None)

    def _key_of(self, request: Request) -> bytes:
        """Derived from SECRET_KEY, apart from it: a message's signature is never a token's."""
        secret: str = request.app.state.runtime.settings.signing_key
        return hmac.new(secret.encode(), self._purpose, hashlib.sha256).digest()

    async def bind_key(self, request: Request) -> None:
        """Router dependency: the key this request's messages are signed with (`query`)."""
        self._key.set(self._key_of(request))

    @staticmethod
    def _signature(key: bytes, at: str, error: bool, message: str) -> str:
        signed = f"{at}\n{int(error)}\n{message}".encode()
        return hmac.new(key, signed, hashlib.sha256).hexdigest()[:32]

    def query(self, message: str, error: bool = False) -> str:
        """`msg=…&t=…&sig=…` (and `error=1`) for a redirect; empty when no key is bound."""
        key = self._key.get()
        if key is None:
            return ""
        message = message[:MAX_CHARS]
        at = str(int(time.time()))
        fields = {"msg": message, **({"error": "1"} if error else {}), "t": at}
        fields["sig"] = self._signature(key, at, error, message)
        return urlencode(fields)

    def read(self, request: Request) -> tuple[str | None, bool]:
        """The message to show and whether it is an error: none unless signed here lately."""
        params = request.query_params
        message, at, given = params.get("msg"), params.get("t", ""), params.get("sig", "")
        if not message or not at.isdigit() or abs(time.time() - int(at)) > LIFETIME_SECONDS:
            return None, False
        error = params.get("error") == "1"
        expected = self._signature(self._key_of(request), at, error, message)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return None, False
        return message, error
