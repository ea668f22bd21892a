"""The database handle: one async engine, sessions, and transactions that serialise writes.

On PostgreSQL a payment row is locked with SELECT … FOR UPDATE. SQLite has no row locks,
so every kassa transaction there starts with BEGIN IMMEDIATE: it takes the database's
write lock up front, and concurrent writers (other tasks or other processes) wait for it
through the busy timeout instead of failing at commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.util import greenlet_spawn

from kassa.fast import batch, driver, switch

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_WAIT_SECONDS = 30.0  # then the request is answered 503


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Engine plus session factory; `transaction()` is the unit of work."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        info: dict[str, Any] | None = None,
        fast: frozenset[str] = switch.ALL,
    ) -> None:
        """`info` is copied into every session's `info`: what code running inside a
        transaction needs besides rows (the billing policy, the box that seals tokens).
        `fast`: the pieces of kassa.fast its sessions use (FAST_PATHS)."""
        self.url = url
        self.fast = fast
        self.dialect = make_url(url).get_backend_name()
        # Transactions at once: the pool's connections (SQLite's single one).
        self.slots = 1 if self.dialect == "sqlite" else pool_size
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            # WAL and the write lock do the coordination. One pooled connection a process:
            # every transaction takes the write lock anyway, and waiting for the connection
            # queues requests in order, where SQLite's busy handler (polling with sleeps)
            # would serve them by luck and leave some waiting for seconds.
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if ":memory:" in url:
                kwargs["poolclass"] = NullPool
            else:
                kwargs.update(pool_size=1, max_overflow=0, pool_timeout=POOL_WAIT_SECONDS)
        else:
            # The pool is also the admission queue: at most `pool_size` transactions run at
            # once a process, the rest wait their turn. More would not finish sooner on a
            # few cores; they would only lengthen every transaction, and with it the time
            # locks (a payment's row, the year's invoice counter) are held.
            # No ping before each checkout (a round trip per transaction, a third of a short
            # one): a connection found dead fails its request, and SQLAlchemy then drops
            # every older pooled connection, so a database restart costs one answer a process.
            kwargs.update(
                pool_size=pool_size,
                max_overflow=0,
                pool_timeout=POOL_WAIT_SECONDS,
                pool_recycle=1800,
            )
        self.engine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self.info = {**(info or {}), switch.INFO_KEY: fast}
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, info=self.info)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def compares_and_sets(self) -> bool:
        """Whether a provider's call or event is tried first as a compare-and-set
        (kassa.fast.compare_and_set; PostgreSQL), else carried out under the row's lock."""
        return not self.is_sqlite and "compare_and_set" in self.fast

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.
        Writes queued in the session's batch are sent after the ORM's own, before COMMIT."""
        async with self._turn(), self.sessionmaker() as session, session.begin():
            yield session
            await batch.send(session)  # it flushes the ORM's own writes first

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncSession]:
        """A session whose writes are all queued (`kassa.fast.batch`) and leave as one
        statement, which is atomic by itself: no BEGIN and COMMIT round trips around it.
        SQLite, which runs a batch's parts one by one, gets a transaction, and so does
        everything without the `batch` piece of FAST_PATHS."""
        if self.is_sqlite or "batch" not in self.fast:
            async with self.transaction() as session:
                yield session
            return
        # It only queues: no connection, nothing to close (closing it was a greenlet's
        # round trip through SQLAlchemy's sync session on every create) unless a read
        # took one, which is refused below.
        session = self.sessionmaker()
        try:
            yield session
        finally:
            read = session.in_transaction()
            if read:
                await session.close()
        if read or session.new or session.dirty or session.deleted:
            raise RuntimeError("one_statement: writes and reads would leave one by one")
        queued = batch.take(session, self.dialect)
        if queued is not None:
            async with self._turn(), self._connection() as connection:
                if "driver" not in self.fast or await driver.alone(connection, *queued) is None:
                    await greenlet_spawn(_autocommit_execute, connection, *queued)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads that need no transaction: each statement is its own (no
        BEGIN and COMMIT round trips; on SQLite no write lock)."""
        async with self._turn():
            connection = await greenlet_spawn(_autocommit_connection, self.engine.sync_engine)
            session: AsyncSession | None = None
            try:
                # the same `info` as a transaction's: a compare-and-set's writes are decided
                # here
                session = AsyncSession(
                    bind=AsyncConnection(self.engine, connection), expire_on_commit=False,
                    info=self.info,
                )  # fmt: skip
                # its statements through asyncpg need no transaction of the Session's
                # (the connection autocommits): the connection is handed over as held
                session.info[driver.HELD_KEY] = (None, connection)
                yield session
            finally:
                closing = () if session is None else (session.sync_session.close,)
                await _released(connection, *closing, looked_into="driver" in self.fast)

    async def read(self, statement: Executable, params: dict[str, Any]) -> Sequence[Any]:
        """The rows of a read that needs no transaction (plain columns, no entities): one
        round trip, and on PostgreSQL no session either (`kassa.fast.driver`)."""
        if not self.is_sqlite and "driver" in self.fast:
            async with self._turn(), self._connection() as connection:
                found = await driver.alone(connection, statement, params)
                if found is not None:
                    return found
        async with self.reading() as session:
            return (await session.execute(statement, params)).all()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A pooled connection as SQLAlchemy's own Connection, taken and given back in a
        greenlet each. Through the async wrapper (`engine.connect()`) the two cost 169 000
        instructions, here 137 000 (a reading session 418 000, now 303 000): the wrapper
        spends a greenlet more on each, weak references, and a task to close in."""
        connection = await greenlet_spawn(self.engine.sync_engine.connect)
        try:
            yield connection
        finally:
            await _released(connection, looked_into="driver" in self.fast)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Waits, first come first served, for one of the pool's connections. The pool's
        own queue lets a newcomer take a connection just returned ahead of the requests
        already waiting, which under load left some of them waiting for seconds."""
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Semaphore(self.slots))
        turns = self._turns[1]
        if turns.locked():  # only a wait needs its deadline (a timer a turn cost a few %)
            try:
                async with asyncio.timeout(POOL_WAIT_SECONDS):
                    await turns.acquire()
            except TimeoutError as exc:
                raise PoolTimeout("no database connection became free in time") from exc
        else:
            await turns.acquire()  # free and nobody waiting: taken at once
        try:
            yield
        finally:
            turns.release()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _autocommit_connection(engine: Engine) -> Connection:
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _autocommit_execute(connection: Connection, statement: Executable, params: Any) -> None:
    connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params)


async def _released(
    connection: Connection, *first: Callable[[], None], looked_into: bool = True
) -> None:
    """Gives the connection back to the pool, after `first` (a session's close). With
    nothing begun on the driver that sends nothing, so it finishes without giving the loop
    a turn and nothing can cancel it halfway; else (a ROLLBACK to send) it runs to its end
    shielded, as SQLAlchemy's own close does, and a cancellation is raised after it.
    Whether anything was begun is read in SQLAlchemy's adapter (`looked_into`, the
    `driver` piece of FAST_PATHS); without it every close runs shielded."""

    def close() -> None:
        try:
            for step in first:
                step()
        finally:
            connection.close()

    # None: invalidated, or not the asyncpg adapter
    adapted = driver.raw_of(connection) if looked_into else None
    if adapted is not None and adapted._transaction is None:
        await greenlet_spawn(close)
        return
    await _to_the_end(greenlet_spawn(close))


async def _to_the_end(work: Awaitable[None]) -> None:
    """Awaits `work` in a task of its own until it is done, even when the caller is
    cancelled meanwhile; the cancellation is raised after."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.done():
                raise
            cancelled = error
        else:
            break
    if cancelled is not None:
        raise cancelled
