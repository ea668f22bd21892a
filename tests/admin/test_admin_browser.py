"""An operator in a real headless Chromium (Debian's, driven by Playwright): signs in,
creates a shop, runs a test payment through the sandbox page, sees it succeed on the
dashboard and refunds it. Screenshots of each page land in build/screenshots/ (ignored by
git); `make screenshots` writes them to docs/screenshots/ instead, to refresh the docs."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kassa.runtime import Runtime
from kassa.services.accounts.operators import create_operator
from tests.conftest import unique

CHROMIUM = os.environ.get("KASSA_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / os.environ.get("KASSA_SCREENSHOTS_DIR", "build/screenshots")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_available() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is missing at {CHROMIUM} and CI=true (make test installs it)")
    pytest.skip("no Chromium on this machine (make test installs Debian's)")


async def sign_in(page: Any, server: str, email: str, password: str) -> None:
    await page.goto(f"{server}/admin")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("#login")
    await page.wait_for_url(f"{server}/admin")


async def test_an_operator_runs_and_refunds_a_test_payment(server: str, runtime: Runtime) -> None:
    _browser_available()
    from playwright.async_api import async_playwright

    email, password = f"{unique('op')}@shop.example", "operator password 1"
    await create_operator(runtime.db, email, password)
    shop_id = unique("web-shop")
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url
    SHOTS.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})

        async def snap(name: str) -> None:
            if shoot:
                await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        await page.goto(f"{server}/admin")
        await page.fill("#email", email)
        await page.fill("#password", password)
        await snap("01-login")
        await page.click("#login")
        await page.wait_for_url(f"{server}/admin")
        await snap("02-dashboard")

        await page.goto(f"{server}/admin/shops")
        await page.fill("#shop-id", shop_id)
        await page.select_option("#shop-provider", "stripe")
        await page.fill("#new-shop input[name=description]", "Web shop")
        await page.click("#create-shop")
        await page.wait_for_selector(f"text=Shop {shop_id} created.")
        await snap("03-shops")

        row = page.locator("#shops tr", has_text=shop_id)
        await row.locator("input[name=amount]").fill("2500")
        await row.locator("button.test-payment").click()
        await page.wait_for_selector("#checkout")
        await snap("04-test-payment")
        payment_url = page.url

        async with page.context.expect_page() as popup_info:
            await page.click("#checkout")
        checkout = await popup_info.value
        await checkout.wait_for_load_state()
        await checkout.click("#pay")
        await checkout.wait_for_selector("#result")
        if shoot:
            await checkout.screenshot(path=str(SHOTS / "05-sandbox-checkout.png"), full_page=True)
        await checkout.close()

        await page.locator("#status", has_text="succeeded").wait_for(timeout=15000)  # updated live
        await page.goto(f"{server}/admin")
        assert await page.locator(".revenue").count() >= 1
        # the charts are drawn (uPlot, served locally), with a legend naming their series
        await page.wait_for_selector("#chart-payments canvas")
        await page.wait_for_selector("#chart-renewals canvas")
        assert "succeeded" in (await page.inner_text("#chart-payments")).lower()
        await page.wait_for_selector("#chart-revenue-USD canvas")  # a chart per currency
        assert "USD" in await page.inner_text("#chart-revenue-USD")
        await snap("06-dashboard-after")

        await page.goto(payment_url)
        asked: list[str] = []

        async def confirm(dialog: Any) -> None:
            asked.append(dialog.message)
            await dialog.accept()

        page.once("dialog", confirm)
        await page.fill("#refund-amount", "10.00")
        await page.fill("#refund-reason", "a late delivery")
        await page.click("#refund")
        await page.wait_for_selector("#flash")
        assert asked == ["Refund 10.00 USD?"]  # the confirm says how much goes back
        assert "Refunded 10.00 USD" in await page.inner_text("#flash")
        assert await page.inner_text("#refunded") == "10.00"
        await snap("07-refunded")

        await page.goto(f"{server}/admin/audit?shop_id={shop_id}")
        assert await page.locator("#audit tr").count() >= 3
        # an entry's time reads on one line, however long the other cells are
        height = await page.evaluate("""() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('#audit tr:nth-child(2) td'));
            return range.getBoundingClientRect().height; }""")
        assert height < 30, height
        await snap("08-audit")
        await page.goto(f"{server}/admin/webhooks")
        await snap("09-webhooks")
        await browser.close()


async def test_an_operator_advances_the_sandbox_clock_and_watches_a_renewal(
    server: str, runtime: Runtime
) -> None:
    """A customer subscribes with a saved card; the operator moves billing time a month in
    the admin UI and sees the subscription renewed, on the customer's page the renewal
    payment; then creates a promo code."""
    _browser_available()
    import httpx
    from playwright.async_api import async_playwright

    from tests.conftest import bearer, make_tariff

    email, password = f"{unique('op')}@shop.example", "operator password 1"
    await create_operator(runtime.db, email, password)
    user = unique("subscriber")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        tariff = await make_tariff(client, name=unique("Monthly"), amount=1_990, currency="USD",
                                   duration_days=30, recurring=True)
        card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                                  headers=bearer(user))).json()
        bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
        assert bought.json()["status"] == "succeeded", bought.text
        sub_id = bought.json()["subscription_id"]
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})

        async def snap(name: str) -> None:
            if shoot:
                await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        await sign_in(page, server, email, password)
        await page.goto(f"{server}/admin/subscriptions?tariff={tariff['id']}")
        row = page.locator("#subscriptions tr", has_text=user)
        assert "active" in await row.inner_text()
        await snap("10-subscriptions")
        await page.fill("#clock input[name=days]", "30")
        await page.click("#advance")
        await page.wait_for_selector("#flash")
        assert "Billing time is now" in await page.inner_text("#flash")
        await page.goto(f"{server}/admin/subscriptions?tariff={tariff['id']}")
        await snap("11-subscriptions-renewed")

        await page.goto(f"{server}/admin/customers?q={user}")
        assert "renewal #2" in await page.inner_text("#customer-payments")
        assert "visa •••• 4242" in await page.inner_text("#customer-cards")
        await snap("12-customer")

        code = unique("SPRING").upper()
        await page.goto(f"{server}/admin/promo-codes")
        await page.fill("#new-code input[name=code]", code)
        await page.fill("#new-code input[name=value]", "20")
        await page.fill("#new-code input[name=max_redemptions]", "100")
        await page.click("#new-code button")
        await page.wait_for_selector(f"text=Promo code {code} created.")
        assert "20%" in await page.locator("#promo-codes tr", has_text=code).inner_text()
        await snap("13-promo-codes")
        await browser.close()

    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        held = (await client.get(f"/api/v1/subscriptions/{sub_id}", headers=bearer(user))).json()
        periods = (await client.get(f"/api/v1/subscriptions/{sub_id}/periods", headers=bearer(user))).json()
    assert held["status"] == "active" and [p["kind"] for p in periods] == ["renewal", "purchase"]


async def test_a_customer_pays_a_past_due_renewal_in_the_portal(server: str, runtime: Runtime,
                                                                 service_key: dict[str, str]) -> None:
    """Their card was declined at renewal: in the portal (opened with a link from the
    business's backend) they see it past due, remove the card, pay now on Stripe's page,
    and come back to an active subscription; then they turn renewal off."""
    _browser_available()
    import httpx
    from playwright.async_api import async_playwright

    from tests.conftest import bearer, make_tariff

    user = unique("customer")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        tariff = await make_tariff(client, name="Studio", amount=4_900, currency="USD", duration_days=30,
                                   recurring=True)
        good = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                                  headers=bearer(user))).json()
        sub_id = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
            "provider": "stripe", "payment_method_id": good["id"]}, headers=bearer(user))).json()["subscription_id"]
        dry = (await client.post("/api/v1/payment-methods", json={
            "provider": "stripe", "token": "pm_card_chargeCustomerFail"}, headers=bearer(user))).json()
        await client.patch(f"/api/v1/subscriptions/{sub_id}", json={"payment_method_id": dry["id"]},
                           headers=bearer(user))
        await client.delete(f"/api/v1/payment-methods/{good['id']}", headers=bearer(user))
        held = (await client.get(f"/api/v1/subscriptions/{sub_id}", headers=bearer(user))).json()
        now = (await client.get("/sandbox/clock")).json()["now"]
        gap = datetime.fromisoformat(held["current_period_end"]) - datetime.fromisoformat(now)
        await client.post("/sandbox/clock/advance", json={"seconds": int(gap.total_seconds()) - 3600})
        assert (await client.get(f"/api/v1/subscriptions/{sub_id}", headers=bearer(user))).json()["status"] == "past_due"
        session = await client.post("/api/v1/portal-sessions", json={
            "user_id": user, "return_url": "https://shop.example/account"}, headers=service_key)
        assert session.status_code == 201, session.text
        link = session.json()["url"]
        # a portal link is not an API token
        token = link.split("token=")[1]
        refused = await client.get("/api/v1/subscriptions", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1024, "height": 900})

        async def snap(name: str) -> None:
            if shoot:
                await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        await page.goto(link)
        await page.wait_for_url(f"{server}/portal")
        box = page.locator(f"#sub-{sub_id}")
        assert "past due" in await box.inner_text()
        await snap("20-portal-past-due")

        await page.locator("#cards tr", has_text="0341").locator("button.remove-card").click()
        await page.wait_for_selector("#flash")
        assert "0341" not in await page.inner_text("#cards")
        await box.locator("button.pay-now").click()
        await page.wait_for_url("**/sandbox/stripe/c/pay/**")  # Stripe's Checkout page
        await page.click("#pay")
        await page.wait_for_selector("#result")
        await page.goto(f"{server}/portal")
        for _ in range(50):
            if "active" in await box.inner_text():
                break
            await page.wait_for_timeout(100)
            await page.reload()
        assert "active" in await box.inner_text() and "Next charge" in await box.inner_text()
        await snap("21-portal-renewed")

        await box.locator("button.renewal-switch").click()
        await page.wait_for_selector("#flash")
        assert "Turn renewal on" in await box.inner_text()
        pdf = await page.request.get(server + str(await page.locator("#invoices a").first.get_attribute("href")))
        assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF-")
        await snap("22-portal-renewal-off")
        await browser.close()


async def test_an_operator_sets_the_seller_and_sees_a_payments_fiscal_receipt(
    server: str, runtime: Runtime
) -> None:
    _browser_available()
    import httpx
    from playwright.async_api import async_playwright

    from tests.conftest import bearer, make_tariff
    from tests.payments.test_fiscal import UZ, fiscal_receipts

    email, password = f"{unique('op')}@shop.example", "operator password 1"
    await create_operator(runtime.db, email, password)
    user = unique("buyer")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        tariff = await make_tariff(client, name="Fiscal plan", amount=12_000_000, fiscal=UZ)
        payment = (await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={"provider": "payme"},
                                     headers=bearer(user))).json()
        await client.post(payment["checkout_url"], data={"action": "pay"})
        assert await fiscal_receipts(client, payment, user)
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, server, email, password)
        await page.goto(f"{server}/admin/sellers")
        await page.fill("#seller-form input[name=legal_name]", "OOO Sandbox Savdo")
        await page.fill("#seller-form input[name=tax_id]", "305987654")
        await page.fill("#seller-form input[name=address]", "Toshkent, Navoiy 5")
        await page.click("#seller-form button")
        await page.wait_for_selector("text=Seller for every shop saved.")
        assert "STIR 305987654" in await page.inner_text("#sellers")
        if shoot:
            await page.screenshot(path=str(SHOTS / "14-sellers.png"), full_page=True)
        await page.goto(f"{server}/admin/payments/{payment['id']}")
        receipts = await page.inner_text("#fiscal-receipts")
        assert "sale" in receipts and "open the receipt" in receipts
        assert "IKPU 10899002001000000" in await page.inner_text("#lines")  # the field named as the tax code names it
        if shoot:
            await page.screenshot(path=str(SHOTS / "15-payment-fiscal.png"), full_page=True)
        await browser.close()


async def test_the_dashboard_in_russian(server: str, runtime: Runtime) -> None:
    _browser_available()
    from playwright.async_api import async_playwright

    email, password = f"{unique('op')}@shop.example", "operator password 1"
    await create_operator(runtime.db, email, password)
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, server, email, password)
        async with page.expect_navigation():
            await page.select_option("#language select", "ru")  # applies on change
        assert await page.inner_text("h1") == "Обзор"
        assert "Платежи" in await page.inner_text("header")
        await page.goto(f"{server}/admin/payments")
        assert "Выгрузить CSV" in await page.inner_text("#payment-filters")
        # the longer Russian header still fits the window: nothing runs off its right edge
        overflow = await page.evaluate("document.querySelector('header').scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        if shoot:
            await page.screenshot(path=str(SHOTS / "16-payments-ru.png"), full_page=True)
        await page.goto(f"{server}/admin")  # three charts, their legends in Russian
        await page.wait_for_selector("#chart-renewals canvas")
        assert "продлено" in (await page.inner_text("#chart-renewals")).lower()
        assert "время" in (await page.inner_text("#chart-payments")).lower()
        if shoot:
            await page.screenshot(path=str(SHOTS / "17-dashboard-ru.png"), full_page=True)
        await browser.close()


async def hover_last_day(page: Any, chart: str) -> str:
    """The chart's legend with the pointer on today (the range's last day)."""
    over = page.locator(f"{chart} .u-over")
    await over.scroll_into_view_if_needed()
    box = await over.bounding_box()
    await page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    legend: str = await page.text_content(f"{chart} .u-legend") or ""
    return re.sub(r"[ \t\n]+", " ", legend)  # the no-break spaces kept


async def test_the_dashboard_charts_each_currency_as_a_russian_reader_writes_it(server: str,
                                                                               runtime: Runtime) -> None:
    """Sums and UZS on one axis drew the dollars flat at zero, and both languages read
    `200,000` and `11/24`: each currency has its chart, its days and amounts written as the
    operator reads them, the amounts as the admin's cards write them."""
    _browser_available()
    import httpx
    from playwright.async_api import async_playwright

    from kassa.domain.language import MONTHS
    from kassa.domain.money import format_amount
    from tests.conftest import bearer

    email, password = f"{unique('op')}@shop.example", "operator password 1"
    await create_operator(runtime.db, email, password)
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        user = unique("u")
        for provider, amount, currency in (("payme", 200_000_00, "UZS"), ("stripe", 2_500, "USD")):
            made = await client.post("/api/v1/payments", json={
                "provider": provider, "amount": amount, "currency": currency}, headers=bearer(user))
            assert made.status_code == 201, made.text
            await client.post(made.json()["checkout_url"], data={"action": "pay"})
        stats = (await client.get("/api/v1/admin/statistics", headers=bearer("admin-1", "admin"))).json()
    today = datetime.now(UTC).date()
    revenue = {r["currency"]: r["amount"] for r in stats["daily_revenue"] if r["day"] == today.isoformat()}
    assert revenue["UZS"] >= 200_000_00 and revenue["USD"] >= 2_500
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, server, email, password)
        async with page.expect_navigation():
            await page.select_option("#language select", "ru")
        await page.wait_for_selector("#chart-revenue-UZS canvas")
        await page.wait_for_selector("#chart-revenue-USD canvas")
        uzs = await hover_last_day(page, "#chart-revenue-UZS")
        assert f"{today.day} {MONTHS['ru'][today.month - 1]} {today.year}" in uzs  # 7 декабря 2026 г.
        assert format_amount(revenue["UZS"], "UZS") in uzs and "USD" not in uzs  # 200 000,00 UZS
        usd = await hover_last_day(page, "#chart-revenue-USD")
        assert format_amount(revenue["USD"], "USD") in usd  # its own chart, its own axis
        counted = await hover_last_day(page, "#chart-payments")
        assert f"{today.day} {MONTHS['ru'][today.month - 1]}" in counted
        if shoot:
            await page.screenshot(path=str(SHOTS / "18-dashboard-charts-ru.png"), full_page=True)
        # a phone: the charts stack, nothing runs off the screen
        await page.set_viewport_size({"width": 390, "height": 900})
        await page.reload()
        await page.wait_for_selector("#chart-revenue-UZS canvas")
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        await browser.close()


async def test_the_portals_invoices_fit_a_phone(server: str, runtime: Runtime) -> None:
    """At a phone's width each invoice is a small card inside the page, not a table running
    past it."""
    _browser_available()
    import httpx
    from playwright.async_api import async_playwright

    from tests.conftest import bearer, make_tariff

    user = unique("u")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        card = (await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": "pm_card_visa"},
                                  headers=bearer(user))).json()
        for amount, currency in ((150_000_00, "KZT"), (4_900, "USD")):  # Stripe charges either
            tariff = await make_tariff(client, name=unique("Pass"), amount=amount, currency=currency,
                                       group=unique("g"))
            bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
                "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
            assert bought.status_code == 201 and bought.json()["status"] == "succeeded", bought.text
        link = (await client.post("/api/v1/portal-sessions", json={"language": "ru"}, headers=bearer(user))).json()
    shoot = os.environ.get("KASSA_SCREENSHOTS", "1") == "1" and "sqlite" in runtime.settings.database_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(link["url"])
        await page.wait_for_selector("#invoices")
        assert await page.locator("#invoices a", has_text="PDF").count() == 2
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        table, main = await page.locator("#invoices").bounding_box(), await page.locator("main").bounding_box()
        assert table["x"] + table["width"] <= main["x"] + main["width"]
        if shoot:
            await page.screenshot(path=str(SHOTS / "19-portal-phone-ru.png"), full_page=True)
        await page.set_viewport_size({"width": 1280, "height": 900})  # a desktop keeps its table
        assert await page.locator("#invoices th").first.is_visible()
        await browser.close()
