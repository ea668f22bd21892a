"""The `kassa` command as an operator runs it, in a scratch directory."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kassa.core.security import read_token
from kassa.db.session import Database
from kassa.services.accounts.api_keys import principal_for_key

SECRET = "cli-test-secret-0123456789abcdef-0123456789"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "kassa", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_token_prints_a_signed_token(tmp_path: Path) -> None:
    done = run(["token", "user-7", "--role", "admin", "--org", "org-1", "--org", "org-2"], tmp_path,
               SECRET_KEY=SECRET)
    assert done.returncode == 0, done.stderr
    principal = read_token(SECRET, done.stdout.strip())
    assert principal.subject == "user-7" and principal.is_admin
    assert principal.orgs == frozenset({"org-1", "org-2"})
    bad_role = run(["token", "u", "--role", "root"], tmp_path, SECRET_KEY=SECRET)
    assert bad_role.returncode != 0


def test_without_a_secret_development_keeps_one_and_production_refuses(tmp_path: Path) -> None:
    first = run(["token", "u"], tmp_path)
    second = run(["token", "u"], tmp_path)
    key = (tmp_path / ".kassa-secret").read_text().strip()
    assert read_token(key, first.stdout.strip()).subject == "u"
    assert read_token(key, second.stdout.strip()).subject == "u"
    production = run(["token", "u"], tmp_path / "..", ENVIRONMENT="production")
    assert production.returncode == 2 and "SECRET_KEY" in production.stderr


@pytest.mark.parametrize(("env", "says"), [
    ({"SECRET_KEY": "a"}, "at least 32 bytes"),
    ({"SECRET_KEY": "k" * 64}, "16 distinct characters"),
    ({"SECRET_KEY": "абвгдежзийклмноп"}, "128 bits"),  # 32 bytes: 16 letters of two bytes
    ({"SECRET_KEY": SECRET, "SANDBOX": "true"}, "SANDBOX must be off"),
])
def test_production_refuses_a_weak_key_and_the_sandbox(tmp_path: Path, env: dict[str, str], says: str) -> None:
    refused = run(["serve", "--port", "1"], tmp_path, ENVIRONMENT="production", **env)
    assert refused.returncode == 2 and says in refused.stderr
    assert SECRET not in refused.stderr and "SECRET_KEY=a" not in refused.stderr
    assert len(env["SECRET_KEY"]) < 8 or env["SECRET_KEY"] not in refused.stderr
    fine = run(["token", "u"], tmp_path, ENVIRONMENT="production", SECRET_KEY=SECRET)
    assert fine.returncode == 0, fine.stderr


@pytest.mark.parametrize(("env", "names"), [
    # the whole configuration was quoted with the refusal of a weak key, its last secret whole
    ({"SECRET_KEY": "weak-key-4f1c2e", "PAYME_SECRET_KEY": "payme-key-9d7b3a"}, "SECRET_KEY"),
    # a secret pasted into the wrong setting
    ({"SECRET_KEY": SECRET, "ACCESS_TOKEN_EXPIRE_MINUTES": "sk_live_51Hx7pasted"}, "ACCESS_TOKEN_EXPIRE_MINUTES"),
])
def test_a_settings_error_names_the_setting_never_its_value(
    tmp_path: Path, env: dict[str, str], names: str
) -> None:
    refused = run(["token", "u"], tmp_path, ENVIRONMENT="production", **env)
    assert refused.returncode == 2
    assert f"configuration error: {names}" in refused.stderr
    for value in env.values():
        assert value not in refused.stderr and value not in refused.stdout


def test_migrate_and_api_key_create(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    assert run(["migrate"], tmp_path, DATABASE_URL=url, SECRET_KEY=SECRET).returncode == 0
    done = run(["api-key", "create", "crm"], tmp_path, DATABASE_URL=url, SECRET_KEY=SECRET)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("kassa_sk_")

    async def lookup() -> str | None:
        db = Database(url)
        try:
            principal = await principal_for_key(db, key)
        finally:
            await db.dispose()
        return principal.subject if principal else None

    assert asyncio.run(lookup()) == "crm"


def test_serve_starts_on_an_empty_machine(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "SECRET"))}
    proc = subprocess.Popen([sys.executable, "-m", "kassa", "serve", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("kassa serve did not become ready")
        assert (tmp_path / "kassa.db").exists()
        page = httpx.get(f"http://127.0.0.1:{port}/api/v1/tariffs")
        assert page.json()["items"] == []
        # PUBLIC_URL follows --port: the links and the sandboxes' callbacks reach this kassa
        user = {"Authorization": f"Bearer {run(['token', 'u1'], tmp_path, **env).stdout.strip()}"}
        for provider, currency in (("payme", "UZS"), ("stripe", "USD"), ("yookassa", "RUB")):
            made = httpx.post(f"http://127.0.0.1:{port}/api/v1/payments", headers=user, timeout=30,
                              json={"provider": provider, "amount": 10_000, "currency": currency})
            assert made.status_code == 201, made.text
            assert made.json()["checkout_url"].startswith(f"http://127.0.0.1:{port}/sandbox/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_to_serve_when_its_migrations_fail(tmp_path: Path) -> None:
    """The migrations run in a process of their own; their failure must still stop `serve`
    before it listens, never leave it serving a database without its schema."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with socket.socket() as sock:  # a port nothing listens on: PostgreSQL is not there
        sock.bind(("127.0.0.1", 0))
        nowhere = sock.getsockname()[1]
    refused = run(["serve", "--port", str(port)], tmp_path, SECRET_KEY=SECRET,
                  DATABASE_URL=f"postgresql+asyncpg://kassa@127.0.0.1:{nowhere}/kassa")
    assert refused.returncode != 0
    assert "migrations failed" in refused.stderr and "not serving" in refused.stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)


def test_a_full_runs_logs_hold_no_secret(tmp_path: Path) -> None:
    """Every configured secret, token and key, grepped for in the logs of a busy run."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secrets = {"SECRET_KEY": "log-secret-signing-0123456789abcdef0123", "PAYME_SECRET_KEY": "log-secret-payme-key",
               "STRIPE_SECRET_KEY": "sk_test_log_secret_stripe", "STRIPE_WEBHOOK_SECRET": "whsec_log_secret_hook",
               "YOOKASSA_SECRET_KEY": "test_log_secret_yookassa", "KASPI_ACCESS_TOKEN": "log-secret-kaspi-token",
               "ENCRYPTION_KEY": "log-secret-at-rest-key-0123456789"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "SECRET"))}
    env.update(secrets, PUBLIC_URL=f"http://127.0.0.1:{port}", LOG_LEVEL="DEBUG")
    log_path = tmp_path / "kassa.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "kassa", "serve", "--port", str(port)], cwd=tmp_path,
                                env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            key = run(["api-key", "create", "crm"], tmp_path, **secrets).stdout.strip()
            admin = run(["token", "admin", "--role", "admin"], tmp_path, **secrets).stdout.strip()
            user = run(["token", "u1"], tmp_path, **secrets).stdout.strip()
            with httpx.Client(base_url=base, timeout=30) as http:
                tariff = http.post("/api/v1/tariffs", headers={"Authorization": f"Bearer {admin}"}, json={
                    "name": "Pro", "amount": 100_000, "currency": "UZS", "duration_days": 30}).json()
                bought = http.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"},
                                   headers={"Authorization": f"Bearer {user}"}).json()
                http.post(bought["checkout_url"], data={"action": "pay"})
                topup = http.post("/api/v1/payments", headers={"X-API-Key": key}, json={
                    "provider": "stripe", "amount": 500, "currency": "USD", "user_id": "u1"}).json()
                http.post(topup["checkout_url"], data={"action": "pay"})
                http.post(f"/api/v1/payments/{topup['id']}/refunds", json={"amount": 100}, headers={"X-API-Key": key})
                yk = http.post("/api/v1/payments", headers={"X-API-Key": key}, json={
                    "provider": "yookassa", "amount": 500, "currency": "RUB", "user_id": "u1"}).json()
                http.post(yk["checkout_url"], data={"action": "pay"})
                http.post("/api/v1/payments", headers={"X-API-Key": key}, json={
                    "provider": "kaspi", "amount": 500, "currency": "KZT", "user_id": "u1", "phone": "77015211545"})
                http.post("/webhooks/payme", json={"id": 1, "method": "CheckTransaction", "params": {"id": "x"}},
                          headers={"Authorization": "Basic " + "UGF5Y29tOndyb25n"})
                http.get("/api/v1/payments", headers={"Authorization": "Bearer not.a.token"})
                http.get("/api/v1/payments", headers={"X-API-Key": key + "x"})
            time.sleep(2)  # let the jobs run once
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log_path.read_text()
    assert "payment.moved" in text  # the run did log its work
    for name, value in {**secrets, "api key": key, "admin token": admin, "user token": user}.items():
        assert value not in text, f"{name} appears in the logs"
    assert "Traceback" not in text
