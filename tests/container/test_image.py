"""kassa's container image as a self-hosted user runs it: the repository's Dockerfile built
with podman (Debian's), then the API and the worker started from that image, next to each
other, against PostgreSQL and Redis. A customer pays through Payme's sandbox, the worker
delivers the signed event to a subscriber, the image's HEALTHCHECK answers, and nothing in
the container runs as root.

No container registry is reachable from this machine, so the image is built on a Debian
bookworm made here with debootstrap (`--build-arg BASE=…`), which is what `python:3.11-slim`
is made from. The tests are guests: podman keeps its images and containers in a temporary
directory of their own (`--root`), the API gets a database of its own on the machine's
PostgreSQL, and Redis is a `redis-server` the test starts (tests/throwaway.py).

`make test` runs this once (KASSA_CONTAINER=1), after the two suites.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _admin
from tests.throwaway import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
MIRROR = os.environ.get("KASSA_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PG_SERVER = os.environ.get("KASSA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
# What the base image holds: Debian's Python 3.11 with venv (the Dockerfile's `python3 -m venv`)
BASE_PACKAGES = "python3.11,python3.11-venv,python3-venv,ca-certificates,fonts-dejavu-core"


@dataclass
class Podman:
    """podman with a storage and a configuration of the test's own."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, home: Path) -> Podman:
        # Containers may not raise limits above the session's own (podman's defaults are
        # higher, and are refused here); runc where installed, as crun refuses this machine's
        # hybrid cgroup hierarchy.
        nofile = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 4096)
        nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], 4096)
        conf = home / "containers.conf"
        runtime = 'runtime = "runc"\n' if shutil.which("runc") else ""
        conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
                        f"[engine]\n{runtime}")
        return cls(home, {**os.environ, "CONTAINERS_CONF": str(conf)})

    def __call__(self, *args: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["podman", "--root", str(self.home / "storage"), "--runroot", str(self.home / "run"), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args[:3])}… failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done


class Receiver(ThreadingHTTPServer):
    """A subscriber's webhook endpoint: it keeps what kassa delivers."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


@pytest.fixture(scope="module")
def podman() -> Iterator[Podman]:
    if shutil.which("podman") is None or shutil.which("debootstrap") is None or os.geteuid() != 0:
        pytest.fail("the container test needs root, podman and debootstrap (Debian's packages; `make test` "
                    "installs them as root)")
    home = Path(tempfile.mkdtemp(prefix="kassa-podman-"))
    engine = Podman.create(home)
    try:
        yield engine
    finally:
        engine("rm", "--all", "--force", "--time", "0", check=False)
        engine("system", "reset", "--force", check=False, timeout=300)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def image(podman: Podman) -> str:
    """The repository's Dockerfile, built on a Debian bookworm made here."""
    rootfs = podman.home / "rootfs"
    started = time.monotonic()
    subprocess.run(["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(rootfs),
                    MIRROR], check=True, capture_output=True, timeout=900)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):  # as slim images ship
        shutil.rmtree(rootfs / cache, ignore_errors=True)
        (rootfs / cache / "partial").mkdir(parents=True, exist_ok=True)
    # the machine's trust store, so pip inside the build trusts what the machine trusts
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/ca-certificates.crt")
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        ["podman", "--root", str(podman.home / "storage"), "--runroot", str(podman.home / "run"),
         "import", "-", "localhost/kassa-test-base:bookworm"],
        stdin=tar.stdout, env=podman.env, capture_output=True, text=True, timeout=600)
    tar.wait()
    assert imported.returncode == 0, imported.stderr
    shutil.rmtree(rootfs, ignore_errors=True)
    podman("build", "--format", "docker", "--build-arg", "BASE=localhost/kassa-test-base:bookworm",
           "--tag", "localhost/kassa:test", str(ROOT))
    size = int(podman("image", "inspect", "--format", "{{.Size}}", "localhost/kassa:test").stdout.strip())
    print(f"\nimage built in {time.monotonic() - started:.0f} s, {size / 1e6:.0f} MB")
    return "localhost/kassa:test"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"kassa_container_{secrets.token_hex(4)}"
    asyncio.run(_admin(PG_SERVER, f"CREATE DATABASE {name}"))
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(PG_SERVER, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    home = Path(tempfile.mkdtemp(prefix="kassa-redis-"))
    server = RedisServer.create(home)
    server.start()
    try:
        yield server.url(0)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_the_image_serves_pays_and_delivers_as_a_user_without_privileges(
        podman: Podman, image: str, database: str, redis_url: str) -> None:
    port = free_port()
    key = secrets.token_hex(32)
    env = {"DATABASE_URL": database, "REDIS_URL": redis_url, "SECRET_KEY": key, "SANDBOX": "true",
           "HOST": "127.0.0.1", "PORT": str(port), "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
           "FAST_PATHS": os.environ.get("FAST_PATHS", "on")}  # the image's kassa as the suite's
    flags = [arg for name, value in env.items() for arg in ("--env", f"{name}={value}")]
    # the host's network: PostgreSQL, Redis and the subscriber listen on its loopback
    api = f"kassa-api-{secrets.token_hex(3)}"
    podman("run", "--detach", "--name", api, "--network", "host", *flags, image)  # the image's own command
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            _until(lambda: _answers(http, "/ready"), 90, lambda: podman("logs", api, check=False).stderr[-2000:])
            assert podman("healthcheck", "run", api).returncode == 0  # the Dockerfile's HEALTHCHECK
            assert podman("exec", api, "id", "-u").stdout.strip() == "10001"  # not root
            worker = f"kassa-worker-{secrets.token_hex(3)}"
            podman("run", "--detach", "--name", worker, "--network", "host", *flags, image, "worker")

            admin = {"Authorization": f"Bearer {podman('exec', api, 'kassa', 'token', 'ops', '--role', 'admin').stdout.strip()}"}
            user = {"Authorization": f"Bearer {podman('exec', api, 'kassa', 'token', 'buyer').stdout.strip()}"}
            hook = http.post("/api/v1/admin/webhook-endpoints", json={"url": receiver.url}, headers=admin)
            assert hook.status_code == 201, hook.text
            made = http.post("/api/v1/payments", json={"provider": "payme", "amount": 1_500_000, "currency": "UZS"},
                             headers={**user, "Idempotency-Key": secrets.token_hex(8)})
            assert made.status_code == 201, made.text
            paid = http.post(made.json()["checkout_url"], data={"action": "pay"})  # Payme's sandbox checkout
            assert paid.status_code == 200, paid.text
            payment = http.get(f"/api/v1/payments/{made.json()['id']}", headers=user).json()
            assert payment["status"] == "succeeded", payment

            # the worker container delivers the event, signed, to the subscriber
            _until(lambda: any(r["body"].get("type") == "payment.succeeded" for r in receiver.received), 60,
                   lambda: podman("logs", worker, check=False).stderr[-2000:])
            delivered = next(r for r in receiver.received if r["body"].get("type") == "payment.succeeded")
            assert any(h.lower() == "kassa-signature" for h in delivered["headers"]), delivered["headers"]
            assert podman("exec", worker, "id", "-u").stdout.strip() == "10001"
    finally:
        receiver.shutdown()
        podman("rm", "--force", "--time", "0", api, check=False)


def _answers(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def _until(done: Callable[[], bool], seconds: float, explain: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s; the container said:\n{explain()}")
