"""The renewal backlog: N subscriptions due at once (a month's renewals falling due on the
1st), renewed by W `kassa worker` processes with saved Stripe cards against the Stripe
emulator, which the API process serves with the sandboxes on (one process: the emulator's
customers live in its memory); Stripe's webhooks come back to that process. Measures renewals a second
from the first renewal payment written to the last one succeeded, and checks that every
subscription was charged exactly once for its next period.

The subscriptions are made by cloning one bought through the API (same customer and card,
each in its own group, so each is a separate live subscription), with what its purchase
left (payment, provider events, invoice, period); what the workers do per
renewal is exactly what they do for any subscription: claim, write the payment, charge the
card at Stripe, apply the answer (invoice, events, audit), move the subscription.

`make bench` runs it with BENCH_SCENARIOS containing "renewals"; alone:
`BENCH_RENEWALS=10000 BENCH_RENEWAL_WORKERS=2 .venv/bin/python -m bench.renewals`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.run import SECRET, free_port, fresh_postgres, rss_mb, start, wait_ready
from kassa.core.security import mint_token

COUNT = int(os.environ.get("BENCH_RENEWALS", "10000"))
WORKERS = int(os.environ.get("BENCH_RENEWAL_WORKERS", "2"))
DEADLINE = float(os.environ.get("BENCH_RENEWAL_DEADLINE", "900"))


async def bought_subscription(base: str) -> str:
    """One subscription bought through the API with a saved Stripe card."""
    admin = {"Authorization": f"Bearer {mint_token(SECRET, 'bench-admin', role='admin')}"}
    user = {"Authorization": f"Bearer {mint_token(SECRET, 'bench-subscriber', expires_in=timedelta(hours=2))}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        tariff = (await http.post("/api/v1/tariffs", headers=admin, json={
            "name": "Monthly", "amount": 1_990, "currency": "USD", "duration_days": 30, "recurring": True})).json()
        card = (await http.post("/api/v1/payment-methods", headers=user,
                                json={"provider": "stripe", "token": "pm_card_visa"})).json()
        bought = await http.post(f"/api/v1/tariffs/{tariff['id']}/purchase", headers=user,
                                 json={"provider": "stripe", "payment_method_id": card["id"]})
        assert bought.status_code == 201 and bought.json()["status"] == "succeeded", bought.text
        return str(bought.json()["subscription_id"])


async def clone_due(dsn: str, template: str, count: int) -> None:
    """`count` live subscriptions like `template`, each in its own group, all due now, each
    with the history its purchase left: its payment, the provider's events, its invoice
    (numbered on in the year's series) and its first period. A backlog of renewals is of
    subscriptions bought a period ago, so the tables the renewals read and check their
    references against hold a row per subscription already; on tables of one row,
    PostgreSQL plans a scan of the table, and a backend keeps the plans it makes for its
    foreign-key checks and a connection its prepared statements while the tables grow
    (autovacuum, whose ANALYZE would have them made again, is off on some servers)."""
    pg = await asyncpg.connect(dsn)
    try:
        bought = "(SELECT id FROM payments WHERE subscription_id = $1)"
        year, last = await pg.fetchrow(
            "SELECT year, last_number FROM invoice_counters WHERE seller_key = '' "
            "ORDER BY year DESC LIMIT 1")  # the default seller's series: the bench sets no seller
        async with pg.transaction():
            await _clone(pg, "subscriptions", "id = $1", template, count, {
                "id": "'sub_bench_' || g", "group_key": "'bench-' || g",
                "current_period_end": "now() - interval '1 second'",
                "next_attempt_at": "now() - interval '1 second'",
                "last_payment_id": _renamed("last_payment_id")})
            await _clone(pg, "payments", "subscription_id = $1", template, count, {
                "id": _renamed("id"), "subscription_id": "'sub_bench_' || g",
                "provider_payment_id": _renamed("provider_payment_id"),
                "idempotency_key": _renamed("idempotency_key")})
            await _clone(pg, "provider_events", f"payment_id IN {bought}", template, count, {
                "id": None, "event_id": _renamed("event_id"), "payment_id": _renamed("payment_id")})
            await _clone(pg, "invoices", f"payment_id IN {bought}", template, count, {
                "id": _renamed("id"), "payment_id": _renamed("payment_id"),
                "number": f"'INV-{year}-' || lpad(({last} + g - 1)::text, 6, '0')"})
            await pg.execute("UPDATE invoice_counters SET last_number = $1 WHERE seller_key = '' "
                             "AND year = $2", last + count - 1, year)
            await _clone(pg, "subscription_periods", "subscription_id = $1", template, count, {
                "id": None, "subscription_id": "'sub_bench_' || g", "payment_id": _renamed("payment_id")})
            await pg.execute("UPDATE subscriptions SET current_period_end = now() - interval '1 second', "
                             "next_attempt_at = now() - interval '1 second' WHERE id = $1", template)
        await pg.execute("ANALYZE")  # as bench.run.analyze: plans for the tables as they are now
    finally:
        await pg.close()


def _renamed(column: str) -> str:
    """The copy's value of a unique text column: short enough for an id column (40)."""
    return f"left({column}, 32) || '_' || g"


async def _clone(pg: asyncpg.Connection, table: str, rows: str, template: str, count: int,
                 changed: dict[str, str | None]) -> None:
    """The template's `rows` of `table` copied for g = 2..count, with the `changed` columns
    computed from g (None: left to the column's default)."""
    columns = [r["column_name"] for r in await pg.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table)
        if changed.get(r["column_name"], "") is not None]
    chosen = ", ".join(changed.get(c) or c for c in columns)
    await pg.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} "
                     f"FROM {table}, generate_series(2, {count}) AS g WHERE {rows}", template)


async def progress(dsn: str) -> dict[str, Any]:
    pg = await asyncpg.connect(dsn)
    try:
        row = await pg.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'succeeded') AS renewed, count(*) AS made,"
            " count(DISTINCT (subscription_id, billing_period)) AS distinct_periods,"
            " min(created_at) AS first, max(paid_at) AS last"
            " FROM payments WHERE billing_period = 2")
        moved = await pg.fetchval("SELECT count(*) FROM subscriptions WHERE period_number = 2")
        # the year's series holds every number it issued: as many invoices as numbers
        missing = await pg.fetchval(
            "SELECT CAST((SELECT sum(last_number) FROM invoice_counters) - (SELECT count(*) FROM invoices) AS BIGINT)")
        invoices = await pg.fetchval(
            "SELECT count(*) FROM invoices i JOIN payments p ON p.id = i.payment_id WHERE p.billing_period = 2")
        return {**dict(row), "moved": moved, "invoices": invoices, "numbers_missing": missing}
    finally:
        await pg.close()


def run(workdir: Path) -> dict[str, Any]:
    url = asyncio.run(fresh_postgres("kassa_bench_renewals"))
    dsn = url.replace("postgresql+asyncpg", "postgres")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET, LOG_LEVEL="WARNING", SANDBOX="true",
               PUBLIC_URL=f"http://127.0.0.1:{port}", REDIS_URL="redis://127.0.0.1:6379/12",
               RATE_LIMIT_PER_MINUTE="100000000", RATE_LIMIT_SERVICE_PER_MINUTE="100000000",
               RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000000", WEBHOOK_FAILURES_PER_MINUTE="100000000")
    # one API process: the Stripe emulator keeps its customers and cards in its memory
    api = start([sys.executable, "-m", "kassa", "serve", "--no-jobs", "--port", str(port), "--workers", "1"],
                env, workdir)
    workers: list[Any] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/ready")
        template = asyncio.run(bought_subscription(base))
        asyncio.run(clone_due(dsn, template, COUNT))
        started = time.monotonic()
        workers = [start([sys.executable, "-m", "kassa", "worker"], env, workdir) for _ in range(WORKERS)]
        seen: dict[str, Any] = {}
        while time.monotonic() - started < DEADLINE:
            time.sleep(1)
            seen = asyncio.run(progress(dsn))
            if seen["renewed"] >= COUNT and seen["moved"] >= COUNT:
                break
        memory = max(rss_mb(w.pid) for w in workers)
    finally:
        for process in (*workers, api):
            process.terminate()
        for process in (*workers, api):
            process.wait(timeout=60)
    span = (seen["last"] - seen["first"]).total_seconds() if seen.get("first") and seen.get("last") else None
    return {
        "subscriptions": COUNT, "workers": WORKERS, "renewed": seen["renewed"], "payments": seen["made"],
        "moved": seen["moved"], "invoices": seen["invoices"], "invoice_numbers_missing": seen["numbers_missing"],
        "doubled": seen["made"] - seen["distinct_periods"],  # a second payment for one period
        "seconds": round(span, 1) if span else None,
        "renewals_per_s": round(seen["renewed"] / span, 1) if span else None,
        "worker_rss_mb": memory,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(Path(tmp)), default=str))


if __name__ == "__main__":
    main()
