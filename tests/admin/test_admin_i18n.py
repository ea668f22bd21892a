"""The admin UI in Russian and Uzbek for operators who choose them: every text a template
shows, every message after a button, every state, operation, purpose, event note, unit and
error detail has its translation in each language, nothing is shown as an untranslated
literal, Uzbek is spelled with its own oʻ and gʻ, and an operator's choice sticks."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from kassa.admin import i18n
from kassa.admin.common import templates
from kassa.core.context import Actor
from kassa.domain.billing import SubscriptionStatus
from kassa.domain.language import STATES, STATES_RU, state
from kassa.domain.refusal_words import DETAILS, NOTES, TITLES
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.domain.vocabulary import TERMS
from kassa.providers import plugins
from kassa.runtime import Runtime
from kassa.services.ops.audit import OPERATIONS
from kassa.services.payments.updates import Outcome, apply_update
from tests import i18n_scan
from tests.admin.test_admin_ui import csrf_of, operator, sign_in
from tests.conftest import bearer, make_tariff, unique

TEMPLATES = Path(__file__).resolve().parents[2] / "kassa" / "admin" / "templates"
OPERATOR_LANGUAGES = ("ru", "uz")
NAVIGATION = (
    "Dashboard",
    "Payments",
    "Subscriptions",
    "Customers",
    "Tariffs",
    "Promo codes",
    "Shops",
    "Sellers",
    "Audit log",
    "Webhooks",
)
# Uzbek's oʻ and gʻ take U+02BB, its tutuq belgisi U+02BC: never a typewriter apostrophe,
# a backtick or a quotation mark standing in for them
UZBEK_STAND_INS = re.compile("['`‘’]")


def _messages_after_buttons() -> set[str]:
    messages = i18n_scan.messages_after_buttons(*i18n_scan.admin_sources())
    # the shared forms' words and a message of each page that sends one
    assert {"Type the amount in {currency}, like {example}.", "Tariff created.",
            "Seller for every shop saved.", "Promo code {code} created.", "Ended.",
            "Endpoint removed.", "Refunded in the sandbox cabinet.", "Shop {shop} created.",
            "The sign-in form expired; please try again."} <= messages  # fmt: skip
    return messages


def _shown_by_the_admin() -> set[str]:
    """Every English text the admin translates with its catalogues."""
    found = i18n_scan.templates(TEMPLATES, templates.env)
    titles = i18n_scan.page_titles(*i18n_scan.admin_sources())
    declared = {s.label for p in plugins.all_plugins() for s in p.secrets}
    declared |= {p.cabinet_refunds for p in plugins.all_plugins() if p.cabinet_refunds}
    return found.keys | titles | set(NAVIGATION) | declared | _messages_after_buttons()


def test_every_text_the_admin_shows_has_its_russian_and_uzbek() -> None:
    shown = _shown_by_the_admin()
    assert len(shown) > 250 and "Refund in the sandbox cabinet" in shown
    for language in OPERATOR_LANGUAGES:
        missing = sorted(shown - set(i18n.CATALOGUES[language]))
        assert not missing, (language, missing)


def test_no_template_shows_a_word_outside_the_catalogues() -> None:
    """A literal word a template prints as it is ('yes', "card", "30 d", 'Deactivate')
    reads English in every language: it must go through `_()`, `term()` or `state()`."""
    found = i18n_scan.templates(TEMPLATES, templates.env)
    assert not found.untranslated, found.untranslated
    # what `_()` is given by name comes from the views, the frame and the plug-ins
    assert {d.split(":")[0] for d in found.dynamic} <= {"base.html", "payment.html", "shops.html"}


def test_every_message_after_a_button_has_its_translations() -> None:
    messages = _messages_after_buttons()
    assert len(messages) > 30 and "Tariff created." in messages
    for language in OPERATOR_LANGUAGES:
        missing = sorted(messages - set(i18n.CATALOGUES[language]))
        assert not missing, (language, missing)


def test_every_state_and_list_value_a_page_shows_has_its_words() -> None:
    states = {*PaymentStatus, *SubscriptionStatus, "paid", "delivered", "dead", "pending",
              "inactive", "refund_pending", "refund_succeeded", "refund_failed"}  # fmt: skip
    for language in ("ru", "uz", "kk"):
        assert not sorted(set(states) - set(STATES[language])), language
    assert state("past_due", "en") == "past due" and state("past_due", "ru") == "просрочка оплаты"
    assert STATES_RU["refunded"] == "возвращено" and state("past_due", "uz") == "toʻlov muddati oʻtgan"
    lists = {
        "operation": set(OPERATIONS),
        "purpose": {"one_off", "tariff", "wallet_topup"},
        "applies_to": {"first_period", "every_period"},
        "receipt": {"sale", "refund"},
        "fiscal": {"ikpu_code", "package_code", "vat_percent", "vat_code", "payment_subject",
                   "payment_mode", "units"},
        "actor": {"user", "admin", "service", "provider", "system", "reconciler", "billing"},
    }
    for kind, values in lists.items():
        assert values <= set(TERMS[kind]), (kind, values - set(TERMS[kind]))
        for value in values:
            words = TERMS[kind][value]
            assert all(words.get(lang) for lang in ("en", *OPERATOR_LANGUAGES)), (kind, value)


def test_every_error_detail_and_event_note_has_its_translations() -> None:
    """Every detail a service raises (and the providers' and rules' texts passed on) reads
    in Russian, Uzbek and Kazakh; every note apply_update writes in Russian and Uzbek."""
    details = i18n_scan.raised_details()
    assert len(details) > 80 and "a {payment.status} payment cannot be refunded" in details
    for source in sorted(details):
        assert source in DETAILS, source
        assert all(DETAILS[source].get(lang) for lang in ("ru", "uz", "kk")), source
    notes = i18n_scan.update_notes() | {f"{o.value}: {{reason}}" for o in Outcome
                                        if o not in (Outcome.APPLIED, Outcome.DUPLICATE)}
    assert len(notes) >= 8
    for source in sorted(notes):
        assert source in NOTES and all(NOTES[source].get(lang) for lang in OPERATOR_LANGUAGES), source
    for code, words in TITLES.items():
        assert all(words.get(lang) for lang in ("en", "ru", "uz", "kk")), code


def test_uzbek_is_written_with_its_own_letters() -> None:
    """oʻ and gʻ as U+02BB, the tutuq belgisi as U+02BC, in every Uzbek text kassa has."""
    from kassa.portal.i18n import UZ as PORTAL_UZ
    from kassa.services.billing.document_words import UZ as DOCUMENTS_UZ

    texts = [*i18n.UZ.values(), *PORTAL_UZ.values(), *DOCUMENTS_UZ.values(),
             *STATES["uz"].values(), *(w["uz"] for w in DETAILS.values()),
             *(w["uz"] for w in NOTES.values()), *(w["uz"] for w in TITLES.values()),
             *(w["uz"] for kind in TERMS.values() for w in kind.values())]  # fmt: skip
    wrong = [t for t in texts if UZBEK_STAND_INS.search(re.sub(r"\{[^{}]*\}", "", t))]
    assert not wrong, wrong
    assert any("oʻ" in t for t in texts) and any("gʻ" in t for t in texts)
    # ʻ only ever follows o or g
    assert not [t for t in texts if re.search("[^oOgG]\u02bb", t)]


async def test_an_operator_switches_to_russian_and_it_sticks(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get("/admin/payments")
    assert ">Payments<" in page.text and 'lang="en"' in page.text
    chosen = await client.post(
        "/admin/language",
        data={"language": "ru", "csrf": csrf_of(page.text)},
        headers={"Referer": "http://evil.example/admin"},
    )
    assert chosen.headers["location"] == "/admin"  # back to this admin only
    russian = await client.get("/admin/payments")
    assert (
        ">Платежи<" in russian.text
        and "Выгрузить CSV" in russian.text
        and 'lang="ru"' in russian.text
    )
    assert "Обзор" in (await client.get("/admin")).text
    # a browser asking for Russian gets it before the operator chooses anything
    other_email, other_password = await operator(runtime)
    async with httpx.AsyncClient(
        base_url=str(client.base_url), headers={"Accept-Language": "ru-RU,ru;q=0.9"}
    ) as ru:
        await sign_in(ru, other_email, other_password)
        assert ">Платежи<" in (await ru.get("/admin/payments")).text


async def test_a_russian_operator_reads_states_and_messages_in_russian(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    email, password = await operator(runtime)
    async with httpx.AsyncClient(
        base_url=str(client.base_url), headers={"Accept-Language": "ru"}
    ) as ru:
        await sign_in(ru, email, password)
        payments = await ru.get("/admin/payments")
        assert '<option value="partially_refunded" >возвращено частично</option>' in payments.text
        page = await ru.get("/admin/tariffs")
        made = await ru.post(
            "/admin/tariffs",
            data={
                "name": unique("Про"),
                "amount": "100",
                "currency": "UZS",
                "duration_days": "30",
                "csrf": csrf_of(page.text),
            },
        )
        assert "Тариф создан." in (await ru.get(made.headers["location"])).text
        wrong = await ru.post(
            "/admin/tariffs",
            data={
                "name": "x",
                "amount": "abc",
                "currency": "UZS",
                "duration_days": "30",
                "csrf": csrf_of(page.text),
            },
        )
        assert "Укажите сумму в UZS, например 5\u00a0000,00." in (await ru.get(wrong.headers["location"])).text
        refused = await ru.post(
            "/admin/payments/pay_nobody/refund", data={"csrf": csrf_of(page.text)}
        )
        assert "Такого платежа нет." in (await ru.get(refused.headers["location"])).text


async def _paid_with_a_late_notice(client: httpx.AsyncClient, runtime: Runtime) -> str:
    """A Payme payment paid in the sandbox, then a provider's notice that comes too late
    (it says pending) and one that repeats what is known: two notes on its trail."""
    user = unique("u")
    made = await client.post("/api/v1/payments", json={"provider": "payme", "amount": 500_000,
                                                       "currency": "UZS"}, headers=bearer(user))
    payment = made.json()
    await client.post(payment["checkout_url"], data={"action": "pay"})
    for event, status in (("late", PaymentStatus.PENDING), ("again", PaymentStatus.SUCCEEDED)):
        async with runtime.db.transaction() as session:
            await apply_update(session, ProviderUpdate(
                provider="payme", event_id=f"{event}-{payment['id']}", payment_id=payment["id"],
                status=status), actor=Actor.provider("payme"))  # fmt: skip
    return str(payment["id"])


async def test_the_event_trail_and_refunds_read_in_russian_and_uzbek(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payment_id = await _paid_with_a_late_notice(client, runtime)
    email, password = await operator(runtime)
    async with httpx.AsyncClient(base_url=str(client.base_url), headers={"Accept-Language": "ru"}) as ru:
        await sign_in(ru, email, password)
        page = (await ru.get(f"/admin/payments/{payment_id}")).text
        for expected in ("пропущено: из «успешно» нельзя перейти в «ожидает»",
                         "пропущено: платёж уже «успешно»", "уведомление провайдера", "провайдер",
                         "Назначение: разовый платёж", "<th>Возврат</th>"):
            assert expected in page, expected
        assert "ignored" not in page and "one_off" not in page and "ВЕРНУТЬ" not in page
        # a refund the provider refuses says why in Russian, under a Russian heading
        refused = await ru.post(f"/admin/payments/{payment_id}/refund",
                                data={"amount": "1 000,00", "csrf": csrf_of(page)})
        said = (await ru.get(refused.headers["location"])).text
        assert "Нельзя в этом состоянии: платежи через страницу Payme возвращают в кабинете Payme" in said
        chosen = await ru.post("/admin/language", data={"language": "uz", "csrf": csrf_of(page)})
        assert chosen.status_code == 303
        uzbek = (await ru.get(f"/admin/payments/{payment_id}")).text
        for expected in ('lang="uz"', "Toʻlovlar", "Hodisalar tarixi",
                         "eʼtiborsiz qoldirildi: toʻlov allaqachon «muvaffaqiyatli»",
                         "provayder xabarnomasi", "Maqsad: bir martalik toʻlov", "<th>Qaytarish</th>"):
            assert expected in uzbek, expected
        audit = (await ru.get(f"/admin/audit?payment_id={payment_id}")).text
        assert "eʼtiborsiz qoldirildi" in audit and "yaratish" in audit and "ignored" not in audit


async def test_words_that_stayed_english_read_in_russian(
    client: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    """Shops' "yes Deactivate", subscriptions' "yes / card / 30 d", promo codes' "never",
    the dashboard's "34.1 s": each in the operator's language."""
    shop = unique("shop")
    made = await client.post("/api/v1/admin/merchants", json={"shop_id": shop, "provider": "stripe"},
                             headers=admin)
    assert made.status_code in (200, 201), made.text
    await client.post("/api/v1/admin/promo-codes", json={"code": unique("RU").upper(), "percent_off": 5},
                      headers=admin)
    tariff = await make_tariff(client, name=unique("Триал"), recurring=True, trial_days=7, group=unique("g"))
    trial = await client.post("/api/v1/subscriptions", json={"tariff_id": tariff["id"]},
                              headers=bearer(unique("u")))
    assert trial.status_code == 201, trial.text
    email, password = await operator(runtime)
    async with httpx.AsyncClient(base_url=str(client.base_url), headers={"Accept-Language": "ru"}) as ru:
        await sign_in(ru, email, password)
        shops = (await ru.get("/admin/shops")).text
        assert "Отключить</button>" in shops and "<td>да\n" in shops
        assert "Deactivate" not in shops and "Activate" not in shops
        codes = (await ru.get("/admin/promo-codes")).text
        assert "бессрочно" in codes and "первый период" in codes and "never" not in codes
        dashboard = (await ru.get("/admin")).text
        assert " s</div>" not in dashboard
        subscriptions = (await ru.get(f"/admin/subscriptions?tariff={tariff['id']}")).text
        assert "/ 30 дн.</span>" in subscriptions and "просит клиента" in subscriptions
        assert " d</span>" not in subscriptions and "asks customer" not in subscriptions
