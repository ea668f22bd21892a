"""YooKassa through the official SDK against the emulator; notifications believed only
after re-reading the payment from the API; invoices and their PDF."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from kassa.http.client_ip import parse_networks, sender_address
from tests.conftest import bearer, make_tariff, unique


async def buy(client: httpx.AsyncClient, user: str, **body: Any) -> dict[str, Any]:
    payload = {"provider": "yookassa", "amount": 59_900, "currency": "RUB", "description": "Подписка Pro",
               "return_url": "https://shop.example/back", **body}
    response = await client.post("/api/v1/payments", json=payload, headers=bearer(user))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def get(client: httpx.AsyncClient, user: str, payment: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    return body


async def test_a_subscription_paid_through_yookassa_with_an_invoice(client: httpx.AsyncClient) -> None:
    user = unique("u")
    tariff = await make_tariff(client, amount=59_900, currency="RUB", name="Pro")
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "yookassa"},
                                 headers=bearer(user))).json()
    assert "/sandbox/yookassa/confirm/" in payment["checkout_url"]
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    assert (await get(client, user, payment))["status"] == "succeeded"
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["status"] == "active"

    invoice = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"][0]
    assert invoice["amount"] == 59_900 and invoice["currency"] == "RUB"
    pdf = await client.get(f"/api/v1/invoices/{invoice['id']}.pdf", headers=bearer(user))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 800
    assert (await client.get(f"/api/v1/invoices/{invoice['id']}.pdf", headers=bearer(unique("u")))).status_code == 404


async def test_decline_cancels_with_the_reason(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = await buy(client, user)
    await client.post(payment["checkout_url"], data={"action": "decline"})
    body = await get(client, user, payment)
    assert body["status"] == "cancelled" and body["failure_code"] == "insufficient_funds"


async def test_two_step_capture(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    payment = await buy(client, user, metadata={"capture": False})
    await client.post(payment["checkout_url"], data={"action": "pay"})
    assert (await get(client, user, payment))["status"] == "processing"
    by_user = await client.post(f"/api/v1/payments/{payment['id']}/capture", headers=bearer(user))
    assert by_user.status_code == 403
    captured = await client.post(f"/api/v1/payments/{payment['id']}/capture", headers=admin)
    assert captured.status_code == 200 and captured.json()["status"] == "succeeded"
    await asyncio.sleep(0.2)
    again = await client.post(f"/api/v1/payments/{payment['id']}/capture", headers=admin)
    assert again.status_code == 409


async def test_partial_refunds(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    payment = await buy(client, user, amount=100_000)
    await client.post(payment["checkout_url"], data={"action": "pay"})
    first = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 25_050}, headers=admin)
    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    body = await get(client, user, payment)
    assert body["status"] == "partially_refunded" and body["refunded_amount"] == 25_050
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.json()["refunded_amount"] == 25_050  # the API agrees: nothing moves twice
    rest = await client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert rest.json()["amount"] == 74_950
    assert (await get(client, user, payment))["status"] == "refunded"
    invoice = (await client.get("/api/v1/invoices", headers=bearer(user))).json()["items"][0]
    assert invoice["status"] == "refunded"


async def test_a_forged_notification_changes_nothing_and_is_recorded(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = await buy(client, user)
    forged = await client.post(f"/sandbox/yookassa/_notify/{payment['provider_payment_id']}",
                               json={"event": "payment.succeeded", "object": {"status": "succeeded", "paid": True}})
    assert forged.status_code == 200
    assert (await get(client, user, payment))["status"] == "pending"
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()["items"]
    assert any(e["operation"] == "webhook" and "ignored" in (e["error_message"] or "") for e in events)


async def test_replayed_notifications_apply_once(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = await buy(client, user)
    await client.put("/sandbox/yookassa/_faults", json={"duplicate_callbacks": True})
    try:
        await client.post(payment["checkout_url"], data={"action": "pay"})
    finally:
        await client.put("/sandbox/yookassa/_faults", json={})
    notification = {"type": "notification", "event": "payment.succeeded",
                    "object": {"id": payment["provider_payment_id"], "status": "succeeded"}}
    replay = await client.post("/webhooks/yookassa", json=notification)
    assert replay.json()["outcome"] == "duplicate"
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()["items"]
    assert sum(e["status"] == "succeeded" and not e["error_message"] for e in events) == 1


async def test_notifications_from_a_foreign_address_are_refused(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = await buy(client, user)
    notification = {"type": "notification", "event": "payment.succeeded",
                    "object": {"id": payment["provider_payment_id"]}}
    # the forwarded header is not believed: this kassa trusts no proxy
    response = await client.post("/webhooks/yookassa", json=notification,
                                 headers={"X-Forwarded-For": "185.71.76.5"})
    assert response.status_code == 200  # loopback is allowed in the sandbox, the header ignored
    assert sender_address("203.0.113.9", None, []) is not None
    trusted = parse_networks("10.0.0.0/8")
    assert str(sender_address("10.0.0.2", "185.71.76.5, 10.0.0.7", trusted)) == "185.71.76.5"
    assert str(sender_address("10.0.0.2", "6.6.6.6, 185.71.76.5", trusted)) == "185.71.76.5"
    assert str(sender_address("203.0.113.9", "185.71.76.5", trusted)) == "203.0.113.9"
    assert str(sender_address("::ffff:185.71.76.1", None, [])) == "185.71.76.1"


async def test_an_api_outage_during_re_read_is_retried_not_lost(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = await buy(client, user)
    pid = payment["provider_payment_id"]
    await client.put("/sandbox/yookassa/_faults", json={"fail_status": 500, "fail_method": f"/v3/payments/{pid}"})
    try:
        page = await client.post(payment["checkout_url"], data={"action": "pay"})
        assert "successful" in page.text
        assert (await get(client, user, payment))["status"] == "pending"
    finally:
        await client.put("/sandbox/yookassa/_faults", json={})
    events = (await client.get(f"/api/v1/payments/{payment['id']}/events", headers=bearer(user))).json()["items"]
    assert any("re-read failed" in (e["error_message"] or "") for e in events)
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.json()["status"] == "succeeded"


@pytest.mark.parametrize("currency", ["GBP", "JPY"])
async def test_currencies_yookassa_does_not_take_are_refused(client: httpx.AsyncClient, currency: str) -> None:
    response = await client.post("/api/v1/payments", json={"provider": "yookassa", "amount": 100,
                                                          "currency": currency}, headers=bearer(unique("u")))
    assert response.status_code == 422


async def test_a_sender_outside_yookassas_networks_is_refused(client: httpx.AsyncClient, runtime: Any) -> None:
    from kassa.app import create_app

    user = unique("u")
    payment = await buy(client, user)
    app = create_app(runtime.settings, runtime=runtime)
    notification = {"type": "notification", "event": "payment.succeeded",
                    "object": {"id": payment["provider_payment_id"]}}
    for peer, expected in (("203.0.113.9", 403), ("::ffff:203.0.113.9", 403), ("185.71.76.3", 200),
                           ("::ffff:185.71.76.3", 200)):
        transport = httpx.ASGITransport(app=app, client=(peer, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as remote:
            response = await remote.post("/webhooks/yookassa", json=notification)
        assert response.status_code == expected, peer
    assert (await get(client, user, payment))["status"] == "pending"


async def test_an_unpaid_payment_cannot_be_cancelled_as_at_yookassa(client: httpx.AsyncClient) -> None:
    """YooKassa cancels only waiting_for_capture payments; a pending one expires by itself."""
    user = unique("u")
    payment = await buy(client, user)
    refused = await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
    assert "expires by itself" in refused.json()["detail"]
    assert (await get(client, user, payment))["status"] == "pending"

    authorised = await buy(client, user, metadata={"capture": False})
    await client.post(authorised["checkout_url"], data={"action": "pay"})
    cancelled = await client.post(f"/api/v1/payments/{authorised['id']}/cancel", headers=bearer(user))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_emulator_objects_parse_as_the_sdk_models_them(client: httpx.AsyncClient, runtime: Any) -> None:
    """Every object the emulator answers in kassa's flows parses into the official SDK's
    PaymentResponse/RefundResponse and carries the fields YooKassa documents for its status."""
    from yookassa.domain.response.payment_response import PaymentResponse
    from yookassa.domain.response.refund_response import RefundResponse

    auth = (runtime.settings.yookassa_shop_id, runtime.settings.yookassa_secret_key.get_secret_value())
    api = "/sandbox/yookassa/v3"

    async def call(method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Idempotence-Key": unique("k")} if method == "POST" else {}
        return await client.request(method, api + path, json=body, headers=headers, auth=auth)

    user = unique("u")
    payment = await buy(client, user, amount=100_000, metadata={"capture": False})
    pid = payment["provider_payment_id"]
    pending = (await call("GET", f"/payments/{pid}")).json()
    PaymentResponse(pending)
    assert pending["status"] == "pending" and pending["paid"] is False and "payment_method" not in pending
    cancel_pending = await call("POST", f"/payments/{pid}/cancel")
    assert cancel_pending.status_code == 400 and cancel_pending.json()["code"] == "invalid_request"
    assert set(cancel_pending.json()) >= {"type", "id", "code", "description"}

    await client.post(payment["checkout_url"], data={"action": "pay"})
    waiting = (await call("GET", f"/payments/{pid}")).json()
    PaymentResponse(waiting)
    assert waiting["status"] == "waiting_for_capture" and waiting["paid"] is True
    assert waiting["expires_at"] > waiting["created_at"]
    assert waiting["payment_method"]["type"] == "bank_card" and waiting["payment_method"]["card"]["last4"]
    assert set(waiting["authorization_details"]) >= {"rrn", "auth_code", "three_d_secure"}

    too_much = await call("POST", f"/payments/{pid}/capture", {"amount": {"value": "1000.01", "currency": "RUB"}})
    assert too_much.status_code == 400
    captured = (await call("POST", f"/payments/{pid}/capture", {"amount": {"value": "600.00", "currency": "RUB"}})).json()
    PaymentResponse(captured)
    assert captured["status"] == "succeeded" and captured["amount"] == {"value": "600.00", "currency": "RUB"}
    assert "expires_at" not in captured and captured["captured_at"]
    assert captured["income_amount"]["currency"] == "RUB"
    assert 0 < float(captured["income_amount"]["value"]) < 600

    refund = (await call("POST", "/refunds", {"payment_id": pid, "amount": {"value": "100.00", "currency": "RUB"}})).json()
    RefundResponse(refund)
    assert refund["status"] == "succeeded" and refund["payment_id"] == pid
    # kassa sees the partial capture as an amount the payment does not have: never succeeded
    synced = await client.post(f"/api/v1/payments/{payment['id']}/sync", headers=bearer(user))
    assert synced.json()["status"] == "processing"


async def test_an_unreachable_api_is_said_in_words(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    shop_id = unique("ru-shop")
    made = await client.post("/api/v1/admin/merchants", headers=admin, json={
        "shop_id": shop_id, "provider": "yookassa",
        "credentials": {"api_url": f"http://127.0.0.1:{closed}/v3"}})
    assert made.status_code == 201, made.text
    refused = await client.post("/api/v1/payments", headers=bearer(unique("u")), json={
        "provider": "yookassa", "amount": 59_900, "currency": "RUB", "shop_id": shop_id})
    assert refused.status_code == 502
    assert f"could not reach the YooKassa API at http://127.0.0.1:{closed}/v3" in refused.json()["detail"]
    assert "Error" not in refused.json()["detail"]  # no exception class names
