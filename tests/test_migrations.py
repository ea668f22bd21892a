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


def test_a_held_subscription_becomes_an_object_with_the_period_its_payment_bought(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0005")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO tariffs (id, name, amount, currency, duration_days, is_active, created_at,"
            " updated_at) VALUES ('tar_old', 'Pro', 5000000, 'UZS', 30, 1, '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00')")
        db.execute(
            "INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount,"
            " purpose, tariff_id, metadata, created_at, updated_at, check_attempts)"
            " VALUES ('pay_old', 'u1', 'payme', 'succeeded', 5000000, 'UZS', 0, 'tariff', 'tar_old',"
            " '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)")
        db.execute(
            "INSERT INTO subscriptions (user_id, tariff_id, status, started_at, expires_at,"
            " last_payment_id, updated_at) VALUES ('u1', 'tar_old', 'active',"
            " '2026-01-01 00:00:00', '2026-03-02 00:00:00', 'pay_old', '2026-01-31 00:00:00')")
        db.execute(
            "INSERT INTO subscriptions (user_id, tariff_id, status, started_at, expires_at,"
            " updated_at) VALUES ('u2', 'tar_old', 'none', '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    upgrade(url)
    with sqlite3.connect(path) as db:
        subs = db.execute(
            "SELECT id, user_id, owner, group_key, tariff_id, status, current_period_end,"
            " next_attempt_at FROM subscriptions").fetchall()
        periods = db.execute(
            "SELECT subscription_id, number, payment_id, starts_at, ends_at"
            " FROM subscription_periods").fetchall()
    assert len(subs) == 1  # a row that never held anything is not carried over
    sub_id, user, owner, group, tariff, status, end, due = subs[0]
    assert sub_id.startswith("sub_") and (user, owner, group, tariff, status) == (
        "u1", "user:u1", "", "tar_old", "active")
    assert end.startswith("2026-03-02 00:00:00") and due == end  # the billing job ends it then
    # a refund of its last payment takes back the 30 days that payment bought
    assert [(p[0], p[1], p[2]) for p in periods] == [(sub_id, 1, "pay_old")]
    assert periods[0][3].startswith("2026-01-31 00:00:00") and periods[0][4].startswith("2026-03-02")
