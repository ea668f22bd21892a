"""Migrations keep what a running kassa already holds: Payme's transactions move into the
engine's table with their times, account, receivers and fiscal receipts; issued invoices and
credit notes keep their numbers and take their sellers' details."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text

from kassa.core.crypto import SecretBox
from kassa.db.migrate import alembic_config, upgrade
from kassa.db.session import Database
from tests.conftest import _admin


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


OLD_PAYMENT = ("INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount, purpose,"
               " shop_id, description, items, email, metadata, created_at, updated_at, check_attempts,"
               " save_payment_method, discount_amount)"
               " VALUES (:id, 'u1', 'stripe', 'succeeded', 3000, 'EUR', 0, 'one_off', :shop, 'Order',"
               " :items, 'u1@shop.example', '{}', :at, :at, 0, false, 0)")
OLD_INVOICE = ("INSERT INTO invoices (id, number, payment_id, user_id, amount, currency, status, description,"
               " issued_at, paid_at) VALUES (:id, :number, :payment, 'u1', 3000, 'EUR', 'paid', 'Order', :at, :at)")


@contextmanager
def old_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own on the suite's database server (SQLite: a file)."""
    server = os.environ.get("KASSA_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = f"kassa_old_{os.urandom(5).hex()}"
    asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def run_sql(url: str, *statements: tuple[str, dict[str, Any]]) -> list[list[Any]]:
    """The statements in one transaction; the rows of each SELECT among them."""
    async def run() -> list[list[Any]]:
        db = Database(url)
        found = []
        try:
            async with db.engine.begin() as connection:
                for sql, params in statements:
                    result = await connection.execute(text(sql), params)
                    if sql.startswith("SELECT"):
                        found.append(list(result.all()))
        finally:
            await db.dispose()
        return found

    return asyncio.run(run())


def test_issued_documents_keep_their_numbers_and_sellers_number_on_from_their_highest(tmp_path: Path) -> None:
    """Until 0011 every seller shared one series a year and PDFs printed the seller of the
    moment. Upgraded: each document keeps today's seller (the best there is to know) and its
    number; each seller's series goes on after its highest number that year, the default
    seller's after the whole shared series, so no number is given twice."""
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    items = json.dumps([{"title": "Notebook", "quantity": 3, "unit_price": 1_000, "discount": 0,
                         "fiscal": {}}])
    with old_database(tmp_path) as url:
        upgrade(url, "0010")
        statements: list[tuple[str, dict[str, Any]]] = [
            ("INSERT INTO sellers (key, legal_name, tax_id, tax_id_kind, updated_at)"
             " VALUES ('', 'Default LLC', '305000000', 'STIR', :at)", {"at": at}),
            ("INSERT INTO sellers (key, legal_name, tax_id, tax_id_kind, address, updated_at)"
             " VALUES ('web-1', 'Web One LLC', '7701234567', 'INN', 'Moscow, Arbat 1', :at)", {"at": at}),
        ]
        # the shared series: default 1, web-1 2, a shop without a seller (the default's) 3,
        # web-1 4, default 5; and 2025's, whose last number was web-1's 7
        invoices = [("a", None, 2026, 1), ("b", "web-1", 2026, 2), ("c", "plain", 2026, 3),
                    ("d", "web-1", 2026, 4), ("e", None, 2026, 5), ("f", "web-1", 2025, 7)]
        for name, shop, year, n in invoices:
            statements.append((OLD_PAYMENT, {"id": f"pay_{name}", "shop": shop, "at": at,
                                             "items": items if name == "b" else None}))
            statements.append((OLD_INVOICE, {"id": f"inv_{name}", "number": f"INV-{year}-{n:06d}",
                                             "payment": f"pay_{name}", "at": at}))
        statements += [
            ("INSERT INTO credit_notes (id, number, invoice_id, payment_id, amount, refunded_total, currency,"
             " issued_at) VALUES ('cn_b', 'CN-2026-000001', 'inv_b', 'pay_b', 1000, 1000, 'EUR', :at)", {"at": at}),
            ("INSERT INTO invoice_counters (year, last_number) VALUES (2026, 5), (2025, 7)", {}),
            ("INSERT INTO credit_note_counters (year, last_number) VALUES (2026, 1)", {}),
        ]
        run_sql(url, *statements)
        upgrade(url, "0011")
        sellers, documents, notes, counters, note_counters = run_sql(
            url,
            ("SELECT key, series, time_zone FROM sellers ORDER BY key", {}),
            ("SELECT id, number, seller_key, snapshot FROM invoices ORDER BY id", {}),
            ("SELECT id, number, seller_key, snapshot FROM credit_notes", {}),
            ("SELECT seller_key, year, last_number FROM invoice_counters ORDER BY seller_key, year", {}),
            ("SELECT seller_key, year, last_number FROM credit_note_counters ORDER BY seller_key, year", {}),
        )
        # the default seller keeps numbers without a series; web-1's are INV-WEB1-…
        assert [tuple(s) for s in sellers] == [("", None, "UTC"), ("web-1", "WEB1", "UTC")]
        kept = {row[0]: (row[1], row[2], row[3] if isinstance(row[3], dict) else json.loads(row[3]))
                for row in documents}
        assert {i: (n, key) for i, (n, key, _) in kept.items()} == {
            "inv_a": ("INV-2026-000001", ""), "inv_b": ("INV-2026-000002", "web-1"),
            "inv_c": ("INV-2026-000003", ""), "inv_d": ("INV-2026-000004", "web-1"),
            "inv_e": ("INV-2026-000005", ""), "inv_f": ("INV-2025-000007", "web-1")}
        web = kept["inv_b"][2]
        assert web["seller"] == {"key": "web-1", "legal_name": "Web One LLC", "address": "Moscow, Arbat 1",
                                 "tax_id": "7701234567", "tax_id_kind": "INN", "bank_details": None,
                                 "email": None, "phone": None, "series": "WEB1", "time_zone": "UTC"}
        assert web["buyer"] == {"user_id": "u1", "organization_id": None, "email": "u1@shop.example", "phone": None}
        assert [(line["title"], line["quantity"], line["unit_price"]) for line in web["lines"]] == [("Notebook", 3, 1_000)]
        assert web["totals"] == {"subtotal": 3_000, "discount": 0, "total": 3_000, "vat": 0}
        assert web["payment"] == {"id": "pay_b", "provider": "stripe", "promo_code": None}
        plain = kept["inv_c"][2]  # a shop without a seller of its own printed the default's
        assert plain["seller"]["legal_name"] == "Default LLC" and plain["seller"]["series"] is None
        assert [(line["title"], line["unit_price"]) for line in plain["lines"]] == [("Order", 3_000)]
        note = notes[0]
        note_kept = note[3] if isinstance(note[3], dict) else json.loads(note[3])
        assert (note[1], note[2]) == ("CN-2026-000001", "web-1")
        assert note_kept["seller"]["legal_name"] == "Web One LLC"
        assert [(line["title"], line["unit_price"]) for line in note_kept["lines"]] == [("Notebook", 1_000)]
        # next numbers: the default's INV-2026-000006, web-1's INV-WEB1-2026-000005, never one given
        assert [tuple(c) for c in counters] == [("", 2025, 7), ("", 2026, 5), ("web-1", 2025, 7), ("web-1", 2026, 4)]
        assert [tuple(c) for c in note_counters] == [("", 2026, 1), ("web-1", 2026, 1)]

        # and back: one series a year again, past every number any seller gave
        command.downgrade(alembic_config(url), "0010")
        (back,) = run_sql(url, ("SELECT year, last_number FROM invoice_counters ORDER BY year", {}))
        assert [tuple(c) for c in back] == [(2025, 7), (2026, 5)]
        upgrade(url, "0011")


def test_existing_stretches_are_valued_by_what_was_paid_and_keep_their_ends(tmp_path: Path) -> None:
    """Migration 0010: a trial is worth nothing, a purchase its payment net of refunds, a
    change its payment plus the old rule's extra time at the new price, capped at what the
    stretch before it held; no end date moves."""
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0009")
    at = "2026-01-01 00:00:00"
    with sqlite3.connect(path) as db:
        for tariff, amount in (("tar_a", 3000), ("tar_b", 6000)):
            db.execute("INSERT INTO tariffs (id, name, amount, currency, duration_days, is_active, recurring,"
                       " trial_days, created_at, updated_at) VALUES (?, 'T', ?, 'USD', 30, 1, 0, 14, ?, ?)",
                       (tariff, amount, at, at))
        for payment, amount, refunded, tariff in (("pay_a", 3000, 1000, "tar_a"), ("pay_b", 6000, 0, "tar_b")):
            db.execute("INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount,"
                       " purpose, tariff_id, metadata, created_at, updated_at, check_attempts,"
                       " save_payment_method, discount_amount) VALUES (?, 'u1', 'stripe', 'succeeded', ?, 'USD',"
                       " ?, 'tariff', ?, '{}', ?, ?, 0, 0, 0)", (payment, amount, refunded, tariff, at, at))
        db.execute("INSERT INTO subscriptions (id, user_id, owner, group_key, tariff_id, status, started_at,"
                   " current_period_start, current_period_end, period_number, auto_renew, cancel_at_period_end,"
                   " renewal_attempts, created_at, updated_at) VALUES ('sub_1', 'u1', 'user:u1', '', 'tar_b',"
                   " 'active', ?, '2026-01-15 00:00:00', '2026-03-06 00:00:00', 3, 1, 0, 0, ?, ?)", (at, at, at))
        for number, kind, tariff, payment, starts, ends in (
            (1, "trial", "tar_a", None, "2026-01-01 00:00:00", "2026-01-15 00:00:00"),
            (2, "purchase", "tar_a", "pay_a", "2026-01-15 00:00:00", "2026-02-14 00:00:00"),
            # the old rule: 30 days of B plus 20 days carried at list price (20 days of A's 3000 a month
            # at B's 6000 a month: 10 days, shown here as 20 to prove the cap at A's value)
            (3, "change", "tar_b", "pay_b", "2026-01-15 00:00:00", "2026-03-06 00:00:00"),
        ):
            db.execute("INSERT INTO subscription_periods (subscription_id, number, kind, tariff_id, payment_id,"
                       " starts_at, ends_at, created_at) VALUES ('sub_1', ?, ?, ?, ?, ?, ?, ?)",
                       (number, kind, tariff, payment, starts, ends, at))
    upgrade(url)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT number, value, currency, funded_by, ends_at FROM subscription_periods"
                          " ORDER BY number").fetchall()
        end = db.execute("SELECT current_period_end FROM subscriptions").fetchone()[0]
    assert [r[:4] for r in rows] == [
        (1, 0, "USD", None),
        (2, 2000, "USD", "pay_a"),  # 3000 paid, 1000 refunded
        (3, 6000 + 2000, "USD", "pay_b"),  # 20 days at 6000 a month is 4000, capped at pay_a's 2000
    ]
    assert [r[4][:19] for r in rows] == ["2026-01-15 00:00:00", "2026-02-14 00:00:00", "2026-03-06 00:00:00"]
    assert end.startswith("2026-03-06 00:00:00")


def test_a_shops_bin_and_device_token_move_into_its_sealed_credentials_and_back(tmp_path: Path) -> None:
    """Migration 0014: a Kaspi shop's BIN (a column) and device token (a sealed column) join
    its sealed credentials, sealed with the key kassa seals with, and what reads show of them
    (the BIN whole, the token's mask) into its prefixes; a shop without them keeps its
    credentials as they were. Downgrade puts both back into their columns."""
    key = "migration-test-key-0123456789abcdef"
    box = SecretBox(key)
    token = "0f4e1a3c-7d6b-4a55-9c2e-3b1f8e7d6a90"
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    shop = ("INSERT INTO merchants (shop_id, provider, organization_bin, device_token, credentials,"
            " credential_prefixes, device_token_prefix, is_active, description, created_at, updated_at)"
            " VALUES (:id, :provider, :bin, :token, :credentials, :prefixes, :prefix, true, NULL, :at, :at)")
    with old_database(tmp_path) as url:
        upgrade(url, "0013")
        run_sql(
            url,
            (shop, {"id": "kaspi-1", "provider": "kaspi", "bin": "990340005977", "token": box.seal(token),
                    "credentials": box.seal(json.dumps({"access_token": "gateway-token"})),
                    "prefixes": json.dumps({"access_token": "gate…****"}), "prefix": "0f4e1a3c…****", "at": at}),
            (shop, {"id": "kaspi-2", "provider": "kaspi", "bin": "990340005978", "token": None, "credentials": None,
                    "prefixes": "{}", "prefix": None, "at": at}),
            (shop, {"id": "stripe-1", "provider": "stripe", "bin": None, "token": None,
                    "credentials": box.seal(json.dumps({"secret_key": "sk_x"})),
                    "prefixes": json.dumps({"secret_key": "sk…****"}), "prefix": None, "at": at}),
        )
        upgrade(url, at_rest_key=key)
        (rows,) = run_sql(url, ("SELECT shop_id, credentials, credential_prefixes FROM merchants ORDER BY shop_id",
                                {}))
        assert [(r[0], json.loads(box.open(r[1]))) for r in rows] == [
            ("kaspi-1", {"access_token": "gateway-token", "organization_bin": "990340005977", "device_token": token}),
            ("kaspi-2", {"organization_bin": "990340005978"}),
            ("stripe-1", {"secret_key": "sk_x"}),
        ]
        assert [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in rows] == [
            {"access_token": "gate…****", "organization_bin": "990340005977", "device_token": "0f4e1a3c…****"},
            {"organization_bin": "990340005978"}, {"secret_key": "sk…****"}]
        command.downgrade(alembic_config(url, key), "0013")
        (back,) = run_sql(url, ("SELECT shop_id, organization_bin, device_token, device_token_prefix, credentials,"
                                " credential_prefixes FROM merchants ORDER BY shop_id", {}))
    assert [(r[0], r[1], r[2] and box.open(r[2]), r[3]) for r in back] == [
        ("kaspi-1", "990340005977", token, "0f4e1a3c…****"),
        ("kaspi-2", "990340005978", None, None),
        ("stripe-1", None, None, None),
    ]
    assert [r[4] and json.loads(box.open(r[4])) for r in back] == [
        {"access_token": "gateway-token"}, None, {"secret_key": "sk_x"}]
    assert [json.loads(r[5]) if isinstance(r[5], str) else r[5] for r in back] == [
        {"access_token": "gate…****"}, {}, {"secret_key": "sk…****"}]
