"""Hostile bodies are refused cleanly everywhere: 100 000 levels of JSON nesting on every
POST, PUT and PATCH route and webhook is a 4xx (Payme: its JSON-RPC parse error, HTTP 200),
never a 500, and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kassa.api.json_guard import MAX_DEPTH, too_deep
from tests.conftest import bearer, unique

DEPTH = 100_000
NESTED_LISTS = b"[" * DEPTH + b"]" * DEPTH
NESTED_OBJECTS = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH


def test_the_depth_check_reads_json_as_json() -> None:
    assert not too_deep(b'{"a": [1, 2, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}')
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not too_deep(b"[" + b"[]," * 5000 + b"[]]")  # many brackets, shallow
    assert too_deep(NESTED_OBJECTS)


async def _writable_routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    routes = []
    for path, operations in spec["paths"].items():
        for method in operations:
            if method in ("post", "put", "patch"):
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    return routes


async def test_deep_nesting_is_refused_on_every_route(client: httpx.AsyncClient) -> None:
    routes = await _writable_routes(client)
    routes += [("POST", "/webhooks/click"), ("POST", "/sandbox/clock/advance"),
               ("PUT", "/sandbox/stripe/_faults"), ("POST", "/sandbox/stripe/_dashboard/refund")]
    assert len(routes) > 20 and ("POST", "/api/v1/payments") in routes
    headers = {**bearer("admin-1", role="admin"), "Content-Type": "application/json"}
    for method, path in routes:
        for body in (NESTED_LISTS, NESTED_OBJECTS):
            response = await client.request(method, path, content=body, headers=headers)
            assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
            if path == "/webhooks/payme":
                assert response.status_code == 200 and response.json()["error"]["code"] == -32700
            else:
                assert 400 <= response.status_code < 500, (method, path, response.status_code)


async def test_a_refused_body_changes_nothing(client: httpx.AsyncClient) -> None:
    admin = bearer("admin-1", role="admin")
    before = (await client.get("/api/v1/payments", headers=admin)).json()["total"]
    response = await client.post("/api/v1/payments", content=NESTED_OBJECTS,
                                 headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert (await client.get("/api/v1/payments", headers=admin)).json()["total"] == before


@pytest.mark.parametrize("poison", [b'"\\ud800"', b'"a\\udfffb"', b'{"\\udbff": 1}', b"NaN", b"-Infinity"])
async def test_values_that_could_not_be_stored_are_refused(client: httpx.AsyncClient, poison: bytes) -> None:
    user = unique("u")
    body = b'{"provider": "payme", "amount": 5000, "currency": "UZS", "metadata": {"a": ' + poison + b"}}"
    refused = await client.post("/api/v1/payments", content=body,
                                headers={**bearer(user), "Content-Type": "application/json"})
    assert refused.status_code == 422 and refused.json()["code"] == "validation_error"
    listing = await client.get("/api/v1/payments", headers=bearer(user))
    assert listing.status_code == 200 and listing.json()["total"] == 0
    # a proper pair of surrogates is one character, and welcome
    fine = await client.post("/api/v1/payments", content=body.replace(poison, b'"\\ud83d\\ude00"'),
                             headers={**bearer(user), "Content-Type": "application/json"})
    assert fine.status_code == 201 and fine.json()["metadata"] == {"a": "\U0001f600"}
    assert (await client.get("/api/v1/payments", headers=bearer(user))).status_code == 200
