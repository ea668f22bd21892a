"""Operator accounts and sessions for the admin UI: argon2 passwords, growing waits after
repeated failures from one address, server-side sessions with a CSRF token each."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from kassa.core.security import Principal, Role
from kassa.db.base import utcnow
from kassa.db.models import Operator, OperatorSession, SignInThrottle
from kassa.db.session import Database
from kassa.domain.errors import ValidationFailed

HASHER = PasswordHasher()
FREE_FAILURES = 5  # failures per e-mail and address before waits begin
MAX_WAIT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD = 10
# A hash to verify against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = HASHER.hash("kassa-no-such-operator")


@dataclass(frozen=True, slots=True)
class SignedIn:
    operator: Operator
    csrf_token: str

    @property
    def principal(self) -> Principal:
        return Principal(subject=f"operator:{self.operator.email}", role=Role.ADMIN)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_operator(db: Database, email: str, password: str) -> Operator:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed("an operator is named by an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"passwords have at least {MIN_PASSWORD} characters")
    async with db.transaction() as session:
        if await session.scalar(select(Operator.id).where(Operator.email == email)):
            raise ValidationFailed("that operator exists already")
        operator = Operator(email=email, password_hash=HASHER.hash(password), failed_attempts=0)
        session.add(operator)
    return operator


class LoginRefused(Exception):
    """Wrong e-mail, wrong password, or too soon after failures: one answer for all three,
    so the form tells nobody which e-mails are operators or which are being guessed."""


def _throttle_key(email: str, sender: str) -> str:
    return hashlib.sha256(f"{email}|{sender}".encode()).hexdigest()


def wait_after(failures: int) -> timedelta:
    """No wait for the first FREE_FAILURES; then 1 s, 2 s, 4 s … up to MAX_WAIT."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_WAIT)


async def log_in(db: Database, email: str, password: str, sender: str) -> tuple[str, SignedIn]:
    """A new session token (for the cookie) and the signed-in operator, or LoginRefused.
    Failures are counted per e-mail and sender address (see SignInThrottle)."""
    now = utcnow()
    email = email.strip().lower()
    key = _throttle_key(email, sender)
    async with db.transaction() as session:
        throttle = await session.get(SignInThrottle, key, with_for_update=True)
        if throttle is not None and throttle.next_attempt_at and throttle.next_attempt_at > now:
            raise LoginRefused()
        operator = await session.scalar(select(Operator).where(Operator.email == email))
        try:
            HASHER.verify(operator.password_hash if operator else _DUMMY_HASH, password)
            verified = operator is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified:
            if throttle is None:
                throttle = SignInThrottle(key=key, failures=0)
                session.add(throttle)
            throttle.failures += 1
            throttle.next_attempt_at = now + wait_after(throttle.failures)
            throttle.updated_at = now
        else:
            assert operator is not None
            if throttle is not None:
                await session.delete(throttle)
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            session.add(
                OperatorSession(
                    token_digest=_digest(token),
                    operator_id=operator.id,
                    csrf_token=csrf,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
    if not verified:
        raise LoginRefused()
    assert operator is not None
    return token, SignedIn(operator, csrf)


async def session_for(db: Database, token: str | None) -> SignedIn | None:
    if not token or len(token) > 100:
        return None
    async with db.transaction() as session:
        row = await session.get(OperatorSession, _digest(token))
        if row is None or row.expires_at <= utcnow():
            return None
        operator = await session.get(Operator, row.operator_id)
    return SignedIn(operator, row.csrf_token) if operator else None


async def log_out(db: Database, token: str | None) -> None:
    if token:
        async with db.transaction() as session:
            await session.execute(
                delete(OperatorSession).where(OperatorSession.token_digest == _digest(token))
            )


async def set_language(db: Database, operator_id: int, language: str) -> None:
    """The operator's language for the admin UI, kept with their account."""
    async with db.transaction() as session:
        operator = await session.get(Operator, operator_id, with_for_update=True)
        if operator is not None:
            operator.language = language
