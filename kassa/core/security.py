"""Credentials: HS256 access tokens and service API keys (stored only as digests)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

ALGORITHM = "HS256"
API_KEY_PREFIX = "kassa_sk_"
# The ASGI scope entry where the rate limiter leaves the token it verified for this request.
VERIFIED_PRINCIPAL = "kassa.principal"


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user (maybe an admin) from a token, or a service by API key."""

    subject: str
    role: Role
    orgs: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_service(self) -> bool:
        return self.role is Role.SERVICE

    @property
    def is_privileged(self) -> bool:
        """Admins and services see every user's objects."""
        return self.role in (Role.ADMIN, Role.SERVICE)

    @property
    def key(self) -> str:
        """A stable name for per-caller state (idempotency keys, rate limits)."""
        return f"{self.role.value}:{self.subject}"


class InvalidToken(ValueError):
    pass


def mint_token(
    secret: str,
    subject: str,
    *,
    role: str = "user",
    orgs: list[str] | None = None,
    expires_in: timedelta = timedelta(minutes=30),
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "orgs": orgs or [],
        "iat": int(now.timestamp()),
        "exp": int((now + expires_in).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Tokens verified before, with their expiry: a client sends the same token with every call
# until it expires, and checking its signature and claims again each time cost a tenth of a
# created payment's CPU. Bounded; the oldest entry leaves first.
_VERIFIED: dict[tuple[str, str], tuple[Principal, int]] = {}
_VERIFIED_MAX = 4096


def read_token(secret: str, token: str) -> Principal:
    """The token's principal; a token verified before is answered from memory until its
    `exp` passes (PyJWT's rule: expired once `exp <= now`)."""
    found = _VERIFIED.get((secret, token))
    if found is not None:
        if found[1] > time.time():
            return found[0]
        del _VERIFIED[(secret, token)]
    principal, expires = _verify(secret, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        del _VERIFIED[next(iter(_VERIFIED))]
    _VERIFIED[(secret, token)] = (principal, expires)
    return principal


def _verify(secret: str, token: str) -> tuple[Principal, int]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    subject = claims.get("sub")
    role = claims.get("role", "user")
    orgs = claims.get("orgs", [])
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise InvalidToken("sub must be a non-empty string")
    if role not in (Role.USER.value, Role.ADMIN.value):
        raise InvalidToken("role must be user or admin")
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        raise InvalidToken("orgs must be a list of strings")
    return Principal(subject=subject, role=Role(role), orgs=frozenset(orgs)), int(claims["exp"])


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """API keys are high-entropy random strings, so a plain SHA-256 digest suffices."""
    return hashlib.sha256(key.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


PORTAL_AUDIENCE = "kassa-portal"


@dataclass(frozen=True, slots=True)
class PortalGrant:
    """What a customer portal link lets its holder see and do: one customer's account."""

    subject: str
    orgs: frozenset[str]
    return_url: str | None
    expires_at: datetime


def mint_portal_token(
    secret: str,
    subject: str,
    *,
    orgs: list[str] | None = None,
    return_url: str | None = None,
    expires_in: timedelta = timedelta(hours=1),
) -> tuple[str, datetime]:
    """A portal link's token: its own audience, so it is never an API token (PyJWT refuses
    a token with an audience where none is expected, and one without where one is)."""
    now = datetime.now(UTC)
    expires = now + expires_in
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": PORTAL_AUDIENCE,
        "orgs": orgs or [],
        "ret": return_url,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires.replace(microsecond=0)


def read_portal_token(secret: str, token: str) -> PortalGrant:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=PORTAL_AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    subject, orgs, back = claims.get("sub"), claims.get("orgs", []), claims.get("ret")
    if not isinstance(subject, str) or not subject or len(subject) > 200:
        raise InvalidToken("sub must be a non-empty string")
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        raise InvalidToken("orgs must be a list of strings")
    return PortalGrant(
        subject=subject,
        orgs=frozenset(orgs),
        return_url=back if isinstance(back, str) else None,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
