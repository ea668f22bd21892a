"""Hostile input is refused cleanly everywhere, alike on SQLite and PostgreSQL: 100 000
levels of JSON nesting on every POST, PUT and PATCH route and webhook, and text PostgreSQL
cannot store (NUL in a path, query, form or JSON; a lone surrogate in JSON), is a 4xx (Payme
and Click: their own protocol's error, HTTP 200), never a 500, and changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from kassa.http.input_guard import MAX_DEPTH, too_deep
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
            elif path == "/webhooks/click":  # Click's "Error in request from click"
                assert response.status_code == 200 and response.json()["error"] == -8
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


# Text PostgreSQL cannot store: NUL (in text and in jsonb), and an unpaired surrogate (JSON only:
# a URL or a form is read as UTF-8 with replacement, so only a JSON escape can make one).
NUL_IN_JSON = ['"a\\u0000b"', '"\\u0000"', '"\\ud800"']


@pytest.mark.parametrize("poison", NUL_IN_JSON)
async def test_a_nul_or_a_lone_surrogate_in_a_json_string_is_refused(client: httpx.AsyncClient, poison: str) -> None:
    user = unique("u")
    payment = {"provider": "payme", "amount": 5000, "currency": "UZS"}
    for shape in ({**payment, "description": "POISON"}, {**payment, "metadata": {"POISON": "x"}}):
        body = json.dumps(shape).replace('"POISON"', poison)
        refused = await client.post("/api/v1/payments", content=body.encode(),
                                    headers={**bearer(user), "Content-Type": "application/json"})
        assert refused.status_code == 422 and refused.json()["code"] == "validation_error", refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 0


async def test_text_that_only_looks_like_a_nul_escape_is_kept(client: httpx.AsyncClient) -> None:
    """A backslash, then `u0000`: six characters of text, not NUL."""
    user = unique("u")
    made = await client.post("/api/v1/payments", content=b'{"provider": "payme", "amount": 5000, "currency": "UZS",'
                             b' "description": "C:\\\\u0000 and 100%00"}',
                             headers={**bearer(user), "Content-Type": "application/json"})
    assert made.status_code == 201, made.text
    assert made.json()["description"] == "C:\\u0000 and 100%00"


@pytest.mark.parametrize("path", ["/api/v1/payments/pay_%00", "/api/v1/payments/%00/refunds",
                                  "/api/v1/tariffs/%00", "/api/v1/admin/merchants/shop%00"])
async def test_an_id_with_nul_in_a_path_is_not_found(client: httpx.AsyncClient, path: str) -> None:
    for method in ("GET", "POST"):
        answer = await client.request(method, path, headers=bearer("admin-1", role="admin"), json={})
        if answer.status_code == 405:
            continue
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", (method, path, answer.text)


@pytest.mark.parametrize("query", ["shop_id=%00", "shop_id=a%00b", "payment_id=pay_%00", "provider=%00"])
async def test_nul_in_a_query_is_refused(client: httpx.AsyncClient, query: str) -> None:
    answer = await client.get(f"/api/v1/admin/audit-log?{query}", headers=bearer("admin-1", role="admin"))
    assert answer.status_code == 422 and answer.json()["code"] == "validation_error", answer.text
    listing = await client.get("/api/v1/payments?user_id=%00", headers=bearer("admin-1", role="admin"))
    assert listing.status_code == 422 and listing.json()["code"] == "validation_error"


async def test_nul_in_the_sign_in_form_is_refused_and_signs_nobody_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    for email in ("admin\x00@shop.example", "\x00"):
        answer = await client.post("/admin/login", data={"email": email, "password": "x", "csrf": csrf.group(1)})
        assert answer.status_code == 422 and answer.json()["code"] == "validation_error", answer.text
        assert "kassa_admin" not in answer.cookies and "set-cookie" not in answer.headers
    raw = await client.post("/admin/login", content=b"email=a%00b&password=x&csrf=" + csrf.group(1).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 422 and raw.json()["code"] == "validation_error"
    parts = await client.post("/admin/login", files={"email": (None, "a\x00b"), "password": (None, "x"),
                                                     "csrf": (None, csrf.group(1))})
    assert parts.status_code == 422 and parts.json()["code"] == "validation_error"


async def test_payme_is_answered_in_its_protocol_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    """A NUL in Payme's call is Payme's parse error (-32700) with HTTP 200, and the order is
    left as it was: a clean CreateTransaction afterwards opens the one transaction."""
    from tests.providers.test_payme_merchant_api import (
        AUTH,
        new_payme_id,
        now_ms,
        order,
        rpc,
        status_of,
    )

    payment = await order(client)
    for poison in ("\\u0000", "\\ud800"):
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "CreateTransaction", "params": {
            "id": new_payme_id() + "POISON", "time": now_ms(), "amount": 500_000,
            "account": {"order_id": payment["id"]}}}).replace("POISON", poison)
        answer = await client.post("/webhooks/payme", content=body.encode(),
                                   headers={**AUTH, "Content-Type": "application/json"})
        assert answer.status_code == 200 and answer.json()["error"]["code"] == -32700, answer.text
    assert await status_of(client, payment) == "pending"
    opened = await rpc(client, "CreateTransaction", {"id": new_payme_id(), "time": now_ms(), "amount": 500_000,
                                                     "account": {"order_id": payment["id"]}})
    assert opened["result"]["state"] == 1, opened


async def test_click_is_answered_in_its_protocol_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    """A NUL in Click's call is Click's "Error in request from click" (-8), and the order is
    left as it was: the same Prepare without it is then accepted."""
    from tests.providers.test_click import order, prepare_fields, signed, status

    payment = await order(client)
    fields = signed(prepare_fields(payment))
    for name in ("click_paydoc_id", "error_note", "merchant_trans_id"):
        answer = await client.post("/webhooks/click", data={**fields, name: fields[name] + "\x00"})
        assert answer.status_code == 200 and answer.json()["error"] == -8, (name, answer.text)
    assert (await status(client, payment))["status"] == "pending"
    accepted = (await client.post("/webhooks/click", data=fields)).json()
    assert accepted["error"] == 0 and accepted["merchant_prepare_id"], accepted
