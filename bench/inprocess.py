"""CPU per request inside one kassa process, without the network or a load generator:
payments created through the API and paid through Payme's Merchant API (CheckPerform,
Create, PerformTransaction), one request at a time, on a fresh PostgreSQL database with
Redis. Each request's CPU is counted from the moment the ASGI app is called until it
returns (the process's user and kernel time; time spent waiting for PostgreSQL or Redis is
not CPU), so the client's own work is left out.

On a machine whose speed wanders, requests a second under wrk move by a third between
runs; this figure moves by a few per cent, so two versions run one after the other can be
compared: run it in each (`git worktree add /tmp/base <commit>`, then
`PYTHONPATH=/tmp/base python -m bench.inprocess` from /tmp/base).

`make bench` runs it when BENCH_SCENARIOS contains "inprocess"; alone:
`.venv/bin/python -m bench.inprocess`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import uvloop

from bench.run import PAYME_KEY, SECRET, fresh_postgres
from kassa.core.security import mint_token

ROUNDS = int(os.environ.get("BENCH_INPROCESS_ROUNDS", "10"))
PER_ROUND = 40  # payments a round
AMOUNT = 500_000
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def configure(url: str) -> None:
    """kassa as deployed (no sandboxes), Payme configured, limits out of the way."""
    os.environ.update(
        DATABASE_URL=url, SECRET_KEY=SECRET, PAYME_SECRET_KEY=PAYME_KEY, SANDBOX="false",
        PAYME_MERCHANT_ID="5e730e8e0b852a417aa49ceb", LOG_LEVEL="WARNING",
        REDIS_URL="redis://127.0.0.1:6379/13", RATE_LIMIT_PER_MINUTE="100000000",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000000",
    )  # fmt: skip


class Metered:
    """The app, with the CPU each request spent inside it added to `spent`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.spent = 0.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.spent += time.process_time() - started


async def measure() -> dict[str, Any]:
    from kassa.app import serve_app  # after configure(): settings are read when it is built

    app = serve_app()
    metered = Metered(app)
    payme = {"Authorization": "Basic " + base64.b64encode(f"Paycom:{PAYME_KEY}".encode()).decode()}
    user = {"Authorization": "Bearer " + mint_token(SECRET, "bench-inprocess")}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=metered)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as client:

            async def create() -> str:
                answer = await client.post(
                    "/api/v1/payments", json={"provider": "payme", "amount": AMOUNT, "currency": "UZS"},
                    headers={**user, "Idempotency-Key": secrets.token_hex(8)})  # fmt: skip
                assert answer.status_code == 201, answer.text
                return str(answer.json()["id"])

            async def pay(payment_id: str) -> None:
                tx, account = secrets.token_hex(12), {"order_id": payment_id}
                for method, params in (
                    ("CheckPerformTransaction", {"amount": AMOUNT, "account": account}),
                    ("CreateTransaction", {"id": tx, "time": int(time.time() * 1000), "amount": AMOUNT,
                                           "account": account}),
                    ("PerformTransaction", {"id": tx}),
                ):  # fmt: skip
                    answer = await client.post("/webhooks/payme", headers=payme, json={
                        "jsonrpc": "2.0", "id": 1, "method": method, "params": params})  # fmt: skip
                    assert "result" in answer.json(), answer.text

            for _ in range(20):  # warm: statements prepared, caches filled
                await pay(await create())
            creates, calls = [], []
            for _ in range(ROUNDS):
                metered.spent = 0.0
                made = [await create() for _ in range(PER_ROUND)]
                creates.append(1000 * metered.spent / PER_ROUND)
                metered.spent = 0.0
                for payment_id in made:
                    await pay(payment_id)
                calls.append(1000 * metered.spent / (3 * PER_ROUND))
    return {
        # the least a round cost: other processes on the machine only ever add to it
        "create_cpu_ms": round(min(creates), 3),
        "payme_call_cpu_ms": round(min(calls), 3),
        "rounds": ROUNDS,
        "payments": ROUNDS * PER_ROUND,
    }


def run() -> dict[str, Any]:
    from kassa.services.ops.upkeep import migrate

    url = asyncio.run(fresh_postgres("kassa_bench_inprocess"))
    migrate(url)
    configure(url)
    return uvloop.run(measure())


def report(found: dict[str, Any]) -> str:
    return ("\n\n**CPU per request inside one process** (bench/inprocess.py: one request at a time, "
            "PostgreSQL + Redis, the cheapest of 10 rounds of 40 payments):\n\n"
            "| create payment | Payme call | payments |\n|---|---|---|\n"
            f"| {found['create_cpu_ms']} ms | {found['payme_call_cpu_ms']} ms | {found['payments']} |")  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(run()))
