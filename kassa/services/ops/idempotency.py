"""Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field").

The first request with a key is claimed atomically (a unique row in the database, or
SET NX in Redis); its answer is stored and replayed with the same status for repeats of
the same body. Another body under the key: 422; a repeat while the first still runs: 409.
Redis is the fast store when configured; if it fails, the database store takes over, and
payments also carry the key in a unique column, so no outage can create a duplicate.
A payment written at once needs no store: its key's record and answer are written with it
(`KeptAnswer`), whether Redis is configured or not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select, update

from kassa.core.logging import get_logger
from kassa.db.base import utcnow
from kassa.db.models import IdempotencyRecord
from kassa.db.session import Database
from kassa.db.sql import insert_ignore
from kassa.domain.errors import IdempotencyConflict, IdempotencyKeyReused, ValidationFailed
from kassa.runtime import Runtime

log = get_logger(__name__)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return key


class IdempotencyStore(Protocol):
    async def claim(self, principal: str, key: str, fp: str) -> StoredResponse | None:
        """None when this call owns the key now; the stored answer for a finished repeat.
        Raises IdempotencyKeyReused or IdempotencyConflict."""

    async def complete(self, principal: str, key: str, response: StoredResponse) -> None: ...

    async def release(self, principal: str, key: str) -> None: ...


class DatabaseStore:
    def __init__(self, db: Database, ttl_seconds: int, lock_seconds: int = 60) -> None:
        self.db = db
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lock = timedelta(seconds=lock_seconds)

    async def claim(self, principal: str, key: str, fp: str) -> StoredResponse | None:
        now = utcnow()
        async with self.db.transaction() as session:
            claimed = await insert_ignore(
                session,
                IdempotencyRecord.__table__,  # type: ignore[arg-type]
                {
                    "principal": principal,
                    "key": key,
                    "fingerprint": fp,
                    "created_at": now,
                    "expires_at": now + self.ttl,
                },
            )
            if claimed:
                return None
            # A key past its TTL is free again: drop the old record and claim it afresh.
            expired = await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.expires_at <= now,
                )
            )
            if getattr(expired, "rowcount", 0):
                await insert_ignore(
                    session,
                    IdempotencyRecord.__table__,  # type: ignore[arg-type]
                    {
                        "principal": principal,
                        "key": key,
                        "fingerprint": fp,
                        "created_at": now,
                        "expires_at": now + self.ttl,
                    },
                )
                return None
            # A claim whose request never finished (its process died) is taken over once
            # its lock has run out; the payment's own unique key still prevents a double.
            taken = await session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.principal == principal,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.fingerprint == fp,
                    IdempotencyRecord.response_status.is_(None),
                    IdempotencyRecord.created_at <= now - self.lock,
                )
                .values(created_at=now)
            )
            if getattr(taken, "rowcount", 0):
                return None
            row = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            )
        if row is None:  # expired and removed between the two statements
            raise IdempotencyConflict("the request with this key is in progress")
        return _decide(row.fingerprint, fp, row.response_status, row.response_body)

    async def complete(self, principal: str, key: str, response: StoredResponse) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
                .values(response_status=response.status, response_body=response.body)
            )

    async def release(self, principal: str, key: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            )


def _decide(stored_fp: str, fp: str, status: int | None, body: str | None) -> StoredResponse:
    if stored_fp != fp:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    if status is None or body is None:
        raise IdempotencyConflict("the request with this key is still in progress")
    return StoredResponse(status=status, body=body)


class RedisStore:
    """Keys in Redis with the TTL; the database store answers whenever Redis does not."""

    def __init__(
        self, redis: Any, fallback: DatabaseStore, ttl_seconds: int, lock_seconds: int = 60
    ) -> None:
        self.redis = redis
        self.fallback = fallback
        self.ttl = ttl_seconds
        self.lock = lock_seconds
        self._fell_back: set[tuple[str, str]] = set()
        # fingerprints of this process's claims in flight: the answer is stored with one
        # SET, without reading the claim back
        self._claimed: dict[tuple[str, str], str] = {}

    @staticmethod
    def _name(principal: str, key: str) -> str:
        digest = hashlib.sha256(f"{principal}\0{key}".encode()).hexdigest()
        return f"kassa:idem:{digest}"

    async def claim(self, principal: str, key: str, fp: str) -> StoredResponse | None:
        name = self._name(principal, key)
        try:
            # The in-flight claim lives only as long as the lock: a claim left by a process
            # that died expires by itself.
            if await self.redis.set(name, json.dumps({"fp": fp}), nx=True, ex=self.lock):
                self._claimed[(principal, key)] = fp
                return None
            raw = await self.redis.get(name)
        except Exception as exc:  # any Redis failure: the database keeps us safe
            log.warning("idempotency.redis_unavailable", error=type(exc).__name__)
            self._fell_back.add((principal, key))
            return await self.fallback.claim(principal, key, fp)
        if raw is None:
            raise IdempotencyConflict("the request with this key is in progress")
        stored = json.loads(raw)
        return _decide(stored["fp"], fp, stored.get("status"), stored.get("body"))

    async def complete(self, principal: str, key: str, response: StoredResponse) -> None:
        if (principal, key) in self._fell_back:
            self._fell_back.discard((principal, key))
            await self.fallback.complete(principal, key, response)
            return
        name = self._name(principal, key)
        fp = self._claimed.pop((principal, key), None)
        try:
            if fp is None:
                raw = await self.redis.get(name)
                fp = json.loads(raw)["fp"] if raw else ""
            stored = {"fp": fp, "status": response.status, "body": response.body}
            await self.redis.set(name, json.dumps(stored), ex=self.ttl)
        except Exception as exc:  # the answer is not kept; a repeat re-runs safely
            log.warning("idempotency.redis_unavailable", error=type(exc).__name__)

    async def release(self, principal: str, key: str) -> None:
        if (principal, key) in self._fell_back:
            self._fell_back.discard((principal, key))
            await self.fallback.release(principal, key)
            return
        self._claimed.pop((principal, key), None)
        try:
            await self.redis.delete(self._name(principal, key))
        except Exception as exc:  # the claim expires with its lock
            log.warning("idempotency.redis_unavailable", error=type(exc).__name__)


class Replayed(Exception):
    """A repeat of a keyed request: its first answer, to be sent again."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replayed")
        self.stored = stored


async def kept_answer(db: Database, principal: str, key: str, fp: str) -> StoredResponse | None:
    """The answer the database keeps under the key (unexpired), decided against this
    request's fingerprint: another body is refused (422), a claim with no answer yet is in
    progress (409)."""
    async with db.reading() as session:
        row = (
            await session.execute(
                select(
                    IdempotencyRecord.fingerprint,
                    IdempotencyRecord.response_status,
                    IdempotencyRecord.response_body,
                ).where(
                    IdempotencyRecord.principal == principal,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.expires_at > utcnow(),
                )
            )
        ).first()
    if row is None:
        return None
    return _decide(row.fingerprint, fp, row.response_status, row.response_body)


class KeptAnswer:
    """The Idempotency-Key of a create that may be a single statement (a payment whose
    checkout link needs no call to its provider). Written with that statement, the key's
    record is its claim and holds its answer from the moment the payment exists: no round
    trip to the store before or after (two of a create's three, with Redis). A repeat
    breaks the record's unique key and is answered from it. A create that calls out instead
    claims the key in the store (`claim`) before its first effect, as every other create
    does; answers given before either (a refusal) are kept here too (`keep_late`)."""

    def __init__(
        self,
        db: Database,
        store: IdempotencyStore,
        principal: str,
        key: str,
        fp: str,
        ttl: timedelta,
        status: int,
        render: Callable[[Any], str],
    ) -> None:
        self.db, self.store = db, store
        self.principal, self.key, self.fp, self.ttl = principal, key, fp, ttl
        self.status, self.render = status, render
        self.claimed = False  # in the store: its answer goes there
        self.answer: StoredResponse | None = None  # written with the create's statement

    def record(self, created: Any) -> dict[str, Any]:
        """The key's record, the answer to the create included, for its statement."""
        self.answer = StoredResponse(self.status, self.render(created))
        return self._values(self.answer)

    async def claim(self) -> None:
        """Before a create's first effect outside the database: the store's claim, after a
        look for an answer kept here. Raises Replayed with an answer found in either."""
        kept = await kept_answer(self.db, self.principal, self.key, self.fp)
        if kept is not None:
            raise Replayed(kept)
        replay = await self.store.claim(self.principal, self.key, self.fp)
        if replay is not None:
            raise Replayed(replay)
        self.claimed = True

    async def after_conflict(self) -> bool:
        """The create's statement broke a unique key: raises Replayed with the answer kept
        by the request that wrote first. True when the key's record had expired and is now
        gone (the statement may run again); False when no record stood in the way."""
        self.answer = None
        kept = await kept_answer(self.db, self.principal, self.key, self.fp)
        if kept is not None:
            raise Replayed(kept)
        async with self.db.transaction() as session:
            expired = await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == self.principal,
                    IdempotencyRecord.key == self.key,
                    IdempotencyRecord.expires_at <= utcnow(),
                )
            )
        return bool(getattr(expired, "rowcount", 0))

    async def keep_late(self, answer: StoredResponse) -> StoredResponse:
        """Keeps an answer given before the key was claimed or written (a refusal); the
        answer already kept under the key wins if there is one."""
        async with self.db.transaction() as session:
            kept = await insert_ignore(
                session,
                IdempotencyRecord.__table__,  # type: ignore[arg-type]
                self._values(answer),
            )
        if kept:
            return answer
        return await kept_answer(self.db, self.principal, self.key, self.fp) or answer

    def _values(self, answer: StoredResponse) -> dict[str, Any]:
        now = utcnow()
        return {
            "principal": self.principal,
            "key": self.key,
            "fingerprint": self.fp,
            "response_status": answer.status,
            "response_body": answer.body,
            "created_at": now,
            "expires_at": now + self.ttl,
        }


async def purge_expired(db: Database) -> int:
    async with db.transaction() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_idempotency_keys(rt: Runtime) -> int:
    """The upkeep job: kept answers past their TTL go."""
    return await purge_expired(rt.db)
