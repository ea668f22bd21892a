"""An invoice or receipt as its PDF, printed in the operator's language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kassa.admin.common import runtime, signed_in, speak, to_login
from kassa.domain.errors import KassaError
from kassa.services.billing import invoices
from kassa.services.billing.invoice_pdf import FontMissing

router = APIRouter()


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(request: Request, invoice_id: str) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    try:
        number, body = await invoices.invoice_pdf(
            runtime(request), me.principal, invoice_id[:64], speak(request, me)
        )
    except FontMissing as exc:  # said, never printed as '?'
        return Response(exc.detail, status_code=503)
    except KassaError:
        return Response("Not found", status_code=404)
    headers = {"Content-Disposition": f'inline; filename="{number}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)
