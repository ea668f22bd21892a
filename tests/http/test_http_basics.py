"""Problem answers, auth failures, limits and the operational endpoints."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import jwt
import pytest

from kassa.core.security import mint_token
from tests.conftest import TEST_SECRET, bearer, unique


def is_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    assert "Traceback" not in response.text


async def test_malformed_json_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/payments", content=b'{"provider": "payme", "amount": ',
                                 headers={**bearer(unique("u")), "content-type": "application/json"})
    is_problem(response, 422, "validation_error")


async def test_bodies_over_one_mebibyte_are_refused(client: httpx.AsyncClient) -> None:
    big = b'{"description": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await client.post("/api/v1/payments", content=big,
                                 headers={**bearer(unique("u")), "content-type": "application/json"})
    is_problem(response, 413, "payload_too_large")

    async def chunks():  # no Content-Length: counted as it streams
        for _ in range(20):
            yield b"y" * 65536

    streamed = await client.post("/api/v1/payments", content=chunks(),
                                 headers={**bearer(unique("u")), "content-type": "application/json"})
    is_problem(streamed, 413, "payload_too_large")


async def test_unknown_routes_and_methods(client: httpx.AsyncClient) -> None:
    is_problem(await client.get("/api/v1/nothing-here"), 404, "not_found")
    response = await client.put("/api/v1/tariffs", headers=bearer(unique("u")))
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("header", [
    "Bearer not-a-jwt", "Bearer " + mint_token("another-secret-of-32-bytes-or-more-0123", "u1"),
    "Bearer " + mint_token(TEST_SECRET, "u1", expires_in=timedelta(seconds=-5)),
    "Bearer " + mint_token(TEST_SECRET, "u1", role="superuser"), "Basic dTpw",
])
async def test_bad_credentials_are_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v1/payments", headers={"Authorization": header})
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("unauthorized", "forbidden")


async def test_a_token_accepted_before_is_refused_once_it_expires(client: httpx.AsyncClient) -> None:
    """Verified tokens are remembered between calls; their expiry still holds."""
    token = mint_token(TEST_SECRET, unique("u"), expires_in=timedelta(seconds=2))
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # the second answered from memory
        assert (await client.get("/api/v1/payments", headers=headers)).status_code == 200
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    is_problem(await client.get("/api/v1/payments", headers=headers), 401, "unauthorized")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")  # never verified
    is_problem(await client.get("/api/v1/payments", headers={"Authorization": f"Bearer {forged}"}),
               401, "unauthorized")


async def test_a_wrong_api_key_is_401(client: httpx.AsyncClient) -> None:
    is_problem(await client.get("/api/v1/payments", headers={"X-API-Key": "kassa_sk_nope"}), 401, "unauthorized")


async def test_request_ids_are_kept_or_made(client: httpx.AsyncClient) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert kept.headers["x-request-id"] == "trace-123"
    made = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32
    problem = await client.get("/api/v1/payments", headers={"X-Request-ID": "trace-456"})
    assert problem.json()["request_id"] == "trace-456"


async def test_health_ready_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    await client.get("/api/v1/tariffs")
    metrics = await client.get("/metrics")
    assert "kassa_http_requests_total" in metrics.text and 'route="/api/v1/tariffs"' in metrics.text
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/tariffs", "/api/v1/tariffs/{tariff_id}/purchase", "/api/v1/payments",
                 "/api/v1/payments/{payment_id}/cancel", "/api/v1/payments/{payment_id}/sync",
                 "/api/v1/payments/{payment_id}/refunds", "/api/v1/payments/{payment_id}/events",
                 "/api/v1/subscriptions/me", "/api/v1/subscriptions", "/api/v1/invoices",
                 "/api/v1/invoices/{invoice_id}", "/api/v1/wallets/{organization_id}",
                 "/api/v1/wallets/{organization_id}/transactions", "/webhooks/payme", "/health", "/ready"):
        assert path in spec["paths"], path
    assert "Problem" in spec["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 200


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_portal_runs_no_script_and_is_framed_nowhere(client: httpx.AsyncClient) -> None:
    """Like the admin's, the portal's pages carry a Content-Security-Policy: a script that
    slipped into a page would not run, no other site frames it, and a form may lead only
    to the portal or (Pay now's redirect) an https checkout page."""
    entered = await client.get((await client.post("/api/v1/portal-sessions", json={},
                                                  headers=bearer(unique("u")))).json()["url"],
                               follow_redirects=True)
    for page in (entered, await client.get("/portal/enter?token=forged")):
        policy = dict(
            part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["form-action"] == "'self' https:" and policy["base-uri"] == "'none'"
        assert page.headers["cache-control"] == "no-store"
    assert "Your subscriptions" in entered.text


async def test_invoices_belong_to_their_owner(client: httpx.AsyncClient) -> None:
    owner = unique("u")
    created = await client.post("/api/v1/payments", json={"provider": "payme", "amount": 10_000,
                                                          "currency": "UZS"}, headers=bearer(owner))
    page = await client.post(created.json()["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    invoices = (await client.get("/api/v1/invoices", headers=bearer(owner))).json()["items"]
    assert len(invoices) == 1 and invoices[0]["amount"] == 10_000 and invoices[0]["status"] == "paid"
    own = await client.get(f"/api/v1/invoices/{invoices[0]['id']}", headers=bearer(owner))
    assert own.status_code == 200
    is_problem(await client.get(f"/api/v1/invoices/{invoices[0]['id']}", headers=bearer(unique("u"))),
               404, "not_found")
