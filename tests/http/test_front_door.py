"""What a newcomer opens first works on a machine without internet: `/` names what kassa
serves, `/docs` and `/redoc` load only kassa's own files, and every sandbox the start page
links answers with its emulator's payments (in the admin's money format) and controls."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx

from kassa.core.settings import Settings
from kassa.runtime import Runtime
from tests.conftest import _free_port, bearer, served, unique

PROVIDERS = ("click", "kaspi", "payme", "stripe", "yookassa")
NBSP = "\u00a0"


class References(HTMLParser):
    """Every address a page loads (src, a stylesheet's or icon's href) and links to (a's href)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("src"):
            self.loads.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.loads.append(str(found["href"]))
        if tag == "redoc" and found.get("spec-url"):
            self.loads.append(str(found["spec-url"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))


def references(html: str) -> References:
    parsed = References()
    parsed.feed(html)
    return parsed


def kassas_own(address: str) -> bool:
    """A path on the kassa that served the page: no scheme, no other host."""
    return address.startswith("/") and not address.startswith("//")


async def test_docs_and_redoc_load_only_kassas_own_files(client: httpx.AsyncClient) -> None:
    for page, bundle in (("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc")):
        html = await client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "://" not in html.text, f"{page} names another host"  # no CDN, no Google Fonts
        loaded = references(html.text).loads
        # Swagger UI reads the document from its inline configuration
        loaded += re.findall(r"url: '([^']+)'", html.text)
        assert loaded and all(kassas_own(a) for a in loaded), loaded
        assert "/openapi.json" in loaded
        for address in loaded:
            asset = await client.get(address)
            assert asset.status_code == 200, address
            if address.endswith(".js"):
                assert bundle in asset.text and "javascript" in asset.headers["content-type"]
        assert any(a.endswith(".js") for a in loaded)


async def test_the_start_page_leads_to_the_docs_the_admin_the_portal_and_every_sandbox(
    client: httpx.AsyncClient,
) -> None:
    start = await client.get("/")
    assert start.status_code == 200 and start.headers["content-type"].startswith("text/html")
    page = references(start.text)
    assert all(kassas_own(a) for a in page.loads + page.links)
    assert {"/docs", "/redoc", "/openapi.json", "/admin"} <= set(page.links)
    assert any(link.startswith("/docs#/portal/") for link in page.links)  # the portal's link maker
    assert "POST /api/v1/portal-sessions" in start.text
    assert [link for link in page.links if link.startswith("/sandbox/")] == [
        f"/sandbox/{name}/" for name in PROVIDERS
    ]
    for link in page.links:
        answer = await client.get(link, follow_redirects=True)
        assert answer.status_code == 200, link
        kind = "application/json" if link.endswith(".json") else "text/html"
        assert answer.headers["content-type"].startswith(kind), link


async def test_without_the_sandboxes_the_start_page_is_a_plain_200(settings: Settings, runtime: Runtime) -> None:
    production = settings.model_copy(update={"sandbox": False})
    rt = Runtime(settings=production, db=runtime.db, http=runtime.http, providers=runtime.providers,
                 box=runtime.box, redis=runtime.redis, limiter=runtime.limiter)
    from kassa.app import create_app

    port = _free_port()
    async with served(create_app(production, runtime=rt), port), \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        start = await http.get("/")
        assert start.status_code == 200 and start.headers["content-type"].startswith("text/plain")
        assert "sandbox" not in start.text and "<a" not in start.text
        assert (await http.get("/sandbox/payme/")).status_code == 404
        assert (await http.get("/docs")).status_code == 200  # the docs work offline there too
        assert "://" not in (await http.get("/redoc")).text


async def pay_through(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    made = await client.post("/api/v1/payments", json=body, headers=bearer(unique("u")))
    assert made.status_code == 201, made.text
    payment: dict[str, Any] = made.json()
    return payment


async def test_each_sandbox_lists_its_payments_in_the_admins_money_format(client: httpx.AsyncClient) -> None:
    """The emulators keep their own state; their pages write amounts as the admin does
    (grouped, the currency's decimal mark), never `50000.00 UZS`."""
    made = {
        "payme": (await pay_through(client, {"provider": "payme", "amount": 5_000_000, "currency": "UZS"}),
                  f"50{NBSP}000,00 UZS"),
        "click": (await pay_through(client, {"provider": "click", "amount": 12_345_600, "currency": "UZS"}),
                  f"123{NBSP}456,00 UZS"),
        "kaspi": (await pay_through(client, {"provider": "kaspi", "amount": 1_500_000, "currency": "KZT",
                                             "phone": "+7 701 521 15 45"}), f"15{NBSP}000,00 KZT"),
        "stripe": (await pay_through(client, {"provider": "stripe", "amount": 2_000_000, "currency": "USD"}),
                   "20,000.00 USD"),
        "yookassa": (await pay_through(client, {"provider": "yookassa", "amount": 12_345_678,
                                                "currency": "RUB"}), f"123{NBSP}456,78 RUB"),
    }
    for provider, (payment, amount) in made.items():
        checkout = await client.get(payment["checkout_url"])
        assert checkout.status_code == 200 and f'id="amount">{amount}<' in checkout.text, provider
        stateless = provider in ("payme", "click")  # their links carry the order: seen on Pay
        if stateless:
            await client.post(payment["checkout_url"], data={"action": "pay"})
        index = await client.get(f"/sandbox/{provider}/")
        assert index.status_code == 200, provider
        assert amount in index.text, provider
        assert payment["id"] in index.text or payment["provider_payment_id"] in index.text, provider
        if not stateless:  # still waiting: its row leads to its page
            page = payment["checkout_url"].removeprefix(str(client.base_url).rstrip("/"))
            assert page.split("?")[0] in references(index.text).links, provider
        assert 'id="controls"' in index.text and f"/sandbox/{provider}/_faults" in index.text


async def test_a_sandbox_says_which_faults_are_on(client: httpx.AsyncClient) -> None:
    assert "No faults switched on" in (await client.get("/sandbox/kaspi/")).text
    await client.put("/sandbox/kaspi/_faults", json={"delay_ms": 5})
    try:
        index = await client.get("/sandbox/kaspi/")
        assert "Faults switched on" in index.text and "delay_ms=5" in index.text
    finally:
        await client.put("/sandbox/kaspi/_faults", json={})


async def test_a_sandbox_index_is_a_control(client: httpx.AsyncClient) -> None:
    """It shows every payment the emulator holds, customers' phone numbers among them: like
    the emulators' other controls, it answers this machine or an admin token."""
    elsewhere = {"X-Forwarded-For": "203.0.113.9"}
    for provider in PROVIDERS:
        refused = await client.get(f"/sandbox/{provider}/", headers=elsewhere)
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        seen = await client.get(f"/sandbox/{provider}/", headers={**elsewhere, **bearer("ops-1", "admin")})
        assert seen.status_code == 200


async def test_a_declined_stripe_card_is_an_error_the_customer_can_retry(client: httpx.AsyncClient) -> None:
    payment = await pay_through(client, {"provider": "stripe", "amount": 1_250, "currency": "USD"})
    declined = await client.post(payment["checkout_url"], data={"action": "decline"})
    assert 'class="result error"' in declined.text and 'role="alert"' in declined.text
    assert "Your card was declined." in declined.text
    assert 'id="pay"' in declined.text and 'id="retry"' in declined.text  # another card may pay
    opened_again = await client.get(payment["checkout_url"])
    assert "Your card was declined." in opened_again.text and 'id="pay"' in opened_again.text
    paid = await client.post(payment["checkout_url"], data={"action": "pay"})
    assert 'class="result success"' in paid.text and 'id="pay"' not in paid.text


async def test_a_declined_payment_is_never_shown_as_a_success(client: httpx.AsyncClient) -> None:
    """Where the provider ends a payment on a decline (Payme, Click, YooKassa, Kaspi), the
    page says so as an error, and offers no Pay that could not work."""
    bodies = [{"provider": "payme", "amount": 500_000, "currency": "UZS"},
              {"provider": "click", "amount": 500_000, "currency": "UZS"},
              {"provider": "yookassa", "amount": 50_000, "currency": "RUB"},
              {"provider": "kaspi", "amount": 150_000, "currency": "KZT", "phone": "+7 701 521 15 45"}]
    for body in bodies:
        payment = await pay_through(client, body)
        declined = await client.post(payment["checkout_url"], data={"action": "decline"})
        assert 'class="result error"' in declined.text, body["provider"]
        assert 'id="pay"' not in declined.text, body["provider"]
