"""Operator accounts and sessions for the admin UI: argon2 passwords, lockout after
repeated failures, server-side sessions with a CSRF token each."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from kassa.auth import Principal, Role
from kassa.db.base import utcnow
from kassa.db.models import Operator, OperatorSession
from kassa.db.session import Database
from kassa.errors import ValidationFailed

HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
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
    def __init__(self, locked: bool) -> None:
        super().__init__("locked" if locked else "refused")
        self.locked = locked


async def log_in(db: Database, email: str, password: str) -> tuple[str, SignedIn]:
    """A new session token (for the cookie) and the signed-in operator, or LoginRefused."""
    now = utcnow()
    failure: LoginRefused | None = None
    async with db.transaction() as session:
        operator = await session.scalar(
            select(Operator).where(Operator.email == email.strip().lower()).with_for_update()
        )
        if operator is None:
            with contextlib.suppress(VerificationError):
                HASHER.verify(_DUMMY_HASH, password)
            raise LoginRefused(locked=False)
        if operator.locked_until and operator.locked_until > now:
            raise LoginRefused(locked=True)
        try:
            HASHER.verify(operator.password_hash, password)
        except (VerificationError, InvalidHashError):
            operator.failed_attempts += 1
            if operator.failed_attempts >= MAX_FAILURES:
                operator.locked_until = now + LOCKOUT
                operator.failed_attempts = 0
            failure = LoginRefused(
                locked=operator.locked_until is not None and operator.locked_until > now
            )
        else:
            failure = None
            operator.failed_attempts = 0
            operator.locked_until = None
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
    if failure is not None:
        raise failure
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
