"""The admin UI in Russian for operators who choose it: every text a template shows has its
Russian, and an operator's choice sticks to their account."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx

from kassa.admin import i18n
from kassa.core.runtime import Runtime
from kassa.domain.billing import SubscriptionStatus
from kassa.domain.language import STATES_RU, state
from kassa.domain.states import PaymentStatus
from tests.conftest import unique
from tests.test_admin_ui import csrf_of, operator, sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "kassa" / "admin" / "templates"
VIEWS = TEMPLATES.parent
TRANSLATED = re.compile(r"""_\((["'])(.+?)\1\)""")
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


def test_every_text_the_templates_show_has_its_russian() -> None:
    shown = {
        m for path in TEMPLATES.glob("*.html") for _, m in TRANSLATED.findall(path.read_text())
    }
    assert len(shown) > 100
    missing = sorted((shown | set(NAVIGATION)) - set(i18n.RU))
    assert not missing, missing


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


def _messages_after_buttons() -> set[str]:
    """Every English message an admin view passes to `_back`: literals, the names bound to
    literals, and both sides of a conditional."""
    found: set[str] = set()
    for path in VIEWS.glob("*.py"):
        tree = ast.parse(path.read_text())
        bound = {
            t.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }

        def texts(node: ast.expr, bound: dict[str, ast.expr] = bound) -> list[str]:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return [node.value]
            if isinstance(node, ast.IfExp):
                return texts(node.body) + texts(node.orelse)
            if isinstance(node, ast.Name) and node.id in bound:
                return texts(bound[node.id])
            return []

        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "_back"
                and len(node.args) > 1
            ):
                found.update(texts(node.args[1]))
    return found


def test_every_message_after_a_button_has_its_russian() -> None:
    messages = _messages_after_buttons()
    assert len(messages) > 30 and "Tariff created." in messages
    assert not sorted(messages - set(i18n.RU)), sorted(messages - set(i18n.RU))


def test_every_state_a_page_shows_has_its_russian() -> None:
    states = {*PaymentStatus, *SubscriptionStatus, "paid", "delivered", "dead", "pending"}
    assert not sorted(set(states) - set(STATES_RU))
    assert state("past_due", "en") == "past due" and state("past_due", "ru") == "просрочка оплаты"


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
