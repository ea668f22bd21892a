"""Billing time: the wall clock plus the sandbox clock's offset.

Subscription periods, renewals, dunning and expiry are measured on it; tokens, signatures
and webhook timestamps never are. The offset lives in the database so the API and every
worker agree; only the sandbox's `/sandbox/clock/advance` writes it, and only in sandbox
mode is it read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.base import utcnow
from kassa.db.models import SandboxClock
from kassa.db.session_info import billing_policy
from kassa.db.sql import insert_ignore

CLOCK_ROW = 1


async def offset(session: AsyncSession) -> timedelta:
    seconds = await session.scalar(
        select(SandboxClock.offset_seconds).where(SandboxClock.id == CLOCK_ROW)
    )
    return timedelta(seconds=seconds or 0)


async def billing_now(session: AsyncSession) -> datetime:
    """Outside sandbox mode the wall clock itself: no read, and no offset a database kept
    from its sandbox days can move a real customer's billing."""
    if not billing_policy(session).sandbox_clock:
        return utcnow()
    return utcnow() + await offset(session)


async def advance(session: AsyncSession, seconds: int) -> timedelta:
    """Move billing time forward (never back: periods already written stay consistent)."""
    await insert_ignore(
        session,
        SandboxClock.__table__,  # type: ignore[arg-type]
        {"id": CLOCK_ROW, "offset_seconds": 0},
    )
    await session.execute(
        update(SandboxClock)
        .where(SandboxClock.id == CLOCK_ROW)
        .values(offset_seconds=SandboxClock.offset_seconds + seconds)
    )
    return await offset(session)
