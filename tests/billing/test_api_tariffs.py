from __future__ import annotations

import httpx
import pytest

from tests.conftest import bearer, make_tariff, unique


async def test_admins_manage_tariffs_and_everyone_reads_active_ones(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tariff = await make_tariff(client, name="Business", amount=12_000_000, description="all features")
    assert tariff["is_active"] and tariff["currency"] == "UZS" and tariff["amount"] == 12_000_000

    public = await client.get(f"/api/v1/tariffs/{tariff['id']}")
    assert public.status_code == 200 and public.json()["name"] == "Business"

    changed = await client.patch(f"/api/v1/tariffs/{tariff['id']}", json={"amount": 13_000_000,
                                                                          "is_active": False}, headers=admin)
    assert changed.status_code == 200 and changed.json()["amount"] == 13_000_000
    assert (await client.get(f"/api/v1/tariffs/{tariff['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/tariffs/{tariff['id']}", headers=admin)).status_code == 200
    listed = (await client.get("/api/v1/tariffs?page_size=100")).json()
    assert tariff["id"] not in [t["id"] for t in listed["items"]]
    assert all(t["is_active"] for t in listed["items"])


async def test_users_cannot_manage_tariffs(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client)
    user = bearer(unique("u"))
    create = await client.post("/api/v1/tariffs", json={"name": "X", "amount": 1, "currency": "UZS",
                                                        "duration_days": 1}, headers=user)
    assert create.status_code == 403 and create.json()["code"] == "forbidden"
    patch = await client.patch(f"/api/v1/tariffs/{tariff['id']}", json={"amount": 1}, headers=user)
    assert patch.status_code == 403
    delete = await client.delete(f"/api/v1/tariffs/{tariff['id']}", headers=user)
    assert delete.status_code == 403
    anonymous = await client.post("/api/v1/tariffs", json={})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"


async def test_deleting_a_tariff_that_payments_refer_to_only_deactivates_it(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    unused = await make_tariff(client)
    used = await make_tariff(client)
    bought = await client.post(f"/api/v1/tariffs/{used['id']}/purchase", json={"provider": "payme"},
                               headers=bearer(unique("u")))
    assert bought.status_code == 201

    assert (await client.delete(f"/api/v1/tariffs/{unused['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/tariffs/{unused['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"/api/v1/tariffs/{used['id']}", headers=admin)).status_code == 204
    kept = await client.get(f"/api/v1/tariffs/{used['id']}", headers=admin)
    assert kept.status_code == 200 and kept.json()["is_active"] is False
    again = await client.post(f"/api/v1/tariffs/{used['id']}/purchase", json={"provider": "payme"},
                              headers=bearer(unique("u")))
    assert again.status_code == 404


@pytest.mark.parametrize("body", [
    {"amount": 1.5}, {"amount": "100"}, {"amount": 0}, {"amount": 2**53}, {"amount": True},
    {"currency": "XXX"}, {"currency": "US"}, {"duration_days": 0}, {"name": ""}, {"extra": 1},
])
async def test_bad_tariffs_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object]
) -> None:
    name = unique("bad")
    full = {"name": name, "amount": 100, "currency": "UZS", "duration_days": 30, **body}
    response = await client.post("/api/v1/tariffs", json=full, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"
    listed = (await client.get("/api/v1/tariffs?page_size=100", headers=admin)).json()
    assert name not in [t["name"] for t in listed["items"]]


async def test_lists_page_newest_first(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    made = [await make_tariff(client, name=f"page-{i}") for i in range(3)]
    page = (await client.get("/api/v1/tariffs?page=1&page_size=2", headers=admin)).json()
    assert page["page"] == 1 and page["page_size"] == 2 and len(page["items"]) == 2
    assert page["items"][0]["id"] == made[-1]["id"]
    assert page["total"] >= 3
    bad = await client.get("/api/v1/tariffs?page_size=101")
    assert bad.status_code == 422
