"""The audit log, filtered by shop, payment, operation or provider."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import PROVIDERS, render, runtime, signed_in, to_login
from kassa.domain.paging import PageParams
from kassa.services.ops import audit
from kassa.services.ops.audit import OPERATIONS

router = APIRouter()


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    f = {
        k: (request.query_params.get(k) or None)
        for k in ("shop_id", "payment_id", "operation", "provider")
    }
    filters = audit.AuditFilters(**{k: v[:100] if v else None for k, v in f.items()})
    rows, _ = await audit.list_records(runtime(request), filters, PageParams(page=1, page_size=200))
    return render(
        request,
        "audit.html",
        me,
        title="Audit log",
        nav="Audit log",
        rows=rows,
        f=f,
        operations=OPERATIONS,
        providers=PROVIDERS,
    )
