"""Carrying out a decision as a compare-and-set (PostgreSQL): what Payme's and Click's calls
(`inverted`) and pushed events and charge answers (`pushed_updates`) share.

The caller has read its rows without a lock in a `Database.reading()` session and named
what it relies on (`batch.expect_unchanged`); `decide` makes the decision and queues the
writes. They leave as one statement that writes only if those rows are unchanged. None when
nothing was written — the rows changed, a racing writer broke a unique key, or the decision
needed another statement or an ORM write — and the caller carries it out under the lock;
`kassa_compare_and_set_retried_total` counts how often, and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.observability import UNLOCKED_RETRIED
from kassa.db.after_commit import committed, discarded
from kassa.fast.batch import orm_writes, send_if_unchanged
from kassa.fast.driver import NeedsLock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    decided: T  # what `decide` returned
    returned: Mapping[str, Any] | None  # the row of the part queued with `returning`


async def compare_and_set(
    session: AsyncSession, provider: str, decide: Callable[[], Awaitable[T]]
) -> Written[T] | None:
    """What `decide` returned once its writes are committed; None when nothing was written."""
    try:
        decided = await decide()
        if orm_writes(session):
            raise NeedsLock("ORM writes")
        applied, returned = await send_if_unchanged(session)
    except (NeedsLock, IntegrityError) as exc:
        discarded(session)
        reason = "needs_lock" if isinstance(exc, NeedsLock) else "changed"
        UNLOCKED_RETRIED.labels(provider, reason).inc()
        return None
    except BaseException:
        discarded(session)
        raise
    if not applied:
        discarded(session)
        UNLOCKED_RETRIED.labels(provider, "changed").inc()
        return None
    committed(session)
    return Written(decided, returned)
