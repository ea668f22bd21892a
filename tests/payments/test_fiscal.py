"""Fiscal receipts: lines a merchant in Uzbekistan or Russia can switch fiscalisation on
with — Payme's `detail` and SetFiscalData, YooKassa's 54-FZ receipts — and what is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_merchant_api import error_code, rpc

UZ = {"ikpu_code": "10899002001000000", "package_code": "1495086", "vat_percent": 12}
RU = {"vat_code": 11, "payment_subject": "service", "payment_mode": "full_payment"}


async def fiscal_receipts(client: httpx.AsyncClient, payment: dict[str, Any], user: str) -> list[dict[str, Any]]:
    for _ in range(50):
        found: list[dict[str, Any]] = (await client.get(
            f"/api/v1/payments/{payment['id']}/fiscal-receipts", headers=bearer(user))).json()
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_tariff_fiscal_data_is_validated(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for bad, why in (
        ({**UZ, "ikpu_code": "1089900200100000"}, "17 digits"),
        ({**UZ, "vat_percent": 15}, "12 or 0"),
        ({"ikpu_code": UZ["ikpu_code"]}, "as well"),
        ({**RU, "vat_code": 13}, "1 to 12"),
        ({**RU, "payment_mode": "whenever"}, "payment_mode"),
        ({"colour": "red"}, "unknown fiscal field"),
    ):
        refused = await client.post("/api/v1/tariffs", json={
            "name": "Pro", "amount": 5_000_000, "currency": "UZS", "duration_days": 30, "fiscal": bad}, headers=admin)
        assert refused.status_code == 422 and why in refused.text, (bad, refused.text)
    both = await make_tariff(client, fiscal={**UZ, **RU, "units": 241092})
    assert both["fiscal"] == {**UZ, **RU, "units": 241092}


async def test_one_off_items_must_add_up_to_the_amount(client: httpx.AsyncClient) -> None:
    user = unique("u")
    body = {"provider": "payme", "amount": 300_000, "currency": "UZS", "items": [
        {"title": "Chai", "quantity": 2, "unit_price": 100_000, "fiscal": UZ},
        {"title": "Non", "quantity": 1, "unit_price": 50_000, "fiscal": UZ}]}
    refused = await client.post("/api/v1/payments", json=body, headers=bearer(user))
    assert refused.status_code == 422 and "sum to 250000" in refused.text
    body["amount"] = 250_000
    made = await client.post("/api/v1/payments", json=body, headers=bearer(user))
    assert made.status_code == 201 and [i["quantity"] for i in made.json()["items"]] == [2, 1]


async def test_payme_gets_the_lines_in_check_and_pushes_its_fiscal_receipts(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """CheckPerformTransaction answers `detail` (the IKPU, package code and VAT of each
    line, a promo code's discount on the line); after paying and after a refund in the
    cabinet Payme sends SetFiscalData, and the receipts' check links show on the payment."""
    tariff = await make_tariff(client, amount=5_000_000, fiscal=UZ, name="Pro plan")
    code = unique("TENOFF").upper()
    await client.post("/api/v1/admin/promo-codes", json={"code": code, "percent_off": 10}, headers=admin)
    user = unique("u")
    payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "payme", "promo_code": code}, headers=bearer(user))).json()
    assert payment["amount"] == 4_500_000

    checked = await rpc(client, "CheckPerformTransaction", {"amount": 4_500_000, "account": {"order_id": payment["id"]}})
    assert checked["result"] == {"allow": True, "detail": {"receipt_type": 0, "items": [{
        "title": "Pro plan", "price": 5_000_000, "count": 1, "code": UZ["ikpu_code"],
        "package_code": UZ["package_code"], "vat_percent": 12, "discount": 500_000}]}}

    await client.post(payment["checkout_url"], data={"action": "pay"})
    receipts = await fiscal_receipts(client, payment, user)
    assert [(r["kind"], r["provider"]) for r in receipts] == [("sale", "payme")]
    assert receipts[0]["qr_code_url"].startswith("https://ofd.soliq.uz/check?t=")

    refunded = await client.post("/sandbox/payme/_cabinet/refund", json={"order_id": payment["id"]})
    assert refunded.json()["result"]["state"] == -2
    receipts = (await client.get(f"/api/v1/payments/{payment['id']}/fiscal-receipts", headers=bearer(user))).json()
    assert [r["kind"] for r in receipts] == ["sale", "refund"]
    assert (await client.get(f"/api/v1/payments/{payment['id']}/fiscal-receipts",
                             headers=bearer(unique("u")))).status_code == 404


async def test_set_fiscal_data_errors_as_payme_defines_them(client: httpx.AsyncClient) -> None:
    unknown = await rpc(client, "SetFiscalData", {"id": "0" * 24, "type": "PERFORM", "fiscal_data": {
        "receipt_id": 1, "qr_code_url": "https://ofd.soliq.uz/check?t=x"}})
    assert error_code(unknown) == -32001
    bad_type = await rpc(client, "SetFiscalData", {"id": "0" * 24, "type": "SALE", "fiscal_data": {}})
    assert error_code(bad_type) == -32602


async def test_an_order_without_uzbek_fiscal_lines_gets_no_detail(client: httpx.AsyncClient) -> None:
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 100_000, "currency": "UZS"}, headers=bearer(user))).json()
    checked = await rpc(client, "CheckPerformTransaction", {"amount": 100_000, "account": {"order_id": payment["id"]}})
    assert checked["result"] == {"allow": True}


async def test_yookassa_receipts_go_with_payments_and_refunds_when_the_shop_sends_them(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop_id = unique("ru-shop")
    made = await client.post("/api/v1/admin/merchants", json={
        "shop_id": shop_id, "provider": "yookassa", "credentials": {"receipts": "on"}}, headers=admin)
    assert made.status_code == 201, made.text
    await client.put("/sandbox/yookassa/_shop", json={"receipts_required": True})
    try:
        # as YooKassa: with receipts on, a payment without one is refused
        refused = await client.post("/sandbox/yookassa/v3/payments", auth=("100500", "test_kassa_sandbox"),
                                    headers={"Idempotence-Key": unique("k")}, json={
            "amount": {"value": "10.00", "currency": "RUB"}, "capture": True,
            "confirmation": {"type": "redirect", "return_url": "https://x.example/"}})
        assert refused.status_code == 400
        assert refused.json()["description"] == "Receipt is missing or illegal"
        assert refused.json()["parameter"] == "receipt"

        user = unique("u")
        plain = await make_tariff(client, amount=99_900, currency="RUB")
        no_fiscal = await client.post(f"/api/v1/tariffs/{plain['id']}/purchase", json={
            "provider": "yookassa", "shop_id": shop_id, "email": "buyer@shop.example"}, headers=bearer(user))
        assert no_fiscal.status_code == 422 and "vat_code" in no_fiscal.text
        tariff = await make_tariff(client, amount=99_900, currency="RUB", fiscal=RU)
        no_contact = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "yookassa", "shop_id": shop_id}, headers=bearer(user))
        assert no_contact.status_code == 422 and "email" in no_contact.text

        bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "yookassa", "shop_id": shop_id, "email": "buyer@shop.example"}, headers=bearer(user))
        assert bought.status_code == 201, bought.text
        await client.post(bought.json()["checkout_url"], data={"action": "pay"})
        refund = await client.post(f"/api/v1/payments/{bought.json()['id']}/refunds", json={"amount": 33_333},
                                   headers=admin)
        assert refund.status_code == 201 and refund.json()["status"] == "succeeded", refund.text
    finally:
        await client.put("/sandbox/yookassa/_shop", json={"receipts_required": False})


def test_a_receipt_adds_up_to_the_kopeck() -> None:
    """Three of 333.33 with a one-kopeck discount cannot be three equal prices: the receipt
    splits the line so its items still sum to the amount exactly."""
    from kassa.domain.fiscal import Line
    from kassa.providers.yookassa import receipts

    line = Line("Seat", 3, 33_333, 1, RU)
    made = receipts.for_payment((line,), "RUB", None, "+7 (701) 521-15-45")
    assert made["customer"] == {"phone": "77015211545"}
    assert [(i["quantity"], i["amount"]["value"]) for i in made["items"]] == [(1, "333.32"), (2, "333.33")]
    back = receipts.for_refund((line, Line("Tea", 1, 10_000, 0, RU)), 5_000, "RUB", "a@b.example", None)
    total = sum(i["quantity"] * int(i["amount"]["value"].replace(".", "")) for i in back["items"])
    assert total == 5_000
