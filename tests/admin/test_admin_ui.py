"""The admin UI over HTTP: sign-in, lockout, CSRF; and the statistics API."""

from __future__ import annotations

import os
import re

import httpx

from kassa.runtime import Runtime
from kassa.services.accounts.operators import create_operator
from tests.conftest import bearer, unique


async def operator(runtime: Runtime) -> tuple[str, str]:
    email, password = f"{unique('op')}@shop.example", "correct horse battery"
    await create_operator(runtime.db, email, password)
    return email, password


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/admin/login")  # its CSRF token, and the cookie that matches it
    return await client.post("/admin/login", data={"email": email, "password": password,
                                                   "csrf": csrf_of(form.text)})


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


async def said_after(client: httpx.AsyncClient, response: httpx.Response) -> str:
    return (await client.get(response.headers["location"])).text


async def test_failures_slow_the_guesser_down_without_locking_the_operator_out(
        server: str, runtime: Runtime) -> None:
    email, password = await operator(runtime)
    unknown = f"{unique('nobody')}@shop.example"
    async with httpx.AsyncClient(base_url=server) as guesser:
        answers = []
        for _ in range(6):
            answers.append(await said_after(guesser, await sign_in(guesser, email, "wrong password!")))
            answers.append(await said_after(guesser, await sign_in(guesser, unknown, "wrong password!")))
        # the same answer for an operator, a stranger and a throttled attempt
        assert len({re.sub(r'name="csrf" value="[^"]+"', "", a) for a in answers}) == 1
        assert "Wrong e-mail or password" in answers[0]
        throttled = await sign_in(guesser, email, password)  # within the wait: refused as well
        assert "Wrong e-mail or password" in await said_after(guesser, throttled)
        assert (await guesser.get("/admin")).status_code == 303
    # the operator, from another address, signs in at once
    from kassa.app import create_app

    app = create_app(runtime.settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa") as operator_browser:
        signed = await sign_in(operator_browser, email, password)
        assert signed.headers["location"] == "/admin"
        assert (await operator_browser.get("/admin")).status_code == 200


async def test_the_sign_in_form_needs_its_csrf_token(client: httpx.AsyncClient, runtime: Runtime) -> None:
    email, password = await operator(runtime)
    forged = await client.post("/admin/login", data={"email": email, "password": password, "csrf": "guess"})
    assert "expired" in await said_after(client, forged)
    assert (await client.get("/admin")).status_code == 303


async def test_non_ascii_csrf_values_are_refused_not_a_500(client: httpx.AsyncClient, runtime: Runtime) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    for path in ("/admin/login", "/admin/tariffs", "/admin/logout"):
        response = await client.post(path, data={"csrf": "токен", "email": email, "password": password})
        assert response.status_code == 303, (path, response.status_code)


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


async def test_the_shop_form_asks_each_provider_for_what_it_declares(
        client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get("/admin/shops")
    assert 'name="yookassa__shop_id"' in page.text and 'name="click__service_id"' in page.text
    assert 'name="kaspi__organization_bin"' in page.text and 'name="payme__organization_bin"' not in page.text
    shop_id = unique("ru-shop")
    made = await client.post("/admin/shops", data={
        "csrf": csrf_of(page.text), "shop_id": shop_id, "provider": "yookassa",
        "yookassa__shop_id": "555001", "yookassa__secret_key": "live_0123456789abcdef",
        "kaspi__organization_bin": "990340005977"})  # another provider's field is not taken
    assert "created" in (await client.get(made.headers["location"])).text
    merchant = (await client.get(f"/api/v1/admin/merchants/{shop_id}", headers=admin)).json()
    assert set(merchant["credentials"]) == {"shop_id", "secret_key"}
    assert "0123456789abcdef" not in str(merchant["credentials"]) and merchant["organization_bin"] is None


async def test_payments_are_filtered_paged_and_exported_and_refunded_in_major_units(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                              headers=bearer(user))).json()
    made = []
    for amount in range(1_000, 1_000 + 55 * 10, 10):  # 55 payments: two pages of 50
        paid = await client.post("/api/v1/payments", json={
            "provider": "stripe", "amount": amount, "currency": "EUR", "payment_method_id": card["id"]},
            headers=bearer(user))
        made.append(paid.json())
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    first = await client.get(f"/admin/payments?q={user}&status=succeeded")
    assert "55 payments · page 1 of 2" in first.text and first.text.count("/admin/payments/pay_") == 50
    second = await client.get(f"/admin/payments?q={user}&status=succeeded&page=2")
    assert second.text.count("/admin/payments/pay_") == 5 and made[0]["id"] in second.text  # oldest last
    nothing = await client.get(f"/admin/payments?q={user}&from=2001-01-01&to=2001-01-31")
    assert "0 payments" in nothing.text

    exported = await client.get(f"/admin/payments.csv?q={user}")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0].startswith("id,created_at,paid_at,status,provider") and len(lines) == 56
    assert f"{made[-1]['id']}," in lines[1] and ",EUR," in lines[1]

    target = made[-1]
    page = await client.get(f"/admin/payments/{target['id']}")
    assert "Invoice" in page.text and f"/admin/customers?q={user}" in page.text
    refunded = await client.post(f"/admin/payments/{target['id']}/refund", data={
        "amount": "2,50", "reason": "a damaged item", "csrf": csrf_of(page.text)})
    assert "Refunded 2.50 EUR" in await said_after(client, refunded)
    body = (await client.get(f"/api/v1/payments/{target['id']}", headers=bearer(user))).json()
    assert body["refunded_amount"] == 250
    wrong = await client.post(f"/admin/payments/{target['id']}/refund", data={
        "amount": "2.505", "csrf": csrf_of(page.text)})
    assert "Type the amount in EUR, like 5,000.00." in await said_after(client, wrong)
    wrong = await client.post(f"/admin/payments/{target['id']}/refund", data={
        "amount": "2.5050", "csrf": csrf_of(page.text)})
    assert "EUR has 2 decimal places: 2.5050 has more." in await said_after(client, wrong)
    invoice_link = re.search(r'href="(/admin/invoices/[^"]+\.pdf)"', page.text)
    assert invoice_link and (await client.get(invoice_link.group(1))).content.startswith(b"%PDF-")


async def test_a_tariff_is_created_and_edited_with_its_price_in_major_units(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get("/admin/tariffs")
    name = unique("Silver")
    made = await client.post("/admin/tariffs", data={"name": name, "amount": "49 900,00", "currency": "uzs",
                                                     "duration_days": "30", "csrf": csrf_of(page.text)})
    assert "Tariff created." in await said_after(client, made)
    tariff = next(t for t in (await client.get("/api/v1/tariffs?page_size=100", headers=admin)).json()["items"]
                  if t["name"] == name)
    assert (tariff["amount"], tariff["currency"]) == (4_990_000, "UZS")
    edit = await client.get(f"/admin/tariffs/{tariff['id']}")
    saved = await client.post(f"/admin/tariffs/{tariff['id']}", data={
        "name": name, "amount": "59900.00", "currency": "UZS", "duration_days": "30", "recurring": "on",
        "trial_days": "7", "group": "video", "csrf": csrf_of(edit.text)})
    assert "Tariff saved." in await said_after(client, saved)
    after = (await client.get(f"/api/v1/tariffs/{tariff['id']}", headers=admin)).json()
    assert (after["amount"], after["recurring"], after["trial_days"], after["group"]) == (5_990_000, True, 7, "video")
    bad = await client.post(f"/admin/tariffs/{tariff['id']}", data={
        "name": name, "amount": "599.001", "currency": "UZS", "duration_days": "30", "csrf": csrf_of(edit.text)})
    assert "Type the amount in UZS, like 5\u00a0000,00." in await said_after(client, bad)


async def test_a_payme_checkout_payment_is_refunded_in_the_cabinet_not_with_a_button(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = unique("u")
    payment = (await client.post("/api/v1/payments", json={"provider": "payme", "amount": 300_000,
                                                          "currency": "UZS"}, headers=bearer(user))).json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get(f"/admin/payments/{payment['id']}")
    assert "refunded in the Payme merchant cabinet" in page.text and 'id="refund"' not in page.text
    done = await client.post(f"/admin/payments/{payment['id']}/cabinet-refund", data={"csrf": csrf_of(page.text)})
    assert "Refunded in the sandbox cabinet." in await said_after(client, done)
    body = (await client.get(f"/api/v1/payments/{payment['id']}", headers=bearer(user))).json()
    assert body["status"] == "refunded"  # Payme's CancelTransaction came back through the webhook


async def test_a_sellers_series_and_time_zone_are_set_on_its_form(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    shop_id = unique("form")
    await client.post("/api/v1/admin/merchants", json={"shop_id": shop_id, "provider": "stripe"}, headers=admin)
    page = await client.get("/admin/sellers")
    assert 'name="time_zone"' in page.text and "Asia/Tashkent" in page.text
    series = f"F{os.urandom(3).hex().upper()}"
    form = {"key": shop_id, "legal_name": "Form Shop LLC", "series": series.lower(), "time_zone": "Asia/Almaty",
            "csrf": csrf_of(page.text)}
    saved = await client.post("/admin/sellers", data=form)
    assert f"Seller for {shop_id} saved." in await said_after(client, saved)
    made = next(s for s in (await client.get("/api/v1/admin/sellers", headers=admin)).json() if s["key"] == shop_id)
    assert (made["series"], made["time_zone"]) == (series, "Asia/Almaty")
    assert f"<td>{series}</td><td>Asia/Almaty</td>" in (await client.get("/admin/sellers")).text
    wrong = await client.post("/admin/sellers", data={**form, "series": "", "time_zone": "Asia/Atlantis"})
    assert "is not a time zone" in await said_after(client, wrong)
    moved = await client.post("/admin/sellers", data={**form, "series": "OTHER"})
    assert "does not change" in await said_after(client, moved)
