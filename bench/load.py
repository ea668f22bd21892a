"""The load generator, run as its own process: N concurrent clients for a fixed time against
one scenario; prints one JSON line of throughput, latency percentiles and errors.

    python -m bench.load '{"base": "http://127.0.0.1:8000", "scenario": "create", "clients": 16,
                           "seconds": 5, "token": "...", "payme_auth": "Basic ..."}'
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from typing import Any

import httpx


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.latencies: list[float] = []
        self.errors = 0
        self.units = 0  # scenario iterations completed (payments for the cycles)
        self.paid: list[str] = []

    async def timed(self, http: httpx.AsyncClient, method: str, url: str, **kw: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await http.request(method, url, **kw)
        except httpx.HTTPError:
            self.errors += 1
            return None
        self.latencies.append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.errors += 1
        return response

    async def create(self, http: httpx.AsyncClient) -> str | None:
        response = await self.timed(http, "POST", "/api/v1/payments", json={
            "provider": "payme", "amount": 100_000, "currency": "UZS"},
            headers={"Authorization": f"Bearer {self.spec['token']}", "Idempotency-Key": secrets.token_hex(8)})
        return response.json()["id"] if response is not None and response.status_code == 201 else None

    async def payme(self, http: httpx.AsyncClient, payment_id: str, duplicate: bool) -> bool:
        headers = {"Authorization": self.spec["payme_auth"]}
        account = {"order_id": payment_id}
        payme_id = secrets.token_hex(12)
        calls = [("CheckPerformTransaction", {"amount": 100_000, "account": account}),
                 ("CreateTransaction", {"id": payme_id, "time": int(time.time() * 1000), "amount": 100_000,
                                        "account": account}),
                 ("PerformTransaction", {"id": payme_id})]
        for method, params in calls:
            copies = 2 if duplicate and method != "CheckPerformTransaction" else 1
            path = self.spec.get("payme_path", "/webhooks/payme")
            answers = await asyncio.gather(*(self.timed(http, "POST", path, headers=headers, json={
                "jsonrpc": "2.0", "id": 1, "method": method, "params": params}) for _ in range(copies)))
            if not any(a is not None and "result" in a.json() for a in answers):
                self.errors += 1
                return False
        return True

    async def client(self, http: httpx.AsyncClient, deadline: float, pool: list[str]) -> None:
        scenario = self.spec["scenario"]
        while time.perf_counter() < deadline:
            if scenario in ("create", "floor"):
                if scenario == "floor":
                    await self.timed(http, "POST", "/insert")
                elif await self.create(http) is None:
                    continue
                self.units += 1
            elif scenario == "cycle":
                payment_id = await self.create(http)
                if payment_id and await self.payme(http, payment_id, duplicate=True):
                    self.units += 1
                    self.paid.append(payment_id)
            elif scenario == "payme":
                if not pool:
                    return
                if await self.payme(http, pool.pop(), duplicate=False):
                    self.units += 1
            elif scenario == "read":
                await self.timed(http, "GET", f"/api/v1/payments/{pool[0]}",
                                 headers={"Authorization": f"Bearer {self.spec['token']}"})
                self.units += 1

    async def run(self) -> dict[str, Any]:
        clients, seconds = int(self.spec["clients"]), float(self.spec["seconds"])
        limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
        async with httpx.AsyncClient(base_url=self.spec["base"], timeout=60, limits=limits) as http:
            pool: list[str] = [str(o) for o in self.spec.get("orders", [])]
            if self.spec["scenario"] in ("payme", "read") and not pool:
                wanted = 1 if self.spec["scenario"] == "read" else int(self.spec.get("prepare", 3000))
                sem = asyncio.Semaphore(32)

                async def prep() -> None:
                    async with sem:
                        pid = await self.create(http)
                        if pid:
                            pool.append(pid)

                await asyncio.gather(*(prep() for _ in range(wanted)))
                self.latencies.clear()
                self.errors = 0
            started = time.perf_counter()
            await asyncio.gather(*(self.client(http, started + seconds, pool) for _ in range(clients)))
            elapsed = time.perf_counter() - started
        return {
            "scenario": self.spec["scenario"], "clients": clients, "seconds": round(elapsed, 2),
            "requests": len(self.latencies), "units": self.units, "errors": self.errors,
            "rps": round(len(self.latencies) / elapsed, 1), "units_per_s": round(self.units / elapsed, 1),
            "p50_ms": round(percentile(self.latencies, 0.50) * 1000, 2),
            "p95_ms": round(percentile(self.latencies, 0.95) * 1000, 2),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 2),
            "paid": self.paid if self.spec.get("return_paid") else [],
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(Load(json.loads(sys.argv[1])).run())))
