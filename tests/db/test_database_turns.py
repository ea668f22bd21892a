"""Transactions beyond the pool's connections wait their turn, first come first served: a
request that asks just as a connection comes back must not overtake those already waiting
(SQLAlchemy's pool alone lets it, which under load kept some requests waiting for seconds)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, literal_column, select, text

from kassa.core.settings import Settings
from kassa.db.session import Database
from kassa.runtime import Runtime


async def test_waiting_transactions_are_served_in_arrival_order(
    runtime: Runtime, settings: Settings
) -> None:
    db = Database(settings.database_url, pool_size=1)
    served: list[str] = []
    holding, let_go = asyncio.Event(), asyncio.Event()
    newcomers: list[asyncio.Task[None]] = []

    async def then(name: str) -> None:
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
            served.append(name)

    async def first() -> None:
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            await let_go.wait()
        served.append("first")

    def newcomer_at_checkin(*_: Any) -> None:
        # The moment the first connection comes back, before any waiter has run.
        if let_go.is_set() and not newcomers:
            newcomers.append(asyncio.get_running_loop().create_task(then("newcomer")))

    event.listen(db.engine.sync_engine.pool, "checkin", newcomer_at_checkin)
    try:
        holder = asyncio.create_task(first())
        await holding.wait()
        queued = []
        for name in ("second", "third", "fourth"):
            queued.append(asyncio.create_task(then(name)))
            await asyncio.sleep(0.01)  # arrive one after another
        let_go.set()
        await asyncio.wait_for(asyncio.gather(holder, *queued), timeout=30)
        await asyncio.wait_for(asyncio.gather(*newcomers), timeout=30)
    finally:
        await db.dispose()
    assert served == ["first", "second", "third", "fourth", "newcomer"]


async def test_one_statement_refuses_a_read_and_gives_its_connection_back(
    settings: Settings,
) -> None:
    """`one_statement` only queues writes, which PostgreSQL gets as one statement with no
    transaction around it: a read inside would not be part of it, so it is refused, and the
    connection the read took goes back to the pool. SQLite runs the block as a transaction,
    where a read belongs."""
    db = Database(settings.database_url, pool_size=1)
    try:
        if db.is_sqlite:
            async with db.one_statement() as session:
                assert (await session.execute(text("SELECT 1"))).scalar() == 1
        else:
            with pytest.raises(RuntimeError, match="one by one"):
                async with db.one_statement() as session:
                    await session.execute(text("SELECT 1"))
            async with db.one_statement():  # nothing queued: nothing sent
                pass
        async with db.transaction() as session:  # the pool's one connection is free
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await db.dispose()


TWO = select(literal_column("2").label("two"))


async def test_a_read_that_fails_or_is_cancelled_gives_its_connection_back(
    settings: Settings,
) -> None:
    """A request whose read raised, or whose task was cancelled while it held a reading
    session (a client gone, a shutdown), leaves the pool's connection free for the next:
    with one connection, the next read and transaction are served at once."""
    db = Database(settings.database_url, pool_size=1)
    try:
        with pytest.raises(ZeroDivisionError):
            async with db.reading() as session:
                await session.execute(text("SELECT 1"))
                _ = 1 / 0
        holding = asyncio.Event()

        async def held_until_cancelled() -> None:
            async with db.reading() as session:
                await session.execute(text("SELECT 1"))
                holding.set()
                await asyncio.sleep(60)

        task = asyncio.create_task(held_until_cancelled())
        await holding.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with asyncio.timeout(5):
            assert [tuple(row) for row in await db.read(TWO, {})] == [(2,)]
            async with db.transaction() as session:
                assert (await session.execute(text("SELECT 3"))).scalar() == 3
        assert db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await db.dispose()
