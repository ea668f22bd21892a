"""The TypeScript client (clients/typescript): its types are generated from kassa's own
OpenAPI document, which must be the one committed beside them; compiled with `tsc` (strict),
it creates and reads a payment on a running kassa and sees a problem answer as one."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unique

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"


def _node() -> None:
    if shutil.which("node") and shutil.which("npm"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("node and npm are needed for the TypeScript client's test, and CI=true")
    pytest.skip("no node on this machine")


def test_the_committed_openapi_document_is_kassas() -> None:
    """`npm run generate` makes the types from clients/typescript/openapi.json: it must be
    what `kassa openapi` prints now, or the types describe another API."""
    printed = subprocess.run([sys.executable, "-m", "kassa", "openapi"], capture_output=True, check=True,
                             text=True, timeout=120).stdout
    assert json.loads(printed) == json.loads((CLIENT / "openapi.json").read_text()), (
        "regenerate: kassa openapi > clients/typescript/openapi.json && (cd clients/typescript && npm run generate)")


async def test_the_typescript_client_against_a_running_kassa(server: str, service_key: dict[str, str]) -> None:
    _node()

    def build() -> None:
        if not (CLIENT / "node_modules" / "openapi-fetch").exists():
            subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=CLIENT, check=True,
                           capture_output=True, timeout=300)
        subprocess.run(["npx", "tsc", "-p", "."], cwd=CLIENT, check=True, capture_output=True, timeout=300)

    await asyncio.to_thread(build)
    user = unique("ts")
    ran = await asyncio.create_subprocess_exec(
        "node", str(CLIENT / "dist" / "smoke.js"), server, service_key["X-API-Key"], user,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(ran.communicate(), timeout=60)
    assert ran.returncode == 0, err.decode()
    seen = json.loads(out)
    assert seen["id"].startswith("pay_") and seen["status"] == "pending" and seen["amount"] == 250_000
    assert seen["created_status"] == 201 and (seen["missing_status"], seen["missing_code"]) == (404, "not_found")
