"""Every amount an operator types in the admin is in its currency's major units, as the pages
show it: `5000` typed for UZS is 5 000,00 UZS (500000 tiyin through the API), in English and
in Russian; more decimals than the currency has are refused, never rounded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from kassa.runtime import Runtime
from tests.admin.test_admin_ui import csrf_of, operator, sign_in
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_cards import save_card, verified_card_token

FIVE_THOUSAND = "5\u00a0000,00"  # as UZS is written: a no-break space between the groups
SAID = {
    "en": {"tariff": "Tariff created.", "code": "Promo code {code} created.",
           "refund": f"Refunded {FIVE_THOUSAND} UZS", "test": "Test payment created",
           "too_precise": "UZS has 2 decimal places: 5000.001 has more."},
    "ru": {"tariff": "Тариф создан.", "code": "Промокод {code} создан.",
           "refund": f"Возврат {FIVE_THOUSAND} UZS", "test": "Тестовый платёж создан",
           "too_precise": "У UZS знаков после запятой: 2, а в 5000.001 больше."},
}


@pytest.fixture(params=["en", "ru"])
async def operator_in(request: pytest.FixtureRequest, server: str,
                      runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A signed-in operator whose browser asks for English or Russian."""
    email, password = await operator(runtime)
    async with httpx.AsyncClient(base_url=server, timeout=30,
                                 headers={"Accept-Language": request.param}) as browser:
        await sign_in(browser, email, password)
        yield browser, request.param


async def flash_after(browser: httpx.AsyncClient, answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    page = (await browser.get(answer.headers["location"])).text
    found = re.search(r'<div class="flash[^"]*" id="flash">([^<]*)</div>', page)
    assert found, "no message after the button"
    return found.group(1)


async def test_a_tariff_price_typed_as_5000_is_5000_sum(operator_in: tuple[httpx.AsyncClient, str],
                                                        admin: dict[str, str]) -> None:
    browser, lang = operator_in
    page = await browser.get("/admin/tariffs")
    name = unique("Plan")
    made = await browser.post("/admin/tariffs", data={"name": name, "amount": "5000", "currency": "UZS",
                                                      "duration_days": "30", "csrf": csrf_of(page.text)})
    assert await flash_after(browser, made) == SAID[lang]["tariff"]
    listed = (await browser.get("/api/v1/tariffs?page_size=100", headers=admin)).json()["items"]
    tariff = next(t for t in listed if t["name"] == name)
    assert (tariff["amount"], tariff["currency"]) == (500_000, "UZS")
    row = re.search(rf"<tr><td><a [^>]*>{name}</a></td><td>([^<]*)</td>", (await browser.get("/admin/tariffs")).text)
    assert row and row.group(1) == f"{FIVE_THOUSAND} UZS"
    edit = await browser.get(f"/admin/tariffs/{tariff['id']}")
    assert f'name="amount" value="{FIVE_THOUSAND}"' in edit.text  # saved again as shown: unchanged
    again = await browser.post(f"/admin/tariffs/{tariff['id']}", data={
        "name": name, "amount": FIVE_THOUSAND, "currency": "UZS", "duration_days": "30", "csrf": csrf_of(edit.text)})
    assert again.status_code == 303
    assert (await browser.get(f"/api/v1/tariffs/{tariff['id']}", headers=admin)).json()["amount"] == 500_000

    too_precise = await browser.post(f"/admin/tariffs/{tariff['id']}", data={
        "name": name, "amount": "5000.001", "currency": "UZS", "duration_days": "30", "csrf": csrf_of(edit.text)})
    assert await flash_after(browser, too_precise) == SAID[lang]["too_precise"]
    assert (await browser.get(f"/api/v1/tariffs/{tariff['id']}", headers=admin)).json()["amount"] == 500_000


async def test_a_promo_code_of_5000_off_takes_5000_sum_off(operator_in: tuple[httpx.AsyncClient, str],
                                                          admin: dict[str, str]) -> None:
    browser, lang = operator_in
    page = await browser.get("/admin/promo-codes")
    code = unique("OFF").upper()
    made = await browser.post("/admin/promo-codes", data={
        "code": code, "kind": "amount", "value": "5000", "currency": "uzs", "csrf": csrf_of(page.text)})
    assert await flash_after(browser, made) == SAID[lang]["code"].format(code=code)
    stored = next(c for c in (await browser.get("/api/v1/admin/promo-codes?page_size=100", headers=admin)).json()["items"]
                  if c["code"] == code)
    assert (stored["amount_off"], stored["currency"]) == (500_000, "UZS")
    row = re.search(rf"<tr><td><code>{code}</code></td>\s*<td>([^<]*)</td>", (await browser.get("/admin/promo-codes")).text)
    assert row and row.group(1) == f"{FIVE_THOUSAND} UZS"

    # bought with it, the invoice's line shows the same 5 000,00 off
    tariff = await make_tariff(browser, amount=5_000_000, currency="UZS")
    bought = (await browser.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "payme", "promo_code": code}, headers=bearer(unique("u")))).json()
    assert (bought["amount"], bought["discount_amount"]) == (4_500_000, 500_000)
    lines = (await browser.get(f"/admin/payments/{bought['id']}")).text
    assert f"<td class=\"nowrap\">{FIVE_THOUSAND} UZS</td>" in lines.split('id="lines"')[1]

    refused = await browser.post("/admin/promo-codes", data={
        "code": unique("OFF").upper(), "kind": "amount", "value": "5000.001", "currency": "UZS",
        "csrf": csrf_of(page.text)})
    assert await flash_after(browser, refused) == SAID[lang]["too_precise"]


async def test_a_test_payment_of_5000_asks_for_5000_sum(operator_in: tuple[httpx.AsyncClient, str],
                                                        admin: dict[str, str]) -> None:
    browser, lang = operator_in
    shop_id = unique("shop")
    created = await browser.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "payme"},
                                 headers=admin)
    assert created.status_code == 201, created.text
    shops = await browser.get("/admin/shops")
    made = await browser.post(f"/admin/shops/{shop_id}/test-payment", data={
        "amount": "5000", "currency": "UZS", "csrf": csrf_of(shops.text)})
    assert SAID[lang]["test"] in await flash_after(browser, made)
    payment_id = made.headers["location"].split("/")[-1]
    payment = (await browser.get(f"/api/v1/payments/{payment_id}", headers=admin)).json()
    assert (payment["amount"], payment["currency"], payment["shop_id"]) == (500_000, "UZS", shop_id)
    shown = (await browser.get(f"/admin/payments/{payment_id}")).text
    assert f'<div class="v">{FIVE_THOUSAND} UZS</div>' in shown

    refused = await browser.post(f"/admin/shops/{shop_id}/test-payment", data={
        "amount": "5000.001", "currency": "UZS", "csrf": csrf_of(shops.text)})
    assert await flash_after(browser, refused) == SAID[lang]["too_precise"]


async def test_a_refund_of_5000_gives_back_5000_sum(client: httpx.AsyncClient,
                                                    operator_in: tuple[httpx.AsyncClient, str]) -> None:
    browser, lang = operator_in
    user = unique("u")
    card = (await save_card(client, user, await verified_card_token(client))).json()
    paid = (await client.post("/api/v1/payments", json={
        "provider": "payme", "amount": 500_000, "currency": "UZS", "payment_method_id": card["id"]},
        headers=bearer(user))).json()
    assert paid["status"] == "succeeded", paid
    page = await browser.get(f"/admin/payments/{paid['id']}")
    refused = await browser.post(f"/admin/payments/{paid['id']}/refund", data={
        "amount": "5000.001", "csrf": csrf_of(page.text)})
    assert await flash_after(browser, refused) == SAID[lang]["too_precise"]

    refunded = await browser.post(f"/admin/payments/{paid['id']}/refund", data={
        "amount": "5000", "reason": "returned", "csrf": csrf_of(page.text)})
    assert (await flash_after(browser, refunded)).startswith(SAID[lang]["refund"])
    after = (await client.get(f"/api/v1/payments/{paid['id']}", headers=bearer(user))).json()
    assert after["refunded_amount"] == 500_000
    shown = (await browser.get(f"/admin/payments/{paid['id']}")).text
    assert f'<span id="refunded">{FIVE_THOUSAND}</span> UZS' in shown
    assert f'<td class="nowrap">{FIVE_THOUSAND} UZS</td>' in shown  # the refund's row

    # the export names its units: minor as the API gives them, and major beside them
    exported = await browser.get(f"/admin/payments.csv?q={paid['id']}")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1
    assert (rows[0]["amount"], rows[0]["amount_major"]) == ("500000", "5000.00")
    assert (rows[0]["refunded_amount"], rows[0]["refunded_amount_major"]) == ("500000", "5000.00")
