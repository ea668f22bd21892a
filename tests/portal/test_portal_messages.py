"""The portal's messages after a button are its own: text put in a link by someone else
(`/portal?msg=…&error=1`) never appears in the customer's message box."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.admin.test_admin_messages import PHISH, flash_of
from tests.conftest import TEST_SECRET, bearer, unique


async def test_a_message_written_into_a_portal_link_is_not_shown(client: httpx.AsyncClient) -> None:
    link = (await client.post("/api/v1/portal-sessions", json={}, headers=bearer(unique("u")))).json()["url"]
    await client.get(link)  # the portal's cookie
    for query in ({"msg": PHISH, "error": "1"}, {"msg": PHISH}):
        page = await client.get(f"/portal?{urlencode(query)}")
        assert page.status_code == 200 and PHISH not in page.text and flash_of(page.text) is None

    # the portal's own message still shows; altered, it does not
    token = client.cookies["kassa_portal"]
    form_token = hmac.new(TEST_SECRET.encode(), f"portal-form:{token}".encode(), hashlib.sha256).hexdigest()[:32]
    refused = await client.post("/portal/subscriptions/sub_missing/renewal",
                                data={"auto_renew": "off", "form_token": form_token})
    said = flash_of((await client.get(refused.headers["location"])).text)
    assert said is not None and said.startswith("That did not work:")
    signed = {k: v[0] for k, v in parse_qs(urlsplit(refused.headers["location"]).query).items()}
    forged = await client.get(f"/portal?{urlencode({**signed, 'msg': PHISH})}")
    assert PHISH not in forged.text and flash_of(forged.text) is None
