"""The load generator: wrk (Debian's package), one connection a thread, walking a scenario
written in bench/wrk/kassa.lua. A C driver leaves the 2 cores to the servers under test; the
Python driver kassa used before saturated first and capped every cell at ~135 requests/s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve().parent / "wrk" / "kassa.lua"


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: apt-get install wrk (the benchmark's load generator)")
    return found


def connections_a_process(port: int) -> str:
    """How the server's processes share the load's open connections, largest first ("37/27";
    "" without iproute2's `ss`). Each process keeps the connections it accepted, and which
    one accepts a new connection is a race between them: a process holding more than its
    share answers each of its clients later, which can widen the cell's tail (create at 64
    clients over 2 processes: p99 3.2-3.4 times p50 in cells split 43/21 and 38/26, about
    2 times at 33/31; docs/scaling.md)."""
    ss = shutil.which("ss")
    if ss is None:
        return ""
    listed = subprocess.run([ss, "-Htnp", "state", "established", f"( sport = :{port} )"],
                            capture_output=True, text=True, check=False).stdout  # fmt: skip
    shares = Counter(re.findall(r"pid=(\d+)", listed))
    return "/".join(str(n) for n in sorted(shares.values(), reverse=True))


def drive(
    base: str,
    scenario: str,
    clients: int,
    seconds: float,
    *,
    token: str = "",
    payme_auth: str = "",
    payme_path: str = "/webhooks/payme",
    orders: list[str] | None = None,
    read_id: str = "",
) -> dict[str, Any]:
    """Runs one cell; returns throughput, latency percentiles, errors and (cycle) paid ids."""
    with tempfile.TemporaryDirectory() as tmp:
        orders_file = Path(tmp) / "orders.txt"
        orders_file.write_text("\n".join(orders or []) + "\n")
        env = {
            **os.environ,
            "BENCH_SCENARIO": scenario,
            "BENCH_TOKEN": token,
            "BENCH_PAYME_AUTH": payme_auth,
            "BENCH_PAYME_PATH": payme_path,
            "BENCH_ORDERS": str(orders_file),
            "BENCH_READ_ID": read_id,
            "BENCH_OUT": tmp,
            "BENCH_THREADS": str(clients),
            "BENCH_RUN": str(int(time.time() * 1000) % 2**31),
        }
        load = subprocess.Popen(
            [wrk_binary(), "-t", str(clients), "-c", str(clients), "-d", f"{seconds:g}s",
             "--timeout", "30s", "-s", str(SCRIPT), base],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            time.sleep(min(1.0, seconds / 3))  # every connection made, the load under way
            shares = connections_a_process(urlsplit(base).port or 80)
            stdout, stderr = load.communicate(timeout=seconds + 120)
        finally:
            if load.poll() is None:  # interrupted or timed out: no load left behind
                load.kill()
                load.wait()
        if load.returncode != 0:
            raise subprocess.CalledProcessError(load.returncode, load.args, stdout, stderr)
        line = next(row for row in reversed(stdout.splitlines()) if row.startswith("{"))
        raw = json.loads(line)
        paid = [row for f in Path(tmp).glob("*.txt") if f.name != "orders.txt"
                for row in f.read_text().split()]
    elapsed = raw["duration_us"] / 1e6
    transport = sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    return {
        "scenario": scenario,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": raw["requests"],
        "units": raw["units"],
        "errors": raw["status"] + transport + raw["rpc_errors"],
        "starved": raw["starved"],
        "rps": round(raw["requests"] / elapsed, 1),
        "units_per_s": round(raw["units"] / elapsed, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "connections": shares,
        "paid": paid,
    }
