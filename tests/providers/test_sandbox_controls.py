"""The sandbox's controls (its clock, the emulators' fault switches and cabinet actions)
answer a caller on kassa's own machine or an admin token; a customer's Pay and Decline on
a sandbox checkout page answer anyone."""

from __future__ import annotations

import httpx

from kassa.app import create_app
from kassa.core.settings import Settings
from kassa.runtime import Runtime
from tests.conftest import bearer, unique

# what a reverse proxy in front of kassa adds: the request came from elsewhere
FORWARDED = {"X-Forwarded-For": "203.0.113.9"}
CONTROLS = [("POST", "/sandbox/clock/advance", {"seconds": 86_400}),
            ("GET", "/sandbox/clock", None),
            ("PUT", "/sandbox/payme/_faults", {"fail_status": 503}),
            ("PUT", "/sandbox/stripe/_webhook_endpoint", {"enabled_events": ["*"]}),
            ("POST", "/sandbox/payme/_cabinet/refund", {"order_id": "pay_x"}),
            ("PUT", "/sandbox/kaspi/_payments/x", {"status": "Processed"})]


async def test_a_caller_from_elsewhere_works_no_control_without_an_admin_token(
    client: httpx.AsyncClient,
) -> None:
    clock = (await client.get("/sandbox/clock")).json()
    faults = (await client.get("/sandbox/payme/_faults")).json()
    for method, path, body in CONTROLS:
        refused = await client.request(method, path, json=body, headers=FORWARDED)
        assert refused.status_code == 401, (path, refused.text)
        assert refused.json()["code"] == "unauthorized"
        as_user = await client.request(method, path, json=body, headers={**FORWARDED, **bearer(unique("u"))})
        assert as_user.status_code == 403 and as_user.json()["code"] == "forbidden", path
    assert (await client.get("/sandbox/clock")).json()["offset_seconds"] == clock["offset_seconds"]
    assert (await client.get("/sandbox/payme/_faults")).json() == faults  # nothing switched on

    admin = {**FORWARDED, **bearer("ops-1", "admin")}
    assert (await client.get("/sandbox/clock", headers=admin)).json()["offset_seconds"] == clock["offset_seconds"]
    assert (await client.put("/sandbox/payme/_faults", json=faults, headers=admin)).status_code == 200


async def test_a_customer_from_elsewhere_still_pays_on_the_checkout_page(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 500_000,
                                                           "currency": "UZS"}, headers=bearer(user))).json()
    assert (await client.get(payment["checkout_url"], headers=FORWARDED)).status_code == 200
    paid = await client.post(payment["checkout_url"], data={"action": "pay"}, headers=FORWARDED)
    assert "Payment successful" in paid.text
    read = await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))
    assert read.json()["status"] == "succeeded"


async def test_behind_a_trusted_proxy_the_forwarded_address_decides(settings: Settings, runtime: Runtime) -> None:
    """kassa listening beyond loopback (the container binds 0.0.0.0): a caller from the
    network is refused; behind TRUSTED_PROXIES the address the proxy forwards decides."""
    proxied = settings.model_copy(update={"trusted_proxies": "127.0.0.0/8"})
    app = create_app(proxied, runtime=Runtime(settings=proxied, db=runtime.db, http=runtime.http,
                                              providers=runtime.providers, box=runtime.box,
                                              redis=runtime.redis, limiter=runtime.limiter))

    async def caller(address: str, **headers: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(address, 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as http:
            return (await http.get("/sandbox/payme/_faults", headers=headers)).status_code

    assert await caller("198.51.100.4") == 401  # from the network, straight
    assert await caller("127.0.0.1", **{"X-Forwarded-For": "198.51.100.4"}) == 401  # through the proxy
    assert await caller("127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"}) == 200  # the machine's own
    assert await caller("::1") == 200
    assert await caller("198.51.100.4", **bearer("ops-1", "admin")) == 200
