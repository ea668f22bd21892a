"""schemathesis over the whole /openapi.json of a running kassa, once per kind of caller:
no server errors, and every answer matches the schema (status, content type, body)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SECRET = "fuzz-secret-0123456789abcdef-0123456789abcdef"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def kassa_server(tmp_path_factory: pytest.TempPathFactory) -> object:
    workdir = tmp_path_factory.mktemp("fuzz")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "KASSA_TEST"))}
    env.update(SECRET_KEY=SECRET, PUBLIC_URL=f"http://127.0.0.1:{port}", LOG_LEVEL="ERROR",
               RATE_LIMIT_PER_MINUTE="1000000", RATE_LIMIT_ANONYMOUS_PER_MINUTE="1000000",
               RATE_LIMIT_SERVICE_PER_MINUTE="1000000", WEBHOOK_FAILURES_PER_MINUTE="1000000")
    proc = subprocess.Popen([sys.executable, "-m", "kassa", "serve", "--port", str(port), "--no-jobs"],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    key = subprocess.run([sys.executable, "-m", "kassa", "api-key", "create", "fuzzer"], cwd=workdir, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    yield base, env, workdir, key
    proc.terminate()
    proc.wait(timeout=20)


def _token(env: dict[str, str], workdir: Path, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "kassa", "token", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("caller", ["anonymous", "user", "admin", "service"])
def test_the_whole_api_holds_against_generated_requests(kassa_server: object, caller: str) -> None:
    base, env, workdir, key = kassa_server  # type: ignore[misc]
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    headers: list[str] = []
    if caller == "service":
        headers = ["-H", f"X-API-Key: {key}"]
    elif caller != "anonymous":
        role = "admin" if caller == "admin" else "user"
        headers = ["-H", f"Authorization: Bearer {_token(env, workdir, 'fuzz-' + caller, '--role', role, '--org', 'org-1')}"]
    done = subprocess.run(
        [st, "run", f"{base}/openapi.json", *headers, "--checks", CHECKS, "-n", os.environ.get("KASSA_FUZZ_EXAMPLES", "10"),
         "--phases", "examples,fuzzing", "--seed", "1", "-w", "2", "--suppress-health-check", "all"],
        cwd=workdir, capture_output=True, text=True, timeout=600, check=False)
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary
