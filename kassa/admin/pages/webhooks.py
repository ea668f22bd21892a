"""Webhook endpoints: the list with each one's recent deliveries, a new endpoint (its
secret shown once), removing one, and delivering a delivery again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import back_to, form_action, refusal, render, runtime, signed_in, to_login
from kassa.domain.errors import KassaError
from kassa.domain.paging import PageParams
from kassa.services.ops import webhook_endpoints

router = APIRouter()


@router.get("/webhooks", response_class=HTMLResponse)
async def webhook_page(request: Request) -> Response:
    return await _page(request, None)


async def _page(request: Request, new_secret: str | None) -> Response:
    """The page; `new_secret` only from the POST that made it, never from the URL, so a
    link cannot plant a "secret" for an operator to copy into their receiver."""
    if (me := await signed_in(request)) is None:
        return to_login()
    rt = runtime(request)
    endpoints, _ = await webhook_endpoints.list_endpoints(rt, PageParams(1, 50))
    rows = []
    for endpoint in endpoints:
        deliveries, _ = await webhook_endpoints.list_deliveries(
            rt, endpoint.id, None, PageParams(1, 20)
        )
        rows.append((endpoint, deliveries))
    return render(
        request,
        "webhooks.html",
        me,
        title="Webhooks",
        nav="Webhooks",
        rows=rows,
        new_secret=new_secret,
    )


@router.post("/webhooks")
async def webhook_create(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    url = form.get("url", "")
    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        return back_to("/admin/webhooks", "An http(s) URL is needed.", error=True)
    events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
    try:
        created = await webhook_endpoints.create_endpoint(runtime(request), url, events)
    except KassaError as exc:
        return refusal("/admin/webhooks", exc)
    return await _page(request, created.secret)


@router.post("/webhooks/{endpoint_id}/delete")
async def webhook_delete(request: Request, endpoint_id: str) -> Response:
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    try:
        await webhook_endpoints.delete_endpoint(runtime(request), endpoint_id[:64])
    except KassaError as exc:
        return refusal("/admin/webhooks", exc)
    return back_to("/admin/webhooks", "Endpoint removed.")


@router.post("/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, delivery_id: int) -> Response:
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    try:
        await webhook_endpoints.redeliver(runtime(request), delivery_id)
    except KassaError as exc:
        return refusal("/admin/webhooks", exc)
    return back_to("/admin/webhooks", "Queued for redelivery.")
