"""The admin UI over HTTP: sign-in, lockout, CSRF; and the statistics API."""

from __future__ import annotations

import re

import httpx

from kassa.runtime import Runtime
from kassa.services.operators import create_operator
from tests.conftest import bearer, unique


async def operator(runtime: Runtime) -> tuple[str, str]:
    email, password = f"{unique('op')}@shop.example", "correct horse battery"
    await create_operator(runtime.db, email, password)
    return email, password


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/admin/login", data={"email": email, "password": password})


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def test_pages_need_a_session_and_forms_need_the_csrf_token(client: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await client.get("/admin")).headers["location"] == "/admin/login"
    email, password = await operator(runtime)
    signed = await sign_in(client, email, password)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    page = await client.get("/admin/tariffs")
    assert page.status_code == 200 and "Create tariff" in page.text
    assert "content-security-policy" in page.headers and page.headers["x-frame-options"] == "DENY"

    name = unique("Gold")
    forged = await client.post("/admin/tariffs", data={"name": name, "amount": "100", "currency": "UZS",
                                                       "duration_days": "30", "csrf": "guess"})
    assert forged.headers["location"] == "/admin/login"
    real = await client.post("/admin/tariffs", data={"name": name, "amount": "100", "currency": "UZS",
                                                     "duration_days": "30", "csrf": csrf_of(page.text)})
    assert real.status_code == 303
    assert name in (await client.get("/admin/tariffs")).text
    for path in ("/admin", "/admin/payments", "/admin/shops", "/admin/audit", "/admin/webhooks"):
        assert (await client.get(path)).status_code == 200, path

    await client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    assert (await client.get("/admin/tariffs")).status_code == 303


async def test_repeated_failures_lock_the_account(server: str, runtime: Runtime) -> None:
    email, password = await operator(runtime)
    async with httpx.AsyncClient(base_url=server) as client:
        for attempt in range(5):
            wrong = await sign_in(client, email, "wrong password!")
            said = (await client.get(wrong.headers["location"])).text
            assert ("Wrong" if attempt < 4 else "Too many") in said
        locked = await sign_in(client, email, password)
        assert "Too many" in (await client.get(locked.headers["location"])).text
        assert (await client.get("/admin")).status_code == 303


async def test_statistics(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    user = unique("u")
    paid = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 40_000, "currency": "UZS"},
                              headers=bearer(user))).json()
    await client.post(paid["checkout_url"], data={"action": "pay"})
    declined = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 40_000,
                                                            "currency": "UZS"}, headers=bearer(user))).json()
    await client.post(declined["checkout_url"], data={"action": "decline"})
    stats = (await client.get("/api/v1/admin/statistics?provider=payme", headers=admin)).json()
    assert stats["counts_by_status"]["succeeded"] >= 1 and stats["counts_by_status"]["cancelled"] >= 1
    assert 0 < stats["success_rate"] < 1
    assert any(r["currency"] == "UZS" and r["amount"] >= 40_000 for r in stats["revenue"])
    assert any(f["code"] == "payme_reason_2" for f in stats["failure_codes"])
    assert stats["median_seconds_to_success"] is not None and stats["daily"]
    assert [p["provider"] for p in stats["by_provider"]] == ["payme"]
    future = (await client.get("/api/v1/admin/statistics?from=2999-01-01T00:00:00Z", headers=admin)).json()
    assert future["total"] == 0 and future["success_rate"] is None
    assert (await client.get("/api/v1/admin/statistics", headers=bearer(user))).status_code == 403
    assert (await client.get("/api/v1/admin/statistics?from=2020-01-01T00:00:00", headers=admin)).status_code == 422
