"""The fault suite: a storm of payments over 2 API processes and 2 workers on PostgreSQL,
Payme's callbacks three times over, concurrently and out of order, while an API process and
a worker are killed with SIGKILL, PostgreSQL restarts and Redis stops. Afterwards every
payment is in the state its provider says, every effect happened once, and every event
reached the subscriber at least once. The PostgreSQL cluster and the Redis server it kills
and restarts are its own (tests/throwaway.py), never the machine's.

What kassa says about its objects is read back through its list endpoints, a hundred a
page, so a read-back of ten thousand payments is a few hundred calls, well inside the
admin's rate limit; what no endpoint shows (outbox, deliveries, period rows, Stripe
customer ids) is read from the database.

KASSA_CHAOS_PAYMENTS sets the storm's size (`make chaos`: 400; `make test`: 60),
KASSA_CHAOS_RENEWALS the number of subscriptions falling due together (default 12); the
suite's waits grow with both.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kassa.core.security import mint_token
from kassa.events.signing import verify
from tests.conftest import Receiver, _free_port
from tests.throwaway import PostgresCluster, RedisServer

PAYMENTS = int(os.environ.get("KASSA_CHAOS_PAYMENTS", "60"))
RENEWING = int(os.environ.get("KASSA_CHAOS_RENEWALS", "12"))
PAGE = 100  # the contract's largest page_size
DB_NAME = "kassa_chaos"
SECRET = "chaos-secret-0123456789abcdef-0123456789abcdef"
PAYME_KEY = "chaos-payme-key"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{PAYME_KEY}".encode()).decode()}
ADMIN = {"Authorization": "Bearer " + mint_token(SECRET, "chaos-admin", role="admin",
                                                 expires_in=timedelta(hours=2))}


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    api_ports: list[int]
    services: Services
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        if name.startswith("api"):
            port = self.api_ports[int(name[-1]) - 1]
            args = ["serve", "--no-jobs", "--port", str(port)]
        else:
            args = ["worker"]
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "kassa", *args], cwd=self.workdir,
                                            env=self.env, stdout=log, stderr=log)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@dataclass
class Tally:
    http_errors: Counter[str] = field(default_factory=Counter)
    payme_errors: Counter[int] = field(default_factory=Counter)
    calls: int = 0
    list_calls: int = 0


@dataclass
class Services:
    """The fault suite's own PostgreSQL and Redis, which it is free to restart and stop."""

    postgres: PostgresCluster
    redis: RedisServer

    @property
    def database_url(self) -> str:
        return self.postgres.url(DB_NAME, "postgresql+asyncpg")

    @property
    def dsn(self) -> str:
        return self.postgres.url(DB_NAME, "postgres")


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    # a directory the `postgres` user can reach (pytest's own tmp tree is root's alone)
    parent = Path(tempfile.mkdtemp(prefix="kassa-chaos-"))
    parent.chmod(0o755)
    postgres, redis = PostgresCluster.create(parent), RedisServer.create(parent)
    postgres.start()
    redis.start()
    try:
        conn = await asyncpg.connect(postgres.url("postgres", "postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {DB_NAME}")
        finally:
            await conn.close()
        yield Services(postgres, redis)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
async def cluster(tmp_path: Path, services: Services) -> AsyncIterator[Cluster]:
    ports = [_free_port(), _free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KASSA_TEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis.url(), SECRET_KEY=SECRET, SANDBOX="true",
               PUBLIC_URL=f"http://127.0.0.1:{ports[0]}", PAYME_SECRET_KEY=PAYME_KEY,
               LOG_LEVEL="WARNING", IDEMPOTENCY_LOCK_SECONDS="3")
    subprocess.run([sys.executable, "-m", "kassa", "migrate"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=120)
    c = Cluster(env, tmp_path, ports, services)
    for name in ("api1", "api2", "worker1", "worker2"):
        c.start(name)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for port in ports:
                for _ in range(300):
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
        yield c
    finally:
        c.stop_all()


class Driver:
    """Clients of kassa and, for Payme's side, Payme itself: every call is retried until it
    gets a definitive answer, on whichever API process is up."""

    def __init__(self, cluster: Cluster, http: httpx.AsyncClient, tally: Tally) -> None:
        self.bases = [f"http://127.0.0.1:{p}" for p in cluster.api_ports]
        self.http = http
        self.tally = tally
        self.turn = itertools.count()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(400):
            base = self.bases[next(self.turn) % len(self.bases)]
            try:
                response = await self.http.request(method, base + path, **kwargs)
            except httpx.HTTPError as exc:
                self.tally.http_errors[type(exc).__name__] += 1
                await asyncio.sleep(0.05 * min(attempt, 20))
                continue
            if response.status_code >= 500 or (response.status_code == 409 and \
                    response.json().get("code") == "idempotency_conflict"):
                self.tally.http_errors[str(response.status_code)] += 1
                await asyncio.sleep(0.05 * min(attempt, 20))
                continue
            return response
        raise AssertionError(f"{method} {path} never got an answer")

    async def payme(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One Payme call, retried as Payme retries: until it is not a system error."""
        while True:
            self.tally.calls += 1
            response = await self.request("POST", "/webhooks/payme", headers=AUTH,
                                          json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            body: dict[str, Any] = response.json()
            code = body.get("error", {}).get("code")
            if code is not None:
                self.tally.payme_errors[code] += 1
            if code == -32400:
                await asyncio.sleep(0.1)
                continue
            return body

    async def three_times(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.payme(method, params) for _ in range(3))))

    async def listed(self, path: str, **params: str) -> list[dict[str, Any]]:
        """Every item of one of kassa's lists, as the admin reads it, a page at a time. Pages
        are offsets, exact only while the list holds still: so every page must report the
        same total, and the items must be that many, each once."""
        items: list[dict[str, Any]] = []
        total: int | None = None
        for page in itertools.count(1):
            self.tally.list_calls += 1
            response = await self.request("GET", path, headers=ADMIN,
                                          params={**params, "page": page, "page_size": PAGE})
            assert response.status_code == 200, (path, page, response.status_code, response.text)
            body = response.json()
            assert total in (None, body["total"]), f"{path} changed while it was read"
            total = body["total"]
            items += body["items"]
            if not body["items"] or len(items) >= body["total"]:
                break
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids)) == total, (path, len(ids), len(set(ids)), total)
        return items


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass
class Expected:
    payment_id: str
    kind: str
    owner: str
    amount: int
    status: str


async def one_payment(driver: Driver, i: int, tariff: dict[str, Any], rng: random.Random) -> Expected:
    kind = ("tariff", "wallet_topup", "one_off")[i % 3]
    user = f"chaos-user-{i}"
    org = f"chaos-org-{i % 5}"
    body: dict[str, Any] = {"provider": "payme", "amount": 10_000 + i, "currency": "UZS"}
    if kind == "tariff":
        body = {"provider": "payme", "amount": tariff["amount"], "currency": "UZS", "purpose": "tariff",
                "tariff_id": tariff["id"]}
    elif kind == "wallet_topup":
        body.update(purpose="wallet_topup", organization_id=org)
    token = mint_token(SECRET, user, orgs=[org], expires_in=timedelta(hours=2))
    created = await driver.request("POST", "/api/v1/payments", json=body, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": f"chaos-{i}"})
    assert created.status_code == 201, created.text
    payment = created.json()
    account = {"order_id": payment["id"]}
    payme_id, started = secrets.token_hex(12), int(time.time() * 1000)
    pay = rng.random() < 0.8

    # Out of order: the final call overtaking its Create, alongside three Creates.
    overtaking = ("PerformTransaction", {"id": payme_id}) if pay else \
        ("CancelTransaction", {"id": payme_id, "reason": 2})
    overtook, *creates = await asyncio.gather(
        driver.payme(*overtaking),
        *(driver.payme("CreateTransaction", {"id": payme_id, "time": started, "amount": payment["amount"],
                                             "account": account}) for _ in range(3)))
    # A Create whose answer a killed process lost is sent again (the driver retries as Payme
    # does); if the overtaking call finished the transaction meanwhile, that repeat is -31008
    # by Payme's rule, and so may every Create be. The transaction existed if either answered.
    assert any("result" in c for c in creates) or "result" in overtook, (overtook, creates)
    if pay:
        finals = await driver.three_times("PerformTransaction", {"id": payme_id})
        status = "succeeded"
    else:
        finals = await driver.three_times("CancelTransaction", {"id": payme_id, "reason": 2})
        status = "cancelled"
    results = [f["result"] for f in finals if "result" in f]
    assert results and all(r == results[0] for r in results), finals  # repeats answer identically
    owner = org if kind == "wallet_topup" else user
    return Expected(payment["id"], kind, owner, payment["amount"], status)


async def faults(cluster: Cluster, progress: list[int], total: int, log: list[str]) -> None:
    async def at(fraction: float) -> None:
        while progress[0] < total * fraction:
            await asyncio.sleep(0.02)

    await at(0.2)
    cluster.kill("api1")
    log.append("SIGKILL api1")
    await asyncio.sleep(1)
    cluster.start("api1")
    await at(0.35)
    cluster.kill("worker1")
    log.append("SIGKILL worker1")
    cluster.start("worker1")
    await at(0.5)
    await asyncio.to_thread(cluster.services.postgres.restart)
    log.append("PostgreSQL restarted")
    await at(0.65)
    cluster.services.redis.stop()
    log.append("Redis stopped")
    await asyncio.sleep(2)
    cluster.services.redis.start()
    log.append("Redis started")


async def test_storm(cluster: Cluster, receiver: Receiver) -> None:
    tally = Tally()
    rng = random.Random(7)
    async with httpx.AsyncClient(timeout=30) as http:
        driver = Driver(cluster, http, tally)
        hook = await driver.request("POST", "/api/v1/admin/webhook-endpoints", headers=ADMIN,
                                    json={"url": receiver.url})
        secret = hook.json()["secret"]
        tariff = (await driver.request("POST", "/api/v1/tariffs", headers=ADMIN, json={
            "name": "Chaos", "amount": 777_000, "currency": "UZS", "duration_days": 30})).json()

        progress = [0]
        fault_log: list[str] = []
        limit = asyncio.Semaphore(16)

        async def bounded(i: int) -> Expected:
            async with limit:
                result = await one_payment(driver, i, tariff, rng)
            progress[0] += 1
            return result

        started = time.monotonic()
        fault_task = asyncio.create_task(faults(cluster, progress, PAYMENTS, fault_log))
        expected = await asyncio.gather(*(bounded(i) for i in range(PAYMENTS)))
        await fault_task
        storm_seconds = time.monotonic() - started

        # Let the workers deliver everything: about three events a payment, so the wait
        # grows with the storm.
        delivered_by = time.monotonic()
        conn = await asyncpg.connect(cluster.services.dsn)
        try:
            deadline = time.monotonic() + 180 + PAYMENTS * 0.05
            while time.monotonic() < deadline:
                left = await conn.fetchval(
                    "SELECT (SELECT count(*) FROM outbox_events WHERE published_at IS NULL)"
                    " + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')")
                if left == 0:
                    break
                # rows a worker's relay holds are skipped, not waited for: waiting on them while
                # holding others deadlocked against the relay's own updates
                await conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id IN ("
                                   "SELECT id FROM webhook_deliveries WHERE status = 'pending' "
                                   "AND next_attempt_at > now() + interval '2 seconds' FOR UPDATE SKIP LOCKED)")
                await asyncio.sleep(0.5)
            assert left == 0, f"{left} events still undelivered"
            delivery_seconds = time.monotonic() - delivered_by
            # what no endpoint lists: the outbox, the deliveries, every subscription's period
            # rows (GET /subscriptions/{id}/periods is one subscription's), the whole ledger's size
            event_ids = {r["id"] for r in await conn.fetch("SELECT id FROM outbox_events")}
            periods = Counter(r["subscription_id"] for r in await conn.fetch(
                "SELECT subscription_id FROM subscription_periods"))
            dead = await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'dead'")
            entries = await conn.fetchval("SELECT count(*) FROM wallet_entries")
        finally:
            await conn.close()

        read_from = time.monotonic()
        statuses = {p["id"]: p["status"] for p in await driver.listed("/api/v1/payments")}
        invoices = await driver.listed("/api/v1/invoices")
        subscriptions = await driver.listed("/api/v1/subscriptions")
        orgs = sorted({f"chaos-org-{i % 5}" for i in range(PAYMENTS)})
        ledger = [r for org in orgs for r in await driver.listed(f"/api/v1/wallets/{org}/transactions")]
        read_seconds = time.monotonic() - read_from

    assert set(statuses) == {e.payment_id for e in expected}  # every payment made, and no other
    wrong = [(e.payment_id, e.status, statuses[e.payment_id]) for e in expected if statuses[e.payment_id] != e.status]
    succeeded = [e for e in expected if e.status == "succeeded"]
    numbers = sorted(i["number"] for i in invoices)
    subs = {s["user_id"]: s for s in subscriptions}
    received_ids = set()
    for headers, body in receiver.received:
        assert verify(secret, body, headers["kassa-signature"], tolerance=3600)
        received_ids.add(json.loads(body)["id"])
    missing = event_ids - received_ids

    print(f"\nchaos storm: {PAYMENTS} payments in {storm_seconds:.1f}s, {tally.calls} Payme calls; "
          f"faults: {', '.join(fault_log)}")
    print(f"  payments: {dict(Counter(statuses.values()))}; wrong state: {len(wrong)}")
    print(f"  invoices: {len(invoices)} for {len(succeeded)} succeeded; ledger entries: {len(ledger)}; "
          f"subscriptions: {sum(1 for s in subscriptions if s['status'] == 'active')} active")
    print(f"  events: {len(event_ids)} written, {len(received_ids)} distinct received, "
          f"{len(receiver.received)} deliveries, {len(missing)} missing, {dead} dead; "
          f"the last delivered {delivery_seconds:.1f}s after the storm")
    print(f"  read back with {tally.list_calls} list calls in {read_seconds:.1f}s")
    print(f"  transport retries: {dict(tally.http_errors)}; Payme errors seen: {dict(tally.payme_errors)}")

    assert not wrong
    assert tally.http_errors["500"] == 0  # an outage is a 503 (or Payme's -32400), never a 500
    assert len(invoices) == len(succeeded)
    assert sorted(i["payment_id"] for i in invoices) == sorted(e.payment_id for e in succeeded)
    assert numbers == [f"INV-{n[4:8]}-{i:06d}" for i, n in enumerate(numbers, 1)]  # gap-free
    topups = [e for e in succeeded if e.kind == "wallet_topup"]
    assert entries == len(ledger)  # no entry outside the storm's organisations
    assert sorted(r["payment_id"] for r in ledger) == sorted(e.payment_id for e in topups)
    for org in {e.owner for e in topups}:
        assert sum(r["amount"] for r in ledger if r["organization_id"] == org) == \
            sum(e.amount for e in topups if e.owner == org)
    assert len(subs) == len(subscriptions)  # one subscription a buyer
    for exp in (e for e in expected if e.kind == "tariff"):
        sub = subs.get(exp.owner)
        if exp.status == "succeeded":
            assert sub is not None and sub["status"] == "active" and periods[sub["id"]] == 1
            span = moment(sub["current_period_end"]) - moment(sub["current_period_start"])
            assert span == timedelta(days=30)  # extended once
        else:
            assert sub is None
    assert not missing and dead == 0


async def test_renewals_through_a_worker_kill_and_a_database_restart(cluster: Cluster) -> None:
    """Recurring subscriptions on saved Stripe cards fall due together (the sandbox clock is
    moved to an hour before their periods end); while the two workers charge them, one is
    SIGKILLed and PostgreSQL restarts. Afterwards every period is renewed exactly once,
    Stripe (the emulator in api1, which stays up as a provider would) holds one renewal
    intent per subscription, and every declined card's subscription is past due."""
    tally = Tally()
    async with httpx.AsyncClient(timeout=30) as http:
        driver = Driver(cluster, http, tally)
        tariff = (await driver.request("POST", "/api/v1/tariffs", headers=ADMIN, json={
            "name": "Monthly", "amount": 1_500, "currency": "USD", "duration_days": 30,
            "recurring": True})).json()
        limit = asyncio.Semaphore(16)

        async def subscribed(i: int) -> tuple[str, str, bool]:
            """A customer who bought the tariff with a saved card; every fourth then swaps
            it for one that Stripe declines."""
            user = f"renewing-{i}"
            headers = {"Authorization": "Bearer " + mint_token(SECRET, user, expires_in=timedelta(hours=2))}
            async with limit:
                card = (await driver.request("POST", "/api/v1/payment-methods", headers=headers, json={
                    "provider": "stripe", "token": "pm_card_visa"})).json()
                bought = (await driver.request("POST", f"/api/v1/tariffs/{tariff['id']}/purchase",
                                               headers=headers, json={"provider": "stripe",
                                                                      "payment_method_id": card["id"]})).json()
                assert bought["status"] == "succeeded", bought
                declining = i % 4 == 3
                if declining:
                    dry = (await driver.request("POST", "/api/v1/payment-methods", headers=headers, json={
                        "provider": "stripe", "token": "pm_card_chargeCustomerFail"})).json()
                    changed = await driver.request(
                        "PATCH", f"/api/v1/subscriptions/{bought['subscription_id']}", headers=headers,
                        json={"payment_method_id": dry["id"]})
                    assert changed.status_code == 200, changed.text
            return user, bought["subscription_id"], declining

        started = time.monotonic()
        subs = list(await asyncio.gather(*(subscribed(i) for i in range(RENEWING))))
        setup_seconds = time.monotonic() - started
        due_from = time.monotonic()

        conn = await asyncpg.connect(cluster.services.dsn)
        try:
            await conn.execute(
                "INSERT INTO sandbox_clock (id, offset_seconds) VALUES (1, $1)"
                " ON CONFLICT (id) DO UPDATE SET offset_seconds = $1", 30 * 86_400 - 3_600)
            faults_log: list[str] = []
            deadline = time.monotonic() + 60 + RENEWING * 0.05
            while time.monotonic() < deadline and not await conn.fetchval(
                    "SELECT count(*) FROM payments WHERE billing_period IS NOT NULL"):
                await asyncio.sleep(0.05)
            cluster.kill("worker1")
            faults_log.append("SIGKILL worker1 in the middle of the renewals")
        finally:
            await conn.close()
        await asyncio.to_thread(cluster.services.postgres.restart)
        faults_log.append("PostgreSQL restarted")
        cluster.start("worker1")

        # a charge the killed worker left half-made waits out its lease (billing time)
        conn = await asyncpg.connect(cluster.services.dsn)
        try:
            await conn.execute("UPDATE sandbox_clock SET offset_seconds = offset_seconds + 600")
            deadline = time.monotonic() + 120 + RENEWING * 0.5
            while time.monotonic() < deadline:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM subscriptions WHERE status = 'active' AND period_number < 2"
                    " AND owner LIKE 'user:renewing-%'")
                if waiting == 0:
                    break
                await asyncio.sleep(0.5)
            renewing_seconds = time.monotonic() - due_from
            # what no endpoint shows: a subscription's period number, a customer's Stripe id
            period_numbers = {r["id"]: r["period_number"] for r in await conn.fetch(
                "SELECT id, period_number FROM subscriptions")}
            customers = {r["owner"]: r["customer_id"] for r in await conn.fetch(
                "SELECT owner, customer_id FROM provider_customers WHERE provider = 'stripe'")}
        finally:
            await conn.close()

        statuses = {s["id"]: s["status"] for s in await driver.listed("/api/v1/subscriptions")}
        renewals: dict[str, list[tuple[int, str]]] = {}
        for payment in await driver.listed("/api/v1/payments"):
            if payment["billing_period"] is not None:
                renewals.setdefault(payment["subscription_id"], []).append(
                    (payment["billing_period"], payment["status"]))

        async def intents_of(user: str) -> int:
            """Stripe's side, asked as a merchant would, a customer at a time: the emulator's
            list has no `starting_after`, and no rate limit."""
            async with limit:
                listed = await http.get(
                    f"http://127.0.0.1:{cluster.api_ports[0]}/sandbox/stripe/v1/payment_intents",
                    params={"customer": customers[f"user:{user}"], "limit": 100},
                    headers={"Authorization": "Bearer sk_test_kassa_sandbox"})
            assert listed.status_code == 200, listed.text
            return len(listed.json()["data"])

        counts = await asyncio.gather(*(intents_of(user) for user, _, _ in subs))
        intents = {user: n for (user, _, _), n in zip(subs, counts, strict=True)}

    renewed = sum(1 for _, sub_id, bad in subs if not bad and period_numbers[sub_id] == 2)
    print(f"\nchaos renewals: {len(subs)} subscriptions due at once (made in {setup_seconds:.1f}s); "
          f"faults: {', '.join(faults_log)}; {renewed} renewed, {sum(1 for s in subs if s[2])} declined "
          f"in {renewing_seconds:.1f}s; Stripe intents per customer: {dict(Counter(intents.values()))}; "
          f"read back with {tally.list_calls} list calls; transport retries: {dict(tally.http_errors)}")
    assert set(statuses) == {sub_id for _, sub_id, _ in subs}
    for user, sub_id, declining in subs:
        found = (statuses[sub_id], period_numbers[sub_id], renewals.get(sub_id, []))
        if declining:
            assert found[0] == "past_due" and found[2] == [(2, "failed")], (user, found)
        else:
            assert found == ("active", 2, [(2, "succeeded")]), (user, found)
        assert intents[user] == 2, (user, intents[user])  # the purchase's and one renewal's: never two
    assert tally.http_errors["500"] == 0
