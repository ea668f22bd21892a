"""Whether a subscription renews, said the same everywhere: the API's `auto_renew`, the
portal's "every 30 days" or "for 30 days", and the admin's Renews column never promise a
renewal that will not come (a one-off tariff, a cancelled subscription)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from kassa.runtime import Runtime
from tests.admin.test_admin_ui import operator, sign_in
from tests.conftest import bearer, make_tariff, unique
from tests.portal.test_portal_pay_now import Portal, stripe_card


async def bought_with_a_card(client: httpx.AsyncClient, tariff: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A customer who bought the tariff with a saved Stripe card: their subscription."""
    user = unique("u")
    card = await stripe_card(client, user, "pm_card_visa")
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": "stripe", "payment_method_id": card["id"]}, headers=bearer(user))
    assert bought.status_code == 201 and bought.json()["status"] == "succeeded", bought.text
    sub = await client.get(f"/api/v1/subscriptions/{bought.json()['subscription_id']}", headers=bearer(user))
    result: dict[str, Any] = sub.json()
    return user, result


def renews_cell(page: str, customer: str) -> str:
    """The admin's Renews column of the customer's row on the Subscriptions page."""
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f"q={customer}\"" in r)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    return re.sub(r"<[^>]+>", "", cells[5]).strip()


async def test_a_one_off_tariff_never_says_it_renews(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    once = await make_tariff(client, name=unique("Pass"), amount=2_500, currency="USD", duration_days=30)
    user, sub = await bought_with_a_card(client, once)
    assert sub["status"] == "active" and sub["auto_renew"] is False
    assert (await client.get("/api/v1/subscriptions/me", headers=bearer(user))).json()["auto_renew"] is False
    listed = (await client.get(f"/api/v1/subscriptions?user_id={user}", headers=admin)).json()["items"]
    assert [(s["id"], s["auto_renew"]) for s in listed] == [(sub["id"], False)]
    asked = await client.patch(f"/api/v1/subscriptions/{sub['id']}", json={"auto_renew": True}, headers=bearer(user))
    assert asked.status_code == 409 and asked.json()["code"] == "invalid_state"
    again = (await client.get(f"/api/v1/subscriptions/{sub['id']}", headers=bearer(user))).json()
    assert again == sub  # nothing changed

    for language, bought_for, every in (("en", "USD for 30 days", "every"), ("ru", "USD на 30 дн.", "каждые")):
        page = await (await Portal.open(client, user, language)).show()
        said = re.search(rf'id="sub-{sub["id"]}">.*?<div class="muted">(.*?)</div>', page, re.S)
        assert said and bought_for in said.group(1) and every not in said.group(1), said
        assert "Turn renewal" not in page and "Next charge" not in page


async def test_a_cancelled_subscription_does_not_renew_on_any_page(client: httpx.AsyncClient, server: str,
                                                                   runtime: Runtime) -> None:
    monthly = await make_tariff(client, name=unique("Monthly"), amount=2_500, currency="USD", duration_days=30,
                                recurring=True)
    user, sub = await bought_with_a_card(client, monthly)
    assert sub["auto_renew"] is True  # a recurring tariff renews, until it is cancelled
    email, password = await operator(runtime)
    async with httpx.AsyncClient(base_url=server, timeout=30) as browser:
        await sign_in(browser, email, password)
        listed = (await browser.get(f"/admin/subscriptions?tariff={monthly['id']}")).text
        assert renews_cell(listed, user).startswith("yes")
        ended = await client.post(f"/api/v1/subscriptions/{sub['id']}/cancel", json={"at_period_end": False},
                                  headers=bearer(user))
        assert ended.status_code == 200 and ended.json()["status"] == "cancelled"
        listed = (await browser.get(f"/admin/subscriptions?tariff={monthly['id']}")).text
        assert renews_cell(listed, user) == "no"
        customer = (await browser.get(f"/admin/customers?q={user}")).text
        row = re.search(r'id="customer-subscriptions">.*?<code>' + sub["id"] + r"</code>(.*?)</tr>", customer, re.S)
        assert row and re.findall(r"<td>([^<]*)</td>", row.group(1))[-1] == "no"
    page = await (await Portal.open(client, user)).show()
    assert "Next charge" not in page and "Turn renewal" not in page
