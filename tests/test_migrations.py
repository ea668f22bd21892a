"""Migrations keep what a running kassa already holds: Payme's transactions move into the
engine's table with their times, account, receivers and fiscal receipts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from kassa.db.migrate import upgrade


def test_payme_transactions_are_carried_into_the_engines_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0004")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount,"
            " purpose, metadata, created_at, updated_at, check_attempts)"
            " VALUES ('pay_old', 'u1', 'payme', 'succeeded', 500000, 'UZS', 0, 'one_off', '{}',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)")
        db.execute(
            "INSERT INTO payme_transactions (payme_id, payment_id, payme_time, amount, account, state,"
            " reason, create_time, perform_time, cancel_time, receivers, fiscal_perform)"
            " VALUES ('5f1c0ffee', 'pay_old', 1700000000000, 500000, '{\"order_id\": \"pay_old\"}', 2,"
            " NULL, 1700000000100, 1700000000200, 0, NULL, '{\"receipt_id\": 121}')")
    upgrade(url)
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT provider, provider_tx_id, payment_id, provider_time, amount, state, create_time,"
            " perform_time, cancel_time, data FROM provider_transactions").fetchone()
    assert row[:9] == ("payme", "5f1c0ffee", "pay_old", 1700000000000, 500000, 2, 1700000000100,
                       1700000000200, 0)
    assert json.loads(row[9]) == {"account": {"order_id": "pay_old"}, "receivers": None,
                                  "fiscal_perform": {"receipt_id": 121}}
