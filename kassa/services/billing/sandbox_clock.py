"""The sandbox clock's two operations: read it, and move it forward running what fell due."""

from __future__ import annotations

from datetime import datetime

from kassa.runtime import Runtime
from kassa.services.billing import clock, renewals

MAX_PASSES = 50  # one jump may cross a renewal, its retries and the end: a pass for each


async def read(rt: Runtime) -> tuple[datetime, int]:
    async with rt.db.transaction() as session:
        offset = await clock.offset(session)
        now = await clock.billing_now(session)
    return now, int(offset.total_seconds())


async def advance(rt: Runtime, seconds: int) -> tuple[datetime, int]:
    async with rt.db.transaction() as session:
        await clock.advance(session, seconds)
    for _ in range(MAX_PASSES):
        if not await renewals.bill_due(rt):
            break
    return await read(rt)
