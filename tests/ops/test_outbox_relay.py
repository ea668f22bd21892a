"""Downstream events: every change reaches subscribers, signed, at least once, retried."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from kassa.db.base import utcnow
from kassa.db.models import WebhookDelivery
from kassa.domain.backoff import retry_delay
from kassa.events.signing import sign, verify
from kassa.runtime import Runtime
from kassa.services.ops import destinations
from kassa.services.ops.delivery_client import delivery_client
from kassa.services.ops.outbox_relay import deliver_due, fan_out, relay_once
from tests.conftest import Receiver, bearer, make_tariff, unique


async def subscribe(client: httpx.AsyncClient, admin: dict[str, str], url: str,
                    events: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if events is not None:
        body["events"] = events
    response = await client.post("/api/v1/admin/webhook-endpoints", json=body, headers=admin)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def drain(runtime: Runtime) -> None:
    """Run the relay until nothing is due (what `kassa worker` does every second)."""
    for _ in range(50):
        if await relay_once(runtime) == 0:
            return


async def pay_tariff(client: httpx.AsyncClient, user: str) -> dict[str, Any]:
    tariff = await make_tariff(client, amount=1_000_000)
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"},
                                 headers=bearer(user))).json()
    page = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert "successful" in page.text
    return payment


async def test_a_paid_tariff_reaches_the_subscriber_signed(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    await drain(runtime)  # events of earlier tests predate this endpoint's subscription
    endpoint = await subscribe(client, admin, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    listed = (await client.get("/api/v1/admin/webhook-endpoints", headers=admin)).json()
    assert all("secret" not in e for e in listed["items"])

    payment = await pay_tariff(client, unique("u"))
    await drain(runtime)

    events = [json.loads(body) for _, body in receiver.received]
    mine = [e for e in events if e["data"].get("id") == payment["id"] or e["data"].get("payment_id") == payment["id"]]
    assert {e["type"] for e in mine} == {"payment.succeeded", "subscription.activated", "invoice.paid"}
    for headers, body in receiver.received:
        assert verify(endpoint["secret"], body, headers["kassa-signature"])
        assert not verify("whsec_other", body, headers["kassa-signature"])
    assert len({e["id"] for e in events}) == len(events)
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_event_filters_and_retries_until_delivered(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    await drain(runtime)
    endpoint = await subscribe(client, admin, receiver.url, ["payment.cancelled"])
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 5_000,
                                                           "currency": "UZS"}, headers=bearer(user))).json()
    await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    receiver.fail_next = 2

    await fan_out(runtime)
    await deliver_due(runtime)
    deliveries = (await client.get(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}/deliveries",
                                   headers=admin)).json()["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [("pending", 1, 503)]
    assert receiver.received == []

    for _ in range(2):  # the retry is due after the backoff; bring it forward
        async with runtime.db.transaction() as session:
            await session.execute(update(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint["id"]).values(next_attempt_at=utcnow()))
        await deliver_due(runtime)
    deliveries = (await client.get(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}/deliveries",
                                   headers=admin)).json()["items"]
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("delivered", 3)]
    assert [json.loads(b)["type"] for _, b in receiver.received] == ["payment.cancelled"]
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_a_delivery_failing_for_three_days_is_dead_and_can_be_redelivered(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    await drain(runtime)
    endpoint = await subscribe(client, admin, receiver.url, ["payment.cancelled"])
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 5_000,
                                                           "currency": "UZS"}, headers=bearer(user))).json()
    await client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=bearer(user))
    await fan_out(runtime)
    async with runtime.db.transaction() as session:
        await session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"]).values(
            created_at=utcnow() - timedelta(days=3, minutes=1)))
    receiver.fail_next = 1
    await deliver_due(runtime)
    dead = (await client.get(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}/deliveries?status=dead",
                             headers=admin)).json()["items"]
    assert len(dead) == 1

    again = await client.post(f"/api/v1/admin/webhook-deliveries/{dead[0]['id']}/redeliver", headers=admin)
    assert again.json()["status"] == "pending"
    await deliver_due(runtime)
    delivered = (await client.get(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}/deliveries",
                                  headers=admin)).json()["items"]
    assert delivered[0]["status"] == "delivered"
    assert [json.loads(b)["data"]["id"] for _, b in receiver.received] == [payment["id"]]
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_concurrent_relays_deliver_each_event_once_per_attempt(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    await drain(runtime)
    endpoint = await subscribe(client, admin, receiver.url, ["payment.cancelled"])
    user = unique("u")
    for _ in range(12):
        p = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 5_000,
                                                         "currency": "UZS"}, headers=bearer(user))).json()
        await client.post(f"/api/v1/payments/{p['id']}/cancel", headers=bearer(user))
    await asyncio.gather(*(relay_once(runtime) for _ in range(4)))
    await drain(runtime)
    ids = [json.loads(b)["id"] for _, b in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_only_admins_manage_endpoints_and_bad_input_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], service_key: dict[str, str]
) -> None:
    assert (await client.get("/api/v1/admin/webhook-endpoints", headers=bearer(unique("u")))).status_code == 403
    assert (await client.get("/api/v1/admin/webhook-endpoints", headers=service_key)).status_code == 403
    bad_url = await client.post("/api/v1/admin/webhook-endpoints", json={"url": "not a url"}, headers=admin)
    assert bad_url.status_code == 422
    bad_event = await client.post("/api/v1/admin/webhook-endpoints",
                                  json={"url": "https://crm.example/h", "events": ["payment.exploded"]}, headers=admin)
    assert bad_event.status_code == 422
    assert (await client.delete("/api/v1/admin/webhook-endpoints/we_nope", headers=admin)).status_code == 404


def test_the_first_retry_comes_within_thirty_seconds_and_backoff_grows() -> None:
    first = [retry_delay(1).total_seconds() for _ in range(200)]
    assert max(first) <= 30 and min(first) >= 5
    assert retry_delay(5, jitter=0).total_seconds() == 160
    assert retry_delay(60, jitter=0) == timedelta(hours=6)


def test_signature_round_trip_and_staleness() -> None:
    body = b'{"id":"evt_1"}'
    header = sign("whsec_x", body)
    assert verify("whsec_x", body, header)
    assert not verify("whsec_x", body + b" ", header)
    assert not verify("whsec_x", body, sign("whsec_x", body, timestamp=1_000_000))
    assert not verify("whsec_x", body, "garbage")


async def test_internal_destinations_are_refused_at_registration_and_at_delivery(
    client: httpx.AsyncClient, settings: Any, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    from kassa.app import create_app

    internal = ["http://127.0.0.1:6379/", "http://localhost:8000/", "http://0.0.0.0:22/", "http://2130706433/",
                "http://0x7f000001/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook",
                "http://[::1]:5432/", "http://[::ffff:127.0.0.1]/", "http://192.168.1.1/", "http://100.64.0.1/"]
    production = settings.model_copy(update={"sandbox": False, "webhook_allowed_networks": ""})
    prod_runtime = Runtime(settings=production, db=runtime.db, http=runtime.http, providers=runtime.providers,
                           box=runtime.box, redis=runtime.redis, limiter=runtime.limiter)
    transport = httpx.ASGITransport(app=create_app(production, runtime=prod_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as prod:
        for url in internal:
            refused = await prod.post("/api/v1/admin/webhook-endpoints", json={"url": url}, headers=admin)
            assert refused.status_code == 422, (url, refused.text)
            assert "internal address" in refused.json()["detail"]
        public = await prod.post("/api/v1/admin/webhook-endpoints", json={"url": "https://93.184.215.14/hooks"},
                                 headers=admin)
        assert public.status_code == 201
        await prod.delete(f"/api/v1/admin/webhook-endpoints/{public.json()['id']}", headers=admin)
    # the sandbox allows a receiver on loopback, never the rest of the network…
    assert (await client.post("/api/v1/admin/webhook-endpoints", json={"url": "http://10.0.0.7/"},
                              headers=admin)).status_code == 422
    # …unless WEBHOOK_ALLOWED_NETWORKS names it
    allowing = settings.model_copy(update={"webhook_allowed_networks": "10.0.0.0/24"})
    allowing_rt = Runtime(settings=allowing, db=runtime.db, http=runtime.http, providers=runtime.providers,
                          box=runtime.box, redis=runtime.redis, limiter=runtime.limiter)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(allowing, runtime=allowing_rt)),
                                 base_url="http://kassa") as allowed:
        named = await allowed.post("/api/v1/admin/webhook-endpoints", json={"url": "http://10.0.0.7/"}, headers=admin)
        assert named.status_code == 201
        await allowed.delete(f"/api/v1/admin/webhook-endpoints/{named.json()['id']}", headers=admin)

    # registered while allowed, delivered by a relay that no longer allows it: never connected
    await drain(runtime)
    endpoint = await subscribe(client, admin, receiver.url)
    await pay_tariff(client, unique("u"))
    for _ in range(5):
        if await relay_once(prod_runtime) == 0:
            break
    assert receiver.received == []
    deliveries = (await client.get(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}/deliveries",
                                   headers=admin)).json()["items"]
    assert deliveries and all("not sent" in (d["last_error"] or "") for d in deliveries)
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_a_delivery_connects_to_the_address_its_check_resolved(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name is looked up once, by the check, and the connection goes to the address
    that lookup gave: `hooks.rebind.test` resolves nowhere but in the check (the system's
    resolver knows no `.test` name), yet the receiver on loopback gets the events, under
    the name's Host header."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
    lookups: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[Any]:
        lookups.append((host, port))
        if host == "hooks.rebind.test":
            return [ipaddress.ip_address("127.0.0.1")]
        return await real_resolve(host, port)

    real_resolve = destinations.resolve
    monkeypatch.setattr(destinations, "resolve", resolve)
    await drain(runtime)
    endpoint = await subscribe(client, admin, f"http://hooks.rebind.test:{port}/hooks")
    lookups.clear()
    payment = await pay_tariff(client, unique("u"))
    await drain(runtime)

    mine = [json.loads(body) for _, body in receiver.received]
    assert payment["id"] in {e["data"].get("id") for e in mine}
    assert {headers["host"] for headers, _ in receiver.received} == {f"hooks.rebind.test:{port}"}
    assert set(lookups) == {("hooks.rebind.test", port)}  # one lookup a connection, nothing else
    await client.delete(f"/api/v1/admin/webhook-endpoints/{endpoint['id']}", headers=admin)


async def test_a_name_that_resolves_inside_is_refused_at_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery's own lookup is checked: a name that passed at registration and now
    answers with cloud metadata's address is never connected to."""
    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("169.254.169.254")]

    monkeypatch.setattr(destinations, "resolve", resolve)
    async with delivery_client([], timeout=1.0) as http:
        with pytest.raises(destinations.DestinationRefused, match=r"169\.254\.169\.254"):
            await http.post("http://hooks.example.com/x", content=b"{}")
