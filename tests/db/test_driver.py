"""Statements sent through asyncpg itself (kassa.fast.driver) behave as SQLAlchemy's: the
session's own objects, refreshed when a lock reads them again; SQLAlchemy's errors; a
connection lost mid-transaction fails that transaction only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from kassa.db.base import new_row, utcnow
from kassa.db.models import Payment, ProviderEvent
from kassa.fast.batch import batch_of, send
from kassa.runtime import Runtime
from kassa.services.payments.updates import lock_payment
from tests.conftest import unique
from tests.providers.test_payme_merchant_api import order


async def _elsewhere(runtime: Runtime, sql: str, **params: object) -> None:
    """A statement on another connection, committed at once."""
    async with runtime.db.engine.connect() as connection:
        await connection.execute(text(sql), params)
        await connection.commit()


async def test_a_payment_locked_after_it_was_read_is_the_same_object_as_it_is_now(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payment = await order(client)
    changed = not runtime.db.is_sqlite  # SQLite's transaction holds the write lock: no one else writes
    async with runtime.db.transaction() as session:
        read = await session.get(Payment, payment["id"])
        assert read is not None and read.description is None
        if changed:
            await _elsewhere(runtime, "UPDATE payments SET description = 'changed meanwhile' WHERE id = :id",
                             id=payment["id"])
        locked = await lock_payment(session, payment_id=payment["id"])
        assert locked is read  # one object per row in a session, as SQLAlchemy keeps it
        assert locked.description == ("changed meanwhile" if changed else None)
        assert not session.dirty  # refreshed as loaded, nothing for the ORM to write
    async with runtime.db.transaction() as session:
        fresh = await lock_payment(session, payment_id=payment["id"])
        assert fresh is not None and fresh.amount == payment["amount"] and fresh.status == "pending"
        assert fresh.created_at.tzinfo is not None  # the column's own processing applied


async def test_a_unique_key_broken_through_the_driver_is_sqlalchemys_integrity_error(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payment = await order(client)
    claim = {"provider": "payme", "event_id": unique("event"), "payment_id": payment["id"],
             "outcome": "applied", "received_at": utcnow()}
    async with runtime.db.transaction() as session:
        batch_of(session).insert(ProviderEvent.__table__, claim)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):  # the same event claimed twice
        async with runtime.db.transaction() as session:
            await lock_payment(session, payment_id=payment["id"])
            batch_of(session).insert(ProviderEvent.__table__, claim)  # type: ignore[arg-type]
            await send(session)
    async with runtime.db.transaction() as session:  # nothing was written, the pool still serves
        again = await lock_payment(session, payment_id=payment["id"])
        assert again is not None and again.amount == payment["amount"]
        claims = await session.execute(
            text("SELECT count(*) FROM provider_events WHERE event_id = :id"), {"id": claim["event_id"]})
        assert claims.scalar_one() == 1


async def test_a_connection_lost_mid_transaction_fails_that_transaction_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    if runtime.db.is_sqlite:
        pytest.skip("SQLite runs in process: there is no server connection to lose")
    payment = await order(client)
    with pytest.raises(DBAPIError) as lost:
        async with runtime.db.transaction() as session:
            await lock_payment(session, payment_id=payment["id"])
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await _elsewhere(runtime, "SELECT pg_terminate_backend(:pid)", pid=pid)
            await lock_payment(session, payment_id=payment["id"])
    assert lost.value.connection_invalidated
    for _ in range(runtime.db.slots + 1):  # every pooled connection: none hands out the dead one
        async with runtime.db.transaction() as session:
            found = await lock_payment(session, payment_id=payment["id"])
            assert found is not None and found.id == payment["id"]


async def test_a_row_made_for_a_hot_path_is_one_the_session_writes_as_the_constructor_makes_it(
    runtime: Runtime,
) -> None:
    """`new_row` skips the constructor's per-attribute events; the ORM still writes the row
    whole when it is added to a session, and a misspelt name is refused as by the
    constructor."""
    with pytest.raises(TypeError, match="amont"):
        new_row(Payment, amont=100)
    made = new_row(
        Payment, id=unique("pay"), user_id="u-new-row", provider="payme", status="pending",
        amount=150_000, currency="UZS", refunded_amount=0, purpose="one_off",
        metadata_={"plan": "basic"}, check_attempts=0,
    )  # fmt: skip
    async with runtime.db.transaction() as session:
        session.add(made)
    async with runtime.db.reading() as session:
        stored = await session.get(Payment, made.id)
        assert stored is not None
        assert (stored.amount, stored.currency, stored.metadata_) == (150_000, "UZS", {"plan": "basic"})
        assert stored.created_at is not None  # the column's default, given at the INSERT


async def test_a_lock_taken_in_a_sessions_next_transaction_is_held_by_that_transaction(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The driver keeps a session's connection for the transaction it was asked in: once
    that transaction has ended, the next one's statements run in the next one, on its own
    connection, and the lock they take is held until it ends."""
    if runtime.db.is_sqlite:
        pytest.skip("SQLite's transaction holds the whole database's write lock")
    payment = await order(client)

    async def locked_elsewhere() -> bool:
        async with runtime.db.engine.connect() as other:
            try:
                await other.execute(text("SELECT id FROM payments WHERE id = :id FOR UPDATE NOWAIT"),
                                    {"id": payment["id"]})
            except DBAPIError:
                return True
            finally:
                await other.rollback()
            return False

    async with runtime.db.sessionmaker() as session:
        for _ in range(2):
            async with session.begin():
                assert await lock_payment(session, payment_id=payment["id"]) is not None
                assert await locked_elsewhere()
            assert not await locked_elsewhere()
