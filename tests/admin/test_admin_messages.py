"""The admin's messages after a form are its own: text put in a link by someone else
(`/admin/tariffs?msg=…&error=1`) never appears in the admin's message box."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.ops import webhook_endpoints
from tests.admin.test_admin_ui import csrf_of, operator, sign_in
from tests.conftest import unique

PHISH = "Your session expired. Sign in again at https://kassa-login.example"


def flash_of(page: str) -> str | None:
    match = re.search(r'<div class="flash[^"]*" id="flash">([^<]*)</div>', page)
    return match.group(1) if match else None


async def test_a_message_written_into_a_link_is_not_shown(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await sign_in(client, *await operator(runtime))
    for query in ({"msg": PHISH, "error": "1"}, {"msg": PHISH}):
        page = await client.get(f"/admin/tariffs?{urlencode(query)}")
        assert page.status_code == 200 and PHISH not in page.text and flash_of(page.text) is None
    login = await client.get(f"/admin/login?{urlencode({'msg': PHISH, 'error': '1'})}")
    assert PHISH not in login.text

    # the admin's own message still shows, once signed; altered or stale, it does not
    name = unique("Gold")
    made = await client.post("/admin/tariffs", data={"name": name, "amount": "100", "currency": "UZS",
                                                     "duration_days": "30", "csrf": csrf_of(page.text)})
    location = made.headers["location"]
    assert flash_of((await client.get(location)).text) == "Tariff created."
    signed = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert "sig" in signed and "msg" in signed
    for forged in ({**signed, "msg": PHISH}, {**signed, "error": "1"},
                   {**signed, "t": str(int(time.time()) - 3600)}, {**signed, "sig": "0" * 32}):
        page = await client.get(f"/admin/tariffs?{urlencode(forged)}")
        assert flash_of(page.text) is None and PHISH not in page.text, forged


async def test_a_signing_secret_is_shown_only_to_the_operator_who_made_the_endpoint(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A link cannot plant a "signing secret" for an operator to copy into their receiver;
    the endpoint's real secret is shown once, to the operator who created it."""
    await sign_in(client, *await operator(runtime))
    planted = await client.get(f"/admin/webhooks?{urlencode({'new_secret': 'whsec_planted-by-a-link'})}")
    assert planted.status_code == 200
    assert "whsec_planted-by-a-link" not in planted.text and 'id="new-secret"' not in planted.text
    url = f"https://example.com/{unique('hook')}"
    made = await client.post("/admin/webhooks", data={"url": url, "events": "", "csrf": csrf_of(planted.text)})
    shown = re.search(r'id="new-secret">[^<]*<code>([^<]+)</code>', made.text)
    assert made.status_code == 200 and shown is not None and len(shown.group(1)) >= 32
    # gone again, so no later test's events are sent to it
    endpoints, _ = await webhook_endpoints.list_endpoints(runtime, PageParams(1, 100))
    (made_here,) = [endpoint for endpoint in endpoints if endpoint.url == url]
    await webhook_endpoints.delete_endpoint(runtime, made_here.id)
