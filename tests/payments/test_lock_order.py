"""The watch that keeps every test's transactions in the lock order (tests/lock_order.py):
it must read what a statement locks, flag the opposite order, and see the statements
kassa.fast.driver sends past SQLAlchemy."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from kassa.runtime import Runtime
from tests.lock_order import LockOrder, locked_tables
from tests.providers.test_payme_merchant_api import account, new_payme_id, now_ms, order, rpc


def test_what_a_statement_locks_in_the_order_it_takes_them() -> None:
    assert locked_tables("SELECT payments.id FROM payments WHERE payments.id = $1 FOR UPDATE") == [
        "payments", "payments"]  # fmt: skip
    assert set(locked_tables(
        "SELECT subscriptions.id, tariffs.id FROM subscriptions JOIN tariffs ON tariffs.id = $2 "
        "WHERE subscriptions.id = $1 FOR UPDATE OF subscriptions")) == {"subscriptions"}  # fmt: skip
    guard = locked_tables(
        "WITH unchanged AS (SELECT 1 FROM payments, subscriptions WHERE payments.id = $1 "
        "FOR UPDATE), w AS (UPDATE subscriptions SET x = 1) UPDATE payments SET y = 2"
    )
    assert guard[:2] == ["payments", "subscriptions"]
    assert locked_tables("INSERT INTO payments (id) VALUES ($1)") == []  # a new row: nothing held
    assert locked_tables("SELECT id FROM payments WHERE id = $1") == []


@pytest.mark.breaks_lock_order
async def test_the_opposite_order_is_flagged_and_the_kept_one_is_not(runtime: Runtime) -> None:
    if runtime.db.is_sqlite:
        pytest.skip("SQLite has no row locks (each transaction holds the write lock)")
    watch = LockOrder()
    watch.watch()
    try:
        for tables in (("payments", "subscriptions"), ("subscriptions", "payments")):
            async with runtime.db.transaction() as session:
                for table in tables:
                    await session.execute(
                        text(f"SELECT id FROM {table} WHERE id = 'none' FOR UPDATE")
                    )
    finally:
        watch.stop()
    assert len(watch.broken) == 1 and watch.broken[0].startswith(
        "payments locked after subscriptions"
    )


async def test_statements_sent_past_sqlalchemy_are_seen(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A Payme payment's moves are compare-and-sets sent through asyncpg itself: the watch
    sees their guards lock the payment."""
    if runtime.db.is_sqlite:
        pytest.skip("SQLite has no row locks (each transaction holds the write lock)")
    payment = await order(client)
    watch = LockOrder()
    watch.watch()
    try:
        payme_id = new_payme_id()
        params = {"id": payme_id, "time": now_ms(), "amount": 500_000, "account": account(payment)}
        assert (await rpc(client, "CreateTransaction", params))["result"]["state"] == 1
        assert (await rpc(client, "PerformTransaction", {"id": payme_id}))["result"]["state"] == 2
    finally:
        watch.stop()
    assert "payments" in watch.seen and not watch.broken
