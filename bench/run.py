"""`make bench`: kassa against the floor (one INSERT + COMMIT per request) and against the
payme-pkg peer, on SQLite and PostgreSQL, at 1 and 2 uvicorn workers and 1/16/64/256
concurrent clients; the load comes from wrk in a separate process (bench/drive.py). The three
serve at once and take turns, a cell each, so that kassa's ratios to the floor and the peer
compare cells seconds apart. Prints a table and writes it to build/benchmarks.md (not kept
in git; docs/performance.md holds the targets and the latest table worth keeping).

BENCH_SECONDS (default 5) sets each cell's length; BENCH_CLIENTS ("1,16,64,256"),
BENCH_DATABASES ("sqlite,postgresql"), BENCH_WORKERS ("1,2"), BENCH_SCENARIOS
("create,payme,read,cycle,inprocess"; "inprocess" is bench/inprocess.py, CPU per request
inside one process; add "renewals" for the renewal backlog of bench/renewals.py, on
PostgreSQL) and BENCH_PEER ("1") narrow the run; BENCH_RUNS (1) repeats the turns (a range
over runs from one command); BENCH_OUTPUT names the Markdown file ("-" for none).

BENCH_VARIANTS ("on") names FAST_PATHS values (kassa.fast.switch), separated by commas or
spaces, a "/" inside one for FAST_PATHS's own comma: e.g.
"on,-driver,-batch,-compare_and_set,-fast_path,-collector,off,off/driver". Each is
a kassa of its own (its own database, FAST_PATHS set), all serving at once; each kassa cell
is taken once a variant, in turn, so a piece's cost is read between cells seconds apart.
With several variants, a second table gives each variant's medians over BENCH_RUNS against
the first variant's, and the targets are judged on the first variant alone. PostgreSQL's
max_connections must hold every variant's processes' pools (variants times workers times
DATABASE_POOL_SIZE, 5), which `enough_connections` checks before anything starts. The
"inprocess" and "renewals" scenarios run with the environment's FAST_PATHS.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.drive import drive
from bench.targets import targets_report
from kassa.core.security import mint_token
from kassa.fast import switch

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
PAYME_KEY = "bench-payme-key"
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_CLIENTS", "1,16,64,256").split(",")]
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
WORKERS = [int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "create,payme,read,cycle,inprocess").split(",")
RUNS = int(os.environ.get("BENCH_RUNS", "1"))


def variants(value: str) -> list[str]:
    """FAST_PATHS values from BENCH_VARIANTS: items separated by commas or spaces, a "/"
    inside one standing for FAST_PATHS's own comma ("off/driver" is FAST_PATHS=off,driver)."""
    items = [item.replace("/", ",") for item in value.replace(" ", ",").split(",") if item]
    for item in items:
        switch.parse(item)  # a word that is no piece stops the run before anything starts
    return items or ["on"]


VARIANTS = variants(os.environ.get("BENCH_VARIANTS", "on"))
SETTLE_SECONDS = 3.0
WARM_UP_SECONDS = 2.0
PEER_ORDERS = 6000  # more than the peer pays in one cell
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def family(pid: int) -> list[int]:
    """The server process and its children (uvicorn's and gunicorn's workers)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def process_ticks(pid: int) -> int:
    """User and kernel clock ticks a process has spent so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pid: int) -> float:
    """User and kernel CPU time spent so far by the server and its workers. Per request it
    is a steadier measure than requests a second on a machine whose speed wanders: it does
    not count the time a process waited for a core."""
    return sum(process_ticks(p) for p in family(pid)) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(kind: str) -> float | None:
    """User and kernel CPU time spent so far by every PostgreSQL process on the machine
    (backends and the server's own workers). While a cell runs, its server is the only one
    under load, so the difference over a cell is what its statements cost PostgreSQL: the
    part of a request no Python change touches. None for SQLite, which runs inside the
    server's processes."""
    if kind != "postgresql":
        return None
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("postgres"):
                ticks += process_ticks(int(entry.name))
        except OSError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """The largest resident set among the server process and its children (uvicorn workers)."""
    best = 0
    for p in family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]))
        except OSError:
            continue
    return round(best / 1024, 1)


async def fresh_postgres(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def database_url(kind: str, workdir: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / (name + '.db')}"
    return asyncio.run(fresh_postgres(name))


def wait_ready(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start(args: list[str], env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


PAYME_AUTH = "Basic " + base64.b64encode(f"Paycom:{PAYME_KEY}".encode()).decode()


async def pending_payme_orders(url: str) -> list[str]:
    """Payments the create cells left pending: the payme cells pay them."""
    query = "SELECT id FROM payments WHERE provider = 'payme' AND status = 'pending'"
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        try:
            return [r[0] for r in conn.execute(query).fetchall()]
        finally:
            conn.close()
    pg = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgres"))
    try:
        return [r[0] for r in await pg.fetch(query)]
    finally:
        await pg.close()


async def verify_cycle(url: str, paid: list[str]) -> dict[str, int]:
    """Every payment the load drove to the end is succeeded once, with one invoice."""
    dsn = url.replace("postgresql+asyncpg", "postgres")
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        try:
            rows = conn.execute("SELECT p.id, p.status, (SELECT count(*) FROM invoices i WHERE i.payment_id = p.id),"
                                " (SELECT count(*) FROM provider_transactions t WHERE t.payment_id = p.id)"
                                " FROM payments p").fetchall()
        finally:
            conn.close()
    else:
        pg = await asyncpg.connect(dsn)
        try:
            rows = await pg.fetch("SELECT p.id, p.status, (SELECT count(*) FROM invoices i WHERE i.payment_id = p.id),"
                                  " (SELECT count(*) FROM provider_transactions t WHERE t.payment_id = p.id)"
                                  " FROM payments p")
        finally:
            await pg.close()
    by_id = {r[0]: r for r in rows}
    lost = sum(1 for pid in paid if by_id.get(pid, (None, None))[1] != "succeeded")
    doubled = sum(1 for r in rows if r[2] > 1 or r[3] > 1)
    return {"lost": lost, "doubled": doubled}


async def analyze(url: str) -> None:
    """Statistics for every table, as autovacuum keeps them in a service that has run a minute.
    A cell comes seconds after its database was made: without this, its first plans are made
    for empty tables, and a server that keeps prepared statements (kassa, per connection)
    keeps them (PostgreSQL chose the (provider, provider_time) index over the unique
    (provider, provider_tx_id) one for Payme's transaction lookup, and scanned every row)."""
    if url.startswith("sqlite"):
        return
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgres"))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def run_cell(base: str, scenario: str, clients: int, proc: subprocess.Popen[bytes], *, database: str,
             **extra: Any) -> dict[str, Any]:
    """One cell against a running server: fresh statistics for its database, the load, then
    the server's memory and CPU time per request, then a pause."""
    asyncio.run(analyze(database))
    kind = "postgresql" if database.startswith("postgresql") else "sqlite"
    before, database_before = cpu_seconds(proc.pid), database_cpu_seconds(kind)
    result = drive(base, scenario, clients, SECONDS, payme_auth=PAYME_AUTH, **extra)
    used = cpu_seconds(proc.pid) - before  # read at once: queued requests still finishing count
    database_after = database_cpu_seconds(kind)
    requests = result["requests"]
    result["cpu_ms"] = round(1000 * used / requests, 2) if requests else None
    result["db_cpu_ms"] = None  # SQLite: its statements are the server's own CPU
    if requests and database_before is not None and database_after is not None:
        result["db_cpu_ms"] = round(1000 * (database_after - database_before) / requests, 2)
    result["rss_mb"] = rss_mb(proc.pid)
    settle()
    return result


def keep(result: dict[str, Any], results: list[dict[str, Any]], **labels: Any) -> None:
    result.pop("paid", None)
    result.update(labels)
    print(json.dumps(result), flush=True)
    results.append(result)


def settle() -> None:
    """wrk stops with requests still queued in the server; the next cell starts after them."""
    time.sleep(SETTLE_SECONDS)


@dataclass
class Server:
    """A server under test: its process (whose family's CPU and memory are read), address
    and database."""

    proc: subprocess.Popen[bytes]
    base: str
    url: str


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path, url: str, port: int,
            ready: str) -> Iterator[Server]:
    proc = start(args, env, cwd)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}{ready}")
        yield Server(proc, base, url)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def kassa_server(kind: str, workers: int, workdir: Path, variant: str = "on",
                 index: int = 0) -> AbstractContextManager[Server]:
    """A kassa of its own for each FAST_PATHS `variant` (the `index`th), on its own database."""
    url = database_url(kind, workdir, f"kassa_bench_{workers}" + (f"_{index}" if index else ""))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    # as deployed: the provider sandboxes (five emulators' routes) are off outside development
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET, PAYME_SECRET_KEY=PAYME_KEY, LOG_LEVEL="WARNING",
               SANDBOX="false", PAYME_MERCHANT_ID="5e730e8e0b852a417aa49ceb", PUBLIC_URL=f"http://127.0.0.1:{port}", RATE_LIMIT_PER_MINUTE="100000000",
               RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000000", WEBHOOK_FAILURES_PER_MINUTE="100000000",
               FAST_PATHS=variant)
    if kind == "postgresql":
        # each variant its own Redis database (13, then 12, 11, ...): rate limits and caches
        # are kept apart as the databases are
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{13 - index}"
        subprocess.run(["redis-cli", "-n", str(13 - index), "flushdb"], capture_output=True, check=False)
    args = [sys.executable, "-m", "kassa", "serve", "--no-jobs", "--port", str(port), "--workers", str(workers)]
    return running(args, env, workdir, url, port, "/ready")


def floor_server(kind: str, workers: int, workdir: Path) -> AbstractContextManager[Server]:
    url = database_url(kind, workdir, f"floor_bench_{workers}")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log"]
    return running(args, env, ROOT, url, port, "/")


PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_PACKAGES = ["payme-pkg==3.4.1", "django", "djangorestframework", "gunicorn", "psycopg2-binary"]


def peer_python() -> Path | None:
    """payme-pkg and Django in a venv of their own (made once), apart from kassa's."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"peer not installed: {exc}", flush=True)
            return None
    return python


async def peer_orders(name: str, count: int) -> list[int]:
    conn = await asyncpg.connect(f"postgres://postgres@127.0.0.1:5432/{name}")
    try:
        rows = await conn.fetch("INSERT INTO orders_order (amount) SELECT 1000.00 FROM generate_series(1, $1) "
                                "RETURNING id", count)
    finally:
        await conn.close()
    return [r["id"] for r in rows]


def peer_server(workers: int) -> AbstractContextManager[Server | None]:
    python = peer_python()
    if python is None:
        return nullcontext()
    name = f"peer_bench_{workers}"
    peer_url = asyncio.run(fresh_postgres(name))
    env = {**os.environ, "PEER_DB": name, "PEER_PAYME_KEY": PAYME_KEY, "DJANGO_SETTINGS_MODULE": "peer.settings",
           "PYTHONPATH": str(ROOT / "bench")}
    subprocess.run([str(python), "-m", "django", "migrate", "--run-syncdb", "-v", "0"], env=env,
                   cwd=ROOT / "bench", check=True, timeout=300)
    port = free_port()
    args = [str(python), "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "peer.wsgi"]
    return running(args, env, ROOT / "bench", peer_url, port, "/payme/update/")


def kassa_cell(kassa: Server, scenario: str, clients: int, token: str, read_id: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if scenario == "payme":
        extra["orders"] = asyncio.run(pending_payme_orders(kassa.url))
    if scenario == "read":
        extra["read_id"] = read_id
    result = run_cell(kassa.base, scenario, clients, kassa.proc, database=kassa.url, token=token, **extra)
    if scenario == "cycle":
        result.update(asyncio.run(verify_cycle(kassa.url, result["paid"])))
    return result


def fresh_peer_orders(peer: Server) -> list[str]:
    return [str(o) for o in asyncio.run(peer_orders(peer.url.rsplit("/", 1)[1], PEER_ORDERS))]


def peer_cell(peer: Server, clients: int) -> dict[str, Any]:
    return run_cell(peer.base, "payme", clients, peer.proc, database=peer.url, payme_path="/payme/update/",
                    orders=fresh_peer_orders(peer))


def warm_up(floor: Server, kassas: list[Server], peer: Server | None, token: str) -> None:
    """Two unrecorded seconds of load a server before the first cell: a process's first
    requests prepare its statements on every pooled connection and import what they use
    (kassa's first create cell had three times the later p99: 104 ms against 37 and 39 in
    the runs after it)."""
    drive(floor.base, "floor", 16, WARM_UP_SECONDS)
    for kassa in kassas:
        drive(kassa.base, "create", 16, WARM_UP_SECONDS, token=token)
        orders = asyncio.run(pending_payme_orders(kassa.url))
        drive(kassa.base, "payme", 16, WARM_UP_SECONDS, token=token, payme_auth=PAYME_AUTH, orders=orders)
    if peer is not None:
        drive(peer.base, "payme", 16, WARM_UP_SECONDS, payme_auth=PAYME_AUTH, payme_path="/payme/update/",
              orders=fresh_peer_orders(peer))
    settle()


async def _connections_free() -> int:
    """Connections PostgreSQL can still open for ordinary users."""
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        most = int(await conn.fetchval("SHOW max_connections"))
        reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
        used = int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))
    finally:
        await conn.close()
    return most - reserved - used


def enough_connections(workers: int) -> None:
    """Every variant's processes keep their pools' connections open between cells: stops the
    run before anything starts when PostgreSQL could not give them all (a cell would fail
    halfway with "too many clients")."""
    pool = int(os.environ.get("DATABASE_POOL_SIZE", "5"))
    peer = workers if os.environ.get("BENCH_PEER", "1") == "1" else 0
    needed = len(VARIANTS) * workers * pool + workers * 10 + peer + 2  # the floor's pool is 10
    free = asyncio.run(_connections_free())
    if needed > free:
        raise SystemExit(f"{len(VARIANTS)} variants at {workers} processes need {needed} PostgreSQL connections "
                         f"and {free} are free: fewer BENCH_VARIANTS a run (each run with the reference "
                         "variant first), BENCH_PEER=0, or a larger max_connections")


def bench_together(kind: str, workers: int, workdir: Path) -> list[dict[str, Any]]:
    """The floor, kassa and (PostgreSQL) the peer serve at once; a cell each in turn, client
    count by client count, so that a ratio compares cells seconds apart. Measured one
    server after another, kassa's cells and the peer's came minutes apart, and this
    machine's speed moved by a third in that time. With several BENCH_VARIANTS, each kassa
    cell is taken once a variant, one after the other."""
    results: list[dict[str, Any]] = []
    scenarios = [s for s in SCENARIOS if s not in ("renewals", "inprocess")]
    if kind == "postgresql":
        enough_connections(workers)
    with ExitStack() as servers:
        floor = servers.enter_context(floor_server(kind, workers, workdir))
        kassas = [servers.enter_context(kassa_server(kind, workers, workdir, variant, index))
                  for index, variant in enumerate(VARIANTS)]
        peer = None
        if kind == "postgresql" and os.environ.get("BENCH_PEER", "1") == "1":
            peer = servers.enter_context(peer_server(workers))
        token = mint_token(SECRET, "bench-user", expires_in=timedelta(hours=2))
        warm_up(floor, kassas, peer, token)
        read_ids = ["" for _ in kassas]
        for run in range(1, RUNS + 1):
            labels = {"database": kind, "workers": workers, "run": run}
            for clients in CLIENTS:
                floor_cell = run_cell(floor.base, "floor", clients, floor.proc, database=floor.url)
                keep(floor_cell, results, target="floor", **labels)
                for scenario in scenarios:
                    for index, (variant, kassa) in enumerate(zip(VARIANTS, kassas, strict=True)):
                        if scenario == "read":
                            read_ids[index] = read_ids[index] or asyncio.run(pending_payme_orders(kassa.url))[0]
                        keep(kassa_cell(kassa, scenario, clients, token, read_ids[index]), results,
                             target="kassa", variant=variant, **labels)
                    if scenario == "payme" and peer is not None:
                        keep(peer_cell(peer, clients), results, target="peer", **labels)
                if "payme" not in scenarios and peer is not None:
                    keep(peer_cell(peer, clients), results, target="peer", **labels)
    return results


def report(results: list[dict[str, Any]]) -> str:
    """One row a cell; create's ratio is to the floor's cell, Payme's to the peer's cell, of
    the same run, database, workers and clients (the cells just before and after it)."""
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return r["run"], r["database"], r["workers"], r["clients"]

    floor = {key(r): r for r in results if r["target"] == "floor"}
    peers = {key(r): r for r in results if r["target"] == "peer"}
    several = RUNS > 1
    lines = [("| run " if several else "") + "| database | workers | scenario | clients | req/s | units/s | p50 ms "
             "| p95 ms | p99 ms | connections a process | errors | CPU ms/req | DB CPU ms/req | RSS MB | vs floor "
             "| lost / doubled |",
             "|" + "---|" * (17 if several else 16)]
    for r in results:
        f = floor.get(key(r))
        ratio = f"{r['units_per_s'] / f['units_per_s']:.0%}" if f and r["target"] == "kassa" and \
            r["scenario"] == "create" and f["units_per_s"] else ""
        p = peers.get(key(r))
        if p and r["target"] == "kassa" and r["scenario"] == "payme" and p["units_per_s"]:
            ratio = f"{r['units_per_s'] / p['units_per_s']:.2f}x the peer"
        integrity = f"{r['lost']} / {r['doubled']}" if "lost" in r else ""
        errors = f"{r['errors']} (+{r['starved']} idle)" if r.get("starved") else str(r["errors"])
        shown = r["scenario"] + (f" [{r['variant']}]" if "variant" in r and len(VARIANTS) > 1 else "")
        name = {"kassa": shown, "floor": "floor (INSERT+COMMIT)",
                "peer": "payme-pkg peer (Django)"}[r["target"]]
        lines.append((f"| {r['run']} " if several else "") +
                     f"| {r['database']} | {r['workers']} | {name} | {r['clients']} | {r['rps']} | "
                     f"{r['units_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r.get('connections', '')} | "
                     f"{errors} | "
                     f"{r.get('cpu_ms', '')} | {'' if r.get('db_cpu_ms') is None else r['db_cpu_ms']} | {r['rss_mb']} | {ratio} | {integrity} |")
    return "\n".join(lines)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def variants_report(results: list[dict[str, Any]]) -> str:
    """Each variant's medians over the runs, cell by cell (database, workers, scenario,
    clients), and its units a second and CPU per request against the first variant's: what
    turning those pieces of FAST_PATHS off costs. "" with one variant."""
    if len(VARIANTS) < 2:
        return ""
    cells: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in results:
        if r["target"] == "kassa":
            cells.setdefault((r["database"], r["workers"], r["scenario"], r["clients"], r["variant"]), []).append(r)

    def medians(found: list[dict[str, Any]]) -> dict[str, float | None]:
        return {name: _median([r[name] for r in found if r.get(name) is not None])
                for name in ("units_per_s", "p99_ms", "cpu_ms", "db_cpu_ms")}

    lines = [f"\n\n**FAST_PATHS variants** (medians over {RUNS} run{'s' if RUNS > 1 else ''}; against "
             f"`{VARIANTS[0]}` in the same cells):\n",
             "| database | workers | scenario | clients | FAST_PATHS | units/s | p99 ms | CPU ms/req | DB CPU ms/req "
             "| units/s vs first | CPU/req vs first |", "|" + "---|" * 11]
    for (database, workers, scenario, clients, variant), found in cells.items():
        mine = medians(found)
        first = medians(cells.get((database, workers, scenario, clients, VARIANTS[0]), []))

        def against(name: str, mine: dict[str, float | None] = mine, first: dict[str, float | None] = first) -> str:
            ours, theirs = mine[name], first[name]
            return f"{ours / theirs:.0%}" if ours is not None and theirs else ""

        shown = {name: "" if value is None else value for name, value in mine.items()}
        lines.append(f"| {database} | {workers} | {scenario} | {clients} | `{variant}` | {shown['units_per_s']} | "
                     f"{shown['p99_ms']} | {shown['cpu_ms']} | {shown['db_cpu_ms']} | {against('units_per_s')} | "
                     f"{against('cpu_ms')} |")
    return "\n".join(lines)


def renewal_report(found: dict[str, Any]) -> str:
    return ("\n\n**Renewal backlog** (bench/renewals.py: due subscriptions renewed by `kassa worker` "
            "processes with saved Stripe cards, the Stripe emulator in the API process):\n\n"
            "| due | workers | renewed | renewals/s | seconds | doubled | invoice numbers missing | worker RSS MB |\n"
            "|---|---|---|---|---|---|---|---|\n"
            f"| {found['subscriptions']} | {found['workers']} | {found['renewed']} | {found['renewals_per_s']} | "
            f"{found['seconds']} | {found['doubled']} | {found['invoice_numbers_missing']} | {found['worker_rss_mb']} |")


def main() -> None:
    results: list[dict[str, Any]] = []
    renewal: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in DATABASES:
            for workers in WORKERS:
                results += bench_together(kind, workers, workdir)
        if "renewals" in SCENARIOS and "postgresql" in DATABASES:
            from bench import renewals  # it borrows this module's helpers

            renewal = renewals.run(workdir)
            print(json.dumps(renewal, default=str), flush=True)
    inside: dict[str, Any] | None = None
    if "inprocess" in SCENARIOS:
        from bench import inprocess  # it borrows this module's helpers

        inside = inprocess.run()
        print(json.dumps(inside), flush=True)
    judged = [r for r in results if r.get("variant", VARIANTS[0]) == VARIANTS[0]]  # the targets: the first variant
    table = (report(results) + variants_report(results) + targets_report(judged)
             + (renewal_report(renewal) if renewal else "")
             + (inprocess.report(inside) if inside else ""))
    print(table)
    header = (f"# Benchmarks\n\nMeasured by `make bench` on {datetime.now(UTC):%Y-%m-%d} "
              f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); "
              f"{SECONDS:g} s a cell, load from wrk in a separate process, one connection a client "
              "(bench/drive.py, bench/wrk/kassa.lua).\n\n"
              "Scenarios: **create** = POST /api/v1/payments with an Idempotency-Key; **cycle** = create, then "
              "Payme's CheckPerformTransaction, CreateTransaction and PerformTransaction with Create and Perform "
              "each sent twice (units = payments paid); **payme** = the Merchant API cycle alone on "
              "prepared payments (units = payments paid); **read** = GET /api/v1/payments/{id}; **floor** = a "
              "bare ASGI endpoint doing one INSERT + COMMIT on the same database. *vs floor* is create/s over "
              "floor/s at the same database, workers and clients. *CPU ms/req* is the server's processes' user "
              "and kernel time over the requests of the cell; *DB CPU ms/req* is PostgreSQL's (every postgres process "
              "on the machine; the cell's server is the only one under load). *lost / doubled* counts cycle payments not "
              "succeeded and payments with more than one invoice or Payme transaction. *connections a process* is how the "
              "server's processes shared the load's open connections a second into the cell (iproute2's `ss`); the "
              "peer's sync workers close each connection after its answer, so few or none are open to count.\n\n")
    output = os.environ.get("BENCH_OUTPUT", str(ROOT / "build" / "benchmarks.md"))
    if output == "-":
        return
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + "## Measurements\n\n" + table + "\n")


if __name__ == "__main__":
    main()
