"""The admin UI in Russian for operators who choose it: every text a template shows has its
Russian, and an operator's choice sticks to their account."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from kassa.admin import i18n
from kassa.core.runtime import Runtime
from tests.test_admin_ui import csrf_of, operator, sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "kassa" / "admin" / "templates"
TRANSLATED = re.compile(r'_\("([^"]+)"\)')
NAVIGATION = ("Dashboard", "Payments", "Subscriptions", "Customers", "Tariffs", "Promo codes",
              "Shops", "Sellers", "Audit log", "Webhooks")


def test_every_text_the_templates_show_has_its_russian() -> None:
    shown = {m for path in TEMPLATES.glob("*.html") for m in TRANSLATED.findall(path.read_text())}
    assert len(shown) > 100
    missing = sorted((shown | set(NAVIGATION)) - set(i18n.RU))
    assert not missing, missing


async def test_an_operator_switches_to_russian_and_it_sticks(client: httpx.AsyncClient, runtime: Runtime) -> None:
    email, password = await operator(runtime)
    await sign_in(client, email, password)
    page = await client.get("/admin/payments")
    assert ">Payments<" in page.text and 'lang="en"' in page.text
    chosen = await client.post("/admin/language", data={"language": "ru", "csrf": csrf_of(page.text)},
                               headers={"Referer": "http://evil.example/admin"})
    assert chosen.headers["location"] == "/admin"  # back to this admin only
    russian = await client.get("/admin/payments")
    assert ">Платежи<" in russian.text and "Выгрузить CSV" in russian.text and 'lang="ru"' in russian.text
    assert "Обзор" in (await client.get("/admin")).text
    # a browser asking for Russian gets it before the operator chooses anything
    other_email, other_password = await operator(runtime)
    async with httpx.AsyncClient(base_url=str(client.base_url), headers={"Accept-Language": "ru-RU,ru;q=0.9"}) as ru:
        await sign_in(ru, other_email, other_password)
        assert ">Платежи<" in (await ru.get("/admin/payments")).text
