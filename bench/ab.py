"""Two versions of kassa under the same load, cell by cell, to compare them on a machine
whose speed wanders: this one and another checkout (`git worktree add /tmp/base <commit>`),
both serving at once (2 processes each, own databases), their Payme cells alternated so
that each pair of cells shares the machine's mood of the moment.

`make bench` runs its cells one kind after another; here, minutes apart, a version's cell
moved by a third between runs and hid a fifth of CPU saved. Alternated, every pair tells.

    .venv/bin/python -m bench.ab /tmp/base            # 4 rounds of 4 s cells
    BENCH_AB_ROUNDS=6 .venv/bin/python -m bench.ab /tmp/base
    BENCH_AB_SCENARIO=cycle .venv/bin/python -m bench.ab /tmp/base  # create + Payme, repeats
    BENCH_AB_SCENARIO=create .venv/bin/python -m bench.ab /tmp/base  # payments created
    BENCH_AB_SCENARIO=read .venv/bin/python -m bench.ab /tmp/base  # a payment read by its owner
    BENCH_AB_CLIENTS=64,256 .venv/bin/python -m bench.ab /tmp/base  # other client counts

Prints each cell and, per version and client count, the medians of payments a second,
server CPU per call and p99, and the largest resident set a process had after any of its
cells; a cycle cell also counts payments lost or paid twice.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import run as bench
from kassa.core.security import mint_token

ROUNDS = int(os.environ.get("BENCH_AB_ROUNDS", "4"))
SCENARIO = os.environ.get("BENCH_AB_SCENARIO", "payme")  # or "cycle", "create", "read"
CLIENTS = [int(c) for c in os.environ.get("BENCH_AB_CLIENTS", "16,64").split(",")]
HERE = Path(__file__).resolve().parent.parent


def serve(tree: Path, name: str, redis_db: int, workdir: Path) -> tuple[str, str, subprocess.Popen[bytes]]:
    """kassa from `tree` as `make bench` runs it: no sandboxes, Payme configured."""
    url = asyncio.run(bench.fresh_postgres(name))
    port = bench.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=url, SECRET_KEY=bench.SECRET, PAYME_SECRET_KEY=bench.PAYME_KEY,
               LOG_LEVEL="WARNING", SANDBOX="false", PAYME_MERCHANT_ID="5e730e8e0b852a417aa49ceb",
               PUBLIC_URL=f"http://127.0.0.1:{port}", RATE_LIMIT_PER_MINUTE="100000000",
               RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000000", WEBHOOK_FAILURES_PER_MINUTE="100000000",
               REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}", PYTHONPATH=str(tree))  # fmt: skip
    subprocess.run(["redis-cli", "-n", str(redis_db), "flushdb"], capture_output=True, check=False)
    args = [sys.executable, "-m", "kassa", "serve", "--no-jobs", "--port", str(port), "--workers", "2"]
    proc = bench.start(args, env, workdir)
    address = f"http://127.0.0.1:{port}"
    bench.wait_ready(f"{address}/ready")
    return url, address, proc


def measure(url: str, address: str, proc: subprocess.Popen[bytes], clients: int, token: str) -> dict[str, Any]:
    """One cell of the scenario; a cycle's payments are then checked as `make bench` does."""
    if SCENARIO == "cycle":
        cell = bench.run_cell(address, "cycle", clients, proc, database=url, token=token)
        cell.update(asyncio.run(bench.verify_cycle(url, cell.pop("paid"))))
        return cell
    if SCENARIO == "create":
        return bench.run_cell(address, "create", clients, proc, database=url, token=token)
    orders = asyncio.run(bench.pending_payme_orders(url))
    if SCENARIO == "read":  # one of the payments made at the start, by the same caller
        return bench.run_cell(address, "read", clients, proc, database=url, token=token, read_id=orders[0])
    return bench.run_cell(address, "payme", clients, proc, database=url, token=token, orders=orders)


def main(other: Path) -> None:
    token = mint_token(bench.SECRET, "bench-user", expires_in=timedelta(hours=2))
    with tempfile.TemporaryDirectory() as workdir:
        sides = {"this": serve(HERE, "kassa_ab_this", 13, Path(workdir)),
                 "other": serve(other, "kassa_ab_other", 12, Path(workdir))}  # fmt: skip
        try:
            cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
            bench.SECONDS = 12  # orders for every Payme cell to come
            for name, (url, address, proc) in sides.items():
                made = bench.run_cell(address, "create", 16, proc, database=url, token=token)
                print(f"{name} create 16: {made['units_per_s']}/s", flush=True)
            bench.SECONDS = 4
            for round_ in range(ROUNDS):
                for clients in CLIENTS:
                    for name in ("this", "other") if round_ % 2 == 0 else ("other", "this"):
                        url, address, proc = sides[name]
                        cell = measure(url, address, proc, clients, token)
                        cells.setdefault((name, clients), []).append(cell)
                        checked = f", {cell['lost']} lost, {cell['doubled']} doubled" if "lost" in cell else ""
                        print(f"{name} {SCENARIO} {clients}: {cell['units_per_s']}/s, {cell['cpu_ms']} ms CPU a call, "
                              f"p99 {cell['p99_ms']} ms, connections {cell.get('connections') or '?'}, "
                              f"RSS {cell['rss_mb']} MB{checked}", flush=True)  # fmt: skip
        finally:
            for _, _, proc in sides.values():
                proc.terminate()
                proc.wait(timeout=60)
    print("\n| version | clients | payments/s | CPU ms a call | p99 ms | RSS MB, largest |\n|---|---|---|---|---|---|")
    for (name, clients), found in sorted(cells.items()):
        medians = [statistics.median(c[key] for c in found) for key in ("units_per_s", "cpu_ms", "p99_ms")]
        largest = max(c["rss_mb"] for c in found)
        print(f"| {name} | {clients} | {medians[0]:.1f} | {medians[1]:.2f} | {medians[2]:.0f} | {largest} |")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "kassa").is_dir():
        sys.exit("usage: python -m bench.ab <another kassa checkout>")
    main(Path(sys.argv[1]).resolve())
