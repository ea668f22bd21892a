"""The customer portal's door: a signed link that expires, is no API token, lets its holder
see only their own account, and whose forms cannot be posted from elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from kassa.core.security import mint_portal_token, mint_token
from kassa.portal import i18n as portal_i18n
from tests.conftest import TEST_SECRET, bearer, unique


async def test_a_portal_link_opens_the_callers_own_account_only(client: httpx.AsyncClient,
                                                               service_key: dict[str, str]) -> None:
    user = unique("u")
    made = await client.post("/api/v1/portal-sessions", json={}, headers=bearer(user))
    assert made.status_code == 201 and made.json()["url"].startswith(f"{client.base_url}/portal/enter?token=")
    other = await client.post("/api/v1/portal-sessions", json={"user_id": unique("u")}, headers=bearer(user))
    assert other.status_code == 403  # only a service opens a portal for someone else
    missing = await client.post("/api/v1/portal-sessions", json={}, headers=service_key)
    assert missing.status_code == 422

    entered = await client.get(made.json()["url"], follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/portal"  # no lang asked
    cookie = entered.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    home = await client.get("/portal", headers={"Cookie": f"kassa_portal={entered.cookies['kassa_portal']}"})
    assert home.status_code == 200 and "You have no subscriptions." in home.text


async def test_expired_links_api_tokens_and_forged_forms_are_refused(client: httpx.AsyncClient) -> None:
    user = unique("u")
    expired, _ = mint_portal_token(TEST_SECRET, user, expires_in=timedelta(seconds=-5))
    assert (await client.get(f"/portal/enter?token={expired}")).status_code == 401
    api_token = mint_token(TEST_SECRET, user)
    assert (await client.get(f"/portal/enter?token={api_token}")).status_code == 401
    assert (await client.get("/portal", headers={"Cookie": f"kassa_portal={api_token}"})).status_code == 401
    forged, _ = mint_portal_token("another-secret-0123456789abcdef-0123456789", user)
    assert (await client.get(f"/portal/enter?token={forged}")).status_code == 401

    good, _ = mint_portal_token(TEST_SECRET, user)
    posted = await client.post("/portal/subscriptions/sub_x/renewal", data={"auto_renew": "off"},
                               headers={"Cookie": f"kassa_portal={good}"})
    assert posted.status_code == 401  # no form token: a cross-site post changes nothing


async def test_a_portal_link_in_russian_stays_russian(client: httpx.AsyncClient) -> None:
    user = unique("u")
    made = await client.post("/api/v1/portal-sessions", json={"language": "ru"}, headers=bearer(user))
    assert made.status_code == 201 and made.json()["url"].endswith("&lang=ru")
    entered = await client.get(made.json()["url"], follow_redirects=False)
    assert entered.headers["location"] == "/portal?lang=ru"
    cookies = {"kassa_portal": entered.cookies["kassa_portal"]}
    first = await client.get("/portal?lang=ru", headers={"Cookie": f"kassa_portal={cookies['kassa_portal']}"})
    assert 'lang="ru"' in first.text and "Ваши подписки" in first.text and "У вас нет подписок." in first.text
    kept = first.cookies["kassa_portal_language"]
    later = await client.get("/portal", headers={
        "Cookie": f"kassa_portal={cookies['kassa_portal']}; kassa_portal_language={kept}"})
    assert "Счетов пока нет." in later.text  # the next page remembers it
    english = await client.get("/portal?lang=en", headers={"Cookie": f"kassa_portal={cookies['kassa_portal']}"})
    assert "Your subscriptions" in english.text and 'href="?lang=ru"' in english.text  # the switch
    bad = await client.post("/api/v1/portal-sessions", json={"language": "klingon"}, headers=bearer(user))
    assert bad.status_code == 422
    client.cookies.clear()
    expired = await client.get("/portal", headers={"Accept-Language": "ru"})
    assert expired.status_code == 401 and "Ссылка устарела" in expired.text


def test_every_text_the_portal_shows_has_its_translations() -> None:
    """Russian, Uzbek and Kazakh for every text a portal template shows and every message
    after a button or a declined payment; no word printed as an untranslated literal."""
    from kassa.portal import failures
    from kassa.portal.views import templates as portal_templates
    from tests import i18n_scan

    folder = Path(__file__).resolve().parents[2] / "kassa" / "portal" / "templates"
    found = i18n_scan.templates(folder, portal_templates.env)
    views = (folder.parent / "views.py").read_text()
    said = {text for call in re.findall(r"_back\((.+)\)", views) for text in re.findall(r'"([^"]+)"', call)}
    shown = found.keys | said | set(failures.SENTENCES) | {"That did not work:", "Link expired", "Your subscriptions"}
    assert len(found.keys) > 25 and len(said) > 5
    assert not found.untranslated and not found.dynamic, (found.untranslated, found.dynamic)
    for language, catalogue in portal_i18n.CATALOGUES.items():
        assert not sorted(shown - set(catalogue)), language
    assert set(portal_i18n.CATALOGUES) == {"ru", "uz", "kk"}


async def test_a_portal_link_in_uzbek_or_kazakh_speaks_it(client: httpx.AsyncClient) -> None:
    for language, words in (("uz", ("Obunalaringiz", "Sizda obunalar yoʻq.", "Saqlangan kartalar",
                                    "Hozircha hisobvaraqlar yoʻq.", "Oʻzbekcha")),
                            ("kk", ("Жазылымдарыңыз", "Сізде жазылымдар жоқ.", "Сақталған карталар",
                                    "Әзірге шоттар жоқ.", "Қазақша"))):
        user = unique("u")
        made = await client.post("/api/v1/portal-sessions", json={"language": language}, headers=bearer(user))
        assert made.status_code == 201 and made.json()["url"].endswith(f"&lang={language}")
        entered = await client.get(made.json()["url"], follow_redirects=False)
        page = await client.get(f"/portal?lang={language}",
                                headers={"Cookie": f"kassa_portal={entered.cookies['kassa_portal']}"})
        assert f'lang="{language}"' in page.text, page.text
        for expected in words:
            assert expected in page.text, (language, expected)
        client.cookies.clear()
    # the browser's Kazakh is the portal's too, even for the page of an expired link
    expired = await client.get("/portal", headers={"Accept-Language": "kk-KZ,kk;q=0.9,ru;q=0.8"})
    assert expired.status_code == 401 and "Сілтеменің мерзімі өтті" in expired.text
