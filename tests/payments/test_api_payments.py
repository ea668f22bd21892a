from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from starlette.requests import Request

from kassa.api.payments import create_payment, ordinary_create, ordinary_read
from kassa.app import create_app
from kassa.core.security import VERIFIED_PRINCIPAL, Principal, Role
from kassa.core.settings import Settings
from kassa.fast.fast_path import FastPathRoute, reads_arguments
from kassa.runtime import Runtime
from tests.conftest import bearer, make_tariff, unique


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    payload = {"provider": "payme", "amount": 150_000, "currency": "UZS", **body}
    return await client.post("/api/v1/payments", json=payload, headers=headers)


async def test_a_user_creates_and_reads_a_payment(client: httpx.AsyncClient) -> None:
    user = unique("u")
    response = await create(client, bearer(user), description="Order 42", metadata={"order": "42"})
    assert response.status_code == 201
    payment = response.json()
    assert payment["status"] == "pending" and payment["user_id"] == user
    assert payment["amount"] == 150_000 and payment["currency"] == "UZS"
    assert payment["purpose"] == "one_off" and payment["refunded_amount"] == 0
    assert payment["metadata"] == {"order": "42"} and payment["checkout_url"]
    fetched = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))
    assert fetched.json() == payment


async def test_other_users_payments_do_not_exist(client: httpx.AsyncClient) -> None:
    owner, stranger = unique("u"), unique("u")
    payment = (await create(client, bearer(owner))).json()
    for path in ("", "/events", "/refunds"):
        response = await client.get(f"/api/v1/payments/{payment['id']}{path}", headers=bearer(stranger))
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for action in ("cancel", "sync"):
        response = await client.post(f"/api/v1/payments/{payment['id']}/{action}", headers=bearer(stranger))
        assert response.status_code == 404
    listed = (await client.get("/api/v1/payments", headers=bearer(stranger))).json()
    assert listed["total"] == 0


async def test_organisation_members_see_organisation_payments(client: httpx.AsyncClient) -> None:
    org = unique("org")
    payer, colleague = unique("u"), unique("u")
    payment = (await create(client, bearer(payer, orgs=[org]), purpose="wallet_topup",
                            organization_id=org)).json()
    seen = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(colleague, orgs=[org]))
    assert seen.status_code == 200
    cancel = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(colleague, orgs=[org]))
    assert cancel.status_code == 403
    outsider = await create(client, bearer(unique("u"), orgs=["other"]), purpose="wallet_topup",
                            organization_id=org)
    assert outsider.status_code == 404
    wallet = await client.get(f"/api/v1/wallets/{org}", headers=bearer(unique("u")))
    assert wallet.status_code == 404


async def test_lists_filter_and_services_act_for_users(client: httpx.AsyncClient,
                                                       service_key: dict[str, str]) -> None:
    user = unique("u")
    mine = (await create(client, bearer(user))).json()
    other = (await create(client, bearer(user), amount=990)).json()
    await client.post(f"/api/v1/payments/{other['id']}/cancel", headers=bearer(user))

    pending = (await client.get("/api/v1/payments?status=pending", headers=bearer(user))).json()
    assert [p["id"] for p in pending["items"]] == [mine["id"]]
    both = (await client.get("/api/v1/payments?provider=payme&purpose=one_off", headers=bearer(user))).json()
    assert [p["id"] for p in both["items"]] == [other["id"], mine["id"]]

    by_service = await create(client, service_key, user_id=user)
    assert by_service.status_code == 201 and by_service.json()["user_id"] == user
    listed = (await client.get(f"/api/v1/payments?user_id={user}", headers=service_key)).json()
    assert listed["total"] == 3
    missing_user = await create(client, service_key)
    assert missing_user.status_code == 422
    impersonation = await create(client, bearer(unique("u")), user_id=user)
    assert impersonation.status_code == 403


async def test_cancel_only_while_open(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await create(client, bearer(user))).json()
    first = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    second = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    assert second.status_code == 409 and second.json()["code"] == "invalid_state"
    trail = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()
    assert {e["operation"] for e in trail["items"]} == {"create", "cancel"}


async def test_sync_of_a_payme_payment_keeps_its_state(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await create(client, bearer(user))).json()
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.status_code == 200 and synced.json()["status"] == "pending"


@pytest.mark.parametrize("body", [
    {"amount": 100.0}, {"amount": "100"}, {"amount": None}, {"amount": -1}, {"amount": 2**53},
    {"currency": "usd1"}, {"currency": "USD"}, {"provider": "paypal"}, {"purpose": "gift"},
    {"metadata": {"k": {"nested": 1}}}, {"return_url": "javascript:alert(1)"},
    {"purpose": "tariff"}, {"purpose": "wallet_topup"}, {"tariff_id": "tar_x"},
])
async def test_bad_payments_are_refused(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    user = unique("u")
    response = await create(client, bearer(user), **body)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 0


async def test_a_tariff_payment_must_match_the_tariff(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client, amount=400_000)
    user = unique("u")
    wrong = await create(client, bearer(user), purpose="tariff", tariff_id=tariff["id"], amount=1)
    assert wrong.status_code == 422
    right = await create(client, bearer(user), purpose="tariff", tariff_id=tariff["id"], amount=400_000)
    assert right.status_code == 201 and right.json()["tariff_id"] == tariff["id"]


async def test_idempotency_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}
    first = await create(client, headers)
    again = await create(client, headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"

    other_body = await create(client, headers, amount=1)
    assert other_body.status_code == 422 and other_body.json()["code"] == "idempotency_key_reused"

    same_key_other_user = await create(client, {**bearer(unique("u")), "Idempotency-Key": headers["Idempotency-Key"]})
    assert same_key_other_user.status_code == 201
    assert same_key_other_user.json()["id"] != first.json()["id"]
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_idempotency_key_in_the_body_or_x_header(client: httpx.AsyncClient) -> None:
    user = unique("u")
    key = unique("key")
    first = await create(client, bearer(user), idempotency_key=key)
    second = await create(client, {**bearer(user), "X-Idempotency-Key": key})
    assert first.json()["id"] == second.json()["id"]


async def test_a_create_reads_alike_whatever_json_media_type_it_comes_as(
    client: httpx.AsyncClient, service_key: dict[str, str]
) -> None:
    """An ordinary create (application/json, a verified caller) is read by kassa.fast.fast_path,
    anything else by FastAPI: the two must agree, down to the Idempotency-Key's fingerprint,
    so a retry replays whichever way the client's library labels its JSON."""
    payload = {"provider": "payme", "amount": 150_000, "currency": "UZS", "description": "Order 7",
               "metadata": {"order": "7"}, "return_url": "https://shop.example/back"}
    for caller, acting_for in ((bearer(unique("u")), {}), (service_key, {"user_id": unique("u")})):
        payload = {**payload, **acting_for}
        key = unique("key")
        answers = []
        for media_type in ("application/json", "application/vnd.api+json", "application/json"):
            headers = {**caller, "Idempotency-Key": key, "Content-Type": media_type}
            answers.append(await client.post("/api/v1/payments", content=json.dumps(payload),
                                             headers=headers))
        assert [a.status_code for a in answers] == [201, 201, 201], answers[-1].text
        assert answers[1].json() == answers[2].json() == answers[0].json()
        assert [a.headers.get("idempotent-replayed") for a in answers] == [None, "true", "true"]
        changed = await client.post("/api/v1/payments", content=json.dumps({**payload, "amount": 1}),
                                    headers={**caller, "Idempotency-Key": key,
                                             "Content-Type": "application/vnd.api+json"})
        assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
        fresh = await client.post("/api/v1/payments", content=json.dumps(payload),
                                  headers={**caller, "Content-Type": "application/vnd.api+json"})
        first = answers[0].json()
        assert fresh.status_code == 201 and fresh.json()["id"] != first["id"]
        assert {k: v for k, v in fresh.json().items() if k not in ("id", "checkout_url", "created_at",
                                                                    "updated_at")} == \
            {k: v for k, v in first.items() if k not in ("id", "checkout_url", "created_at", "updated_at")}


async def test_only_ordinary_creates_take_the_fast_path(settings: Settings, runtime: Runtime) -> None:
    """The reader of kassa.fast.fast_path says yes to a verified caller's valid JSON (else the
    speed it exists for is gone, unnoticed) and no to anything FastAPI should word a refusal
    for, or read itself."""
    app = create_app(settings, runtime=runtime)
    user = Principal(subject=unique("u"), role=Role.USER)
    service = Principal(subject="key_1", role=Role.SERVICE)
    ordinary = b'{"provider": "payme", "amount": 150000, "currency": "UZS"}'

    async def read(body: bytes, headers: dict[str, str], verified: Principal | None) -> Any:
        scope: dict[str, Any] = {
            "type": "http", "method": "POST", "path": "/api/v1/payments", "app": app,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            **({VERIFIED_PRINCIPAL: verified} if verified else {}),
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        return await ordinary_create(Request(scope, receive))

    json_type = {"Content-Type": "application/json; charset=utf-8"}
    taken = await read(ordinary, {**json_type, "Idempotency-Key": "k1"}, user)
    assert taken is not None and taken["principal"] == user and taken["idem"].key == "k1"
    assert taken["body"].amount == 150_000
    assert await read(ordinary, {**json_type, "X-API-Key": "kassa_x"}, service) is not None
    declined = [
        (ordinary, {"Content-Type": "application/vnd.api+json"}, user),  # FastAPI's to read
        (ordinary, {}, user),
        (ordinary, json_type, None),  # not verified by the rate limiter
        (ordinary, {**json_type, "X-API-Key": "kassa_x"}, user),  # a key, but a token verified
        (b'{"provider": "payme", "amount": 1.5, "currency": "UZS"}', json_type, user),
        (b"[1, 2]", json_type, user),
        (b"{", json_type, user),
    ]
    for body, headers, verified in declined:
        assert await read(body, headers, verified) is None, (body, headers)
    # what the route declares is what the reader reads: a dependency added to the route, its
    # router or its inclusion would be skipped on the fast path unless read there too
    operation = app.openapi()["paths"]["/api/v1/payments"]["post"]
    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key", "X-Idempotency-Key"]
    assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyHeader": []}]


async def test_only_ordinary_reads_take_the_fast_path(settings: Settings, runtime: Runtime) -> None:
    """A payment read by a verified caller with an id the route accepts skips FastAPI's
    solving; anything else is FastAPI's, and answers as it always has."""
    app = create_app(settings, runtime=runtime)
    user = Principal(subject=unique("u"), role=Role.USER)

    def reading(payment_id: str, verified: Principal | None) -> Request:
        scope: dict[str, Any] = {
            "type": "http", "method": "GET", "path": f"/api/v1/payments/{payment_id}",
            "app": app, "headers": [(b"authorization", b"Bearer t")],
            "path_params": {"payment_id": payment_id},
            **({VERIFIED_PRINCIPAL: verified} if verified else {}),
        }  # fmt: skip
        return Request(scope)

    taken = await ordinary_read(reading("pay_1", user))
    assert taken is not None and taken["principal"] == user and taken["payment_id"] == "pay_1"
    assert await ordinary_read(reading("pay_1", None)) is None  # not verified by the limiter
    assert await ordinary_read(reading("p" * 65, user)) is None  # FastAPI's to refuse
    operation = app.openapi()["paths"]["/api/v1/payments/{payment_id}"]["get"]
    assert [(p["name"], p["schema"].get("maxLength")) for p in operation["parameters"]] == [
        ("payment_id", 64)
    ]
    assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyHeader": []}]


async def test_a_read_answers_alike_on_either_path(
    client: httpx.AsyncClient, service_key: dict[str, str]
) -> None:
    user = unique("u")
    payment = (await create(client, bearer(user), description="Tea", metadata={"order": "7"})).json()
    by_owner = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))
    by_service = await client.get(f"/api/v1/payments/{payment['id']}", headers=service_key)
    assert by_owner.json() == by_service.json() == payment
    assert by_owner.headers["content-type"] == "application/json"
    too_long = await client.get(f"/api/v1/payments/{'p' * 65}", headers=bearer(user))
    assert too_long.status_code == 422 and too_long.json()["code"] == "validation_error"
    unknown = await client.get(f"/api/v1/payments/{'p' * 64}", headers=bearer(user))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    anonymous = await client.get(f"/api/v1/payments/{payment['id']}")
    assert anonymous.status_code == 401


def test_a_fast_path_refuses_a_route_with_dependencies_it_would_skip() -> None:
    async def audited() -> None:
        return None

    router = APIRouter(route_class=FastPathRoute, dependencies=[Depends(audited)])
    with pytest.raises(TypeError, match="cannot run dependencies"):
        router.post("/payments")(reads_arguments(ordinary_create)(create_payment))


async def test_errors_are_replayed_too(client: httpx.AsyncClient) -> None:
    headers = {**bearer(unique("u")), "Idempotency-Key": unique("key")}
    first = await create(client, headers, purpose="tariff", tariff_id="tar_missing")
    second = await create(client, headers, purpose="tariff", tariff_id="tar_missing")
    assert first.status_code == second.status_code == 404
    assert first.json()["detail"] == second.json()["detail"]


async def test_concurrent_requests_with_one_key_create_one_payment(client: httpx.AsyncClient) -> None:
    user = unique("u")
    headers = {**bearer(user), "Idempotency-Key": unique("key")}
    responses = await asyncio.gather(*(create(client, headers) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409} and 201 in statuses
    conflicts = [r for r in responses if r.status_code == 409]
    assert all(r.json()["code"] == "idempotency_conflict" for r in conflicts)
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert (await client.get("/api/v1/payments", headers=bearer(user))).json()["total"] == 1


async def test_an_unusable_key_is_refused(client: httpx.AsyncClient) -> None:
    response = await create(client, {**bearer(unique("u")), "Idempotency-Key": "x" * 300})
    assert response.status_code == 422


async def test_users_cannot_refund_and_only_paid_payments_refund(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> None:
    user = unique("u")
    payment = (await create(client, bearer(user))).json()
    by_user = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=bearer(user))
    assert by_user.status_code == 403
    pending = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=service_key)
    assert pending.status_code == 409 and pending.json()["code"] == "invalid_state"
    float_amount = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 1.0},
                                     headers=admin)
    assert float_amount.status_code == 422


async def test_subscriptions_me_and_admin_list(client: httpx.AsyncClient, admin: dict[str, str],
                                               service_key: dict[str, str]) -> None:
    user = unique("u")
    none = (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()
    assert {k: none[k] for k in ("id", "user_id", "tariff_id", "status", "started_at", "expires_at")} == {
        "id": None, "user_id": user, "tariff_id": None, "status": "none", "started_at": None, "expires_at": None}
    own = await client.get("/api/v1/subscriptions", headers=bearer(user))  # a user lists their own
    assert own.status_code == 200 and own.json()["total"] == 0
    listed = await client.get(f"/api/v1/subscriptions?user_id={user}", headers=service_key)
    assert listed.status_code == 200 and listed.json()["total"] == 0
    assert (await client.get("/api/v1/subscriptions/me", headers=service_key)).status_code == 403
