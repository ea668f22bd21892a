"""The portal's Pay now, as a customer whose renewal was declined uses it: they choose the card
(their default first), may keep it for renewals, read why a charge failed in their own
language, and a failed try of theirs spends no step of the dunning schedule."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from kassa.portal import failures
from kassa.portal import i18n as portal_i18n
from tests.billing.test_billing import renewal_payments, subscription, until_due
from tests.conftest import bearer, make_tariff, unique
from tests.providers.test_payme_cards import save_card, verified_card_token


async def stripe_card(client: httpx.AsyncClient, user: str, token: str) -> dict[str, Any]:
    saved = await client.post("/api/v1/payment-methods", json={"provider": "stripe", "token": token},
                              headers=bearer(user))
    assert saved.status_code == 201, saved.text
    card: dict[str, Any] = saved.json()
    return card


async def declined_at_renewal(client: httpx.AsyncClient, tariff: dict[str, Any], good: dict[str, Any],
                              dry: dict[str, Any], user: str) -> dict[str, Any]:
    """Bought with `good` (the default card, saved first), renewing with `dry`, whose renewal
    the billing job was declined: past due, one dunning step spent."""
    bought = await client.post(f"/api/v1/tariffs/{tariff['id']}/purchase", json={
        "provider": good["provider"], "payment_method_id": good["id"]}, headers=bearer(user))
    assert bought.status_code == 201 and bought.json()["status"] == "succeeded", bought.text
    sub_id = bought.json()["subscription_id"]
    moved = await client.patch(f"/api/v1/subscriptions/{sub_id}", json={"payment_method_id": dry["id"]},
                               headers=bearer(user))
    assert moved.status_code == 200, moved.text
    await until_due(client, await subscription(client, sub_id, user), timedelta(hours=1))
    past_due = await subscription(client, sub_id, user)
    assert past_due["status"] == "past_due" and past_due["renewal_attempts"] == 1, past_due
    return past_due


async def stripe_customer_declined(client: httpx.AsyncClient) -> tuple[str, dict[str, Any], dict[str, Any],
                                                                       dict[str, Any]]:
    tariff = await make_tariff(client, name=unique("Studio"), amount=4_900, currency="USD", duration_days=30,
                               recurring=True)
    user = unique("u")
    good = await stripe_card(client, user, "pm_card_visa")
    dry = await stripe_card(client, user, "pm_card_chargeCustomerFail")  # declined: generic_decline
    return user, await declined_at_renewal(client, tariff, good, dry, user), good, dry


class Portal:
    """A customer's browser in the portal: its cookie, and the forms of the page it shows."""

    def __init__(self, client: httpx.AsyncClient, cookie: str) -> None:
        self.client, self.cookies = client, {"kassa_portal": cookie}
        self.page = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    @classmethod
    async def open(cls, client: httpx.AsyncClient, user: str, language: str = "en") -> Portal:
        made = await client.post("/api/v1/portal-sessions", json={"language": language}, headers=bearer(user))
        entered = await client.get(made.json()["url"], follow_redirects=False)
        portal = cls(client, entered.cookies["kassa_portal"])
        await portal.show(entered.headers["location"])
        return portal

    async def show(self, where: str = "/portal") -> str:
        shown = await self.client.get(where, headers=self.headers)
        self.cookies.update(shown.cookies)  # the language the link asked for, kept
        self.page = shown.text
        return self.page

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.page)
        assert found, f"no {name} on the page"
        return found.group(1)

    def choices(self) -> list[tuple[str, str]]:
        """The Pay now form's cards, in the order offered."""
        select = re.search(r'<select name="method_id">(.*?)</select>', self.page, re.S)
        assert select, "no Pay now form"
        return [(v, html.unescape(t).strip()) for v, t in re.findall(r'<option value="([^"]*)">([^<]*)</option>',
                                                                     select.group(1))]

    async def pay(self, sub_id: str, method_id: str, keep: bool = False, attempt: str | None = None) -> httpx.Response:
        form = {"form_token": self.field("form_token"), "attempt": attempt or self.field("attempt"),
                "method_id": method_id}
        if keep:
            form["use_for_renewals"] = "on"
        return await self.client.post(f"/portal/subscriptions/{sub_id}/pay", data=form, headers=self.headers)

    async def said(self, answer: httpx.Response) -> str:
        """The message the portal shows after a button."""
        if answer.status_code == 303:
            await self.show(answer.headers["location"])
        else:
            self.page = answer.text
        found = re.search(r'id="flash">([^<]*)<', self.page)
        assert found, "no message"
        return html.unescape(found.group(1))


async def test_pay_now_charges_the_card_chosen_and_renewals_move_to_it(client: httpx.AsyncClient) -> None:
    user, sub, good, dry = await stripe_customer_declined(client)
    portal = await Portal.open(client, user)
    box = portal.page.split(f'id="sub-{sub["id"]}"')[1].split('class="box')[0]
    assert "to your card <span class=\"renewal-card\">visa •••• 0341</span>" in box  # the card renewals use
    # the default card is offered first, the subscription's own named, and the payment page
    assert portal.choices() == [(good["id"], "visa •••• 4242 · default"),
                                (dry["id"], "visa •••• 0341 · renewals use it"),
                                ("", "another card, on the payment page")]

    paid = await portal.pay(sub["id"], good["id"], keep=True)
    assert await portal.said(paid) == "Paid: your subscription is renewed, and renews with this card."
    renewed = await subscription(client, sub["id"], user)
    assert renewed["status"] == "active" and renewed["payment_method_id"] == good["id"]
    assert renewed["renewal_attempts"] == 0
    assert renewed["current_period_end"] > sub["current_period_end"]
    made = await renewal_payments(client, sub["id"], user)
    job, mine = made
    assert (mine["status"], mine["payment_method_id"], mine["billing_period"]) == ("succeeded", good["id"], 2)
    assert mine["metadata"]["paid_from"] == "portal"
    # the billing job's declined charge of the same period is closed at Stripe: never paid twice
    assert (job["billing_period"], job["status"]) == (2, "cancelled")
    # the saved cards say which one renewals charge now
    rows = portal.page.split('id="cards"')[1].split("<tr>")
    assert ["renewals of Studio-" in row for row in rows if "••••" in row] == [False, True]  # 0341, 4242


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_declined_pay_now_says_why_and_spends_no_dunning_step(client: httpx.AsyncClient,
                                                                      language: str) -> None:
    user, sub, _, dry = await stripe_customer_declined(client)
    portal = await Portal.open(client, user, language)
    attempt = portal.field("attempt")
    declined = await portal.pay(sub["id"], dry["id"], keep=True, attempt=attempt)
    said = await portal.said(declined)
    expected = portal_i18n.RU[failures.DECLINED] if language == "ru" else failures.DECLINED
    assert said == expected and "generic_decline" not in portal.page
    after = await subscription(client, sub["id"], user)
    # the customer's own try is no dunning retry: the schedule stands as the job left it
    assert (after["status"], after["renewal_attempts"], after["next_attempt_at"]) == (
        "past_due", 1, sub["next_attempt_at"])
    assert after["payment_method_id"] == dry["id"]  # kept for renewals only once it pays

    again = await portal.pay(sub["id"], dry["id"], attempt=attempt)  # the same form sent twice
    assert await portal.said(again) == expected
    made = await renewal_payments(client, sub["id"], user)
    assert [p["metadata"].get("paid_from") for p in made] == [None, "portal"]  # one payment
    assert made[1]["failure_code"] == "generic_decline"


async def test_a_payme_card_without_money_is_said_so_and_another_card_pays(client: httpx.AsyncClient) -> None:
    tariff = await make_tariff(client, name=unique("Kino"), amount=3_000_000, currency="UZS", recurring=True)
    user = unique("u")
    good = (await save_card(client, user, await verified_card_token(client))).json()
    dry = (await save_card(client, user, await verified_card_token(client, "8600000000000000"))).json()
    sub = await declined_at_renewal(client, tariff, good, dry, user)
    portal = await Portal.open(client, user, "ru")

    declined = await portal.pay(sub["id"], dry["id"])
    assert await portal.said(declined) == portal_i18n.RU[failures.NO_MONEY]
    after = await subscription(client, sub["id"], user)
    assert (after["renewal_attempts"], after["next_attempt_at"]) == (1, sub["next_attempt_at"])

    paid = await portal.pay(sub["id"], good["id"])
    assert await portal.said(paid) == portal_i18n.RU["Paid: your subscription is renewed."]
    renewed = await subscription(client, sub["id"], user)
    assert renewed["status"] == "active" and renewed["payment_method_id"] == dry["id"]  # not asked to move


async def test_another_customers_card_or_subscription_is_not_found(client: httpx.AsyncClient) -> None:
    user, sub, _, _ = await stripe_customer_declined(client)
    stranger = unique("u")
    theirs = await stripe_card(client, stranger, "pm_card_visa")
    portal = await Portal.open(client, user)
    before = await renewal_payments(client, sub["id"], user)

    refused = await portal.pay(sub["id"], theirs["id"])
    assert refused.status_code == 404
    assert await portal.said(refused) == "That did not work: payment method not found"
    assert await renewal_payments(client, sub["id"], user) == before  # nothing charged
    assert (await client.get("/api/v1/payments", headers=bearer(stranger))).json()["total"] == 0

    strangers_portal = await Portal.open(client, stranger)
    not_theirs = await strangers_portal.pay(sub["id"], theirs["id"], attempt=unique("form"))
    assert not_theirs.status_code == 404
    assert await strangers_portal.said(not_theirs) == "That did not work: subscription not found"
    assert (await subscription(client, sub["id"], user))["status"] == "past_due"


def test_every_failure_sentence_has_its_russian() -> None:
    assert set(failures.WHY.values()) <= set(failures.SENTENCES)
    assert not [s for s in failures.SENTENCES if s not in portal_i18n.RU]
    assert failures.why("something_new") == failures.OTHER and failures.why(None) == failures.OTHER
