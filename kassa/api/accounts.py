"""What a user holds: invoices and organisation wallets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from kassa.domain.language import choose
from kassa.http.deps import CurrentPrincipal, Paging, RuntimeDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import invoices, wallets
from kassa.services.schemas import CreditNoteOut, InvoiceOut, Page, WalletEntryOut, WalletOut

router = APIRouter(responses=PROBLEM_RESPONSES)
OrgId = Annotated[str, Path(max_length=200)]
DocumentLanguage = Annotated[
    Literal["en", "ru", "uz", "kk"] | None,
    Query(description="the document's language: en, ru, uz (Latin script) or kk"),
]


@router.get("/invoices", response_model=Page[InvoiceOut], tags=["invoices"])
async def list_invoices(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    paging: Paging,
    user_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[InvoiceOut]:
    rows, total = await invoices.list_invoices(rt, principal, user_id, paging)
    return Page(
        items=[InvoiceOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/invoices/{invoice_id}.pdf",
    tags=["invoices"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the invoice as a PDF"}},
)
async def invoice_pdf(
    invoice_id: Annotated[str, Path(max_length=64)],
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    lang: DocumentLanguage = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """The invoice as a PDF in `lang`, else the first of Accept-Language kassa prints
    (English, Russian, Uzbek, Kazakh), else English. 503 when the server lacks the
    documents' font (Debian's fonts-dejavu-core)."""
    language = choose(lang, accept_language)
    number, body = await invoices.invoice_pdf(rt, principal, invoice_id, language)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )


@router.get(
    "/invoices/{invoice_id}/credit-notes", response_model=list[CreditNoteOut], tags=["invoices"]
)
async def invoice_credit_notes(
    invoice_id: Annotated[str, Path(max_length=64)], rt: RuntimeDep, principal: CurrentPrincipal
) -> list[CreditNoteOut]:
    """The credit notes a refund of the invoice's payment issued (their own number series)."""
    rows = await invoices.list_credit_notes(rt, principal, invoice_id)
    return [CreditNoteOut.model_validate(r) for r in rows]


@router.get(
    "/credit-notes/{credit_note_id}.pdf",
    tags=["invoices"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the credit note"}},
)
async def credit_note_pdf(
    credit_note_id: Annotated[str, Path(max_length=64)],
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    lang: DocumentLanguage = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """The credit note as a PDF, in a language chosen as the invoice's is."""
    language = choose(lang, accept_language)
    number, body = await invoices.credit_note_pdf(rt, principal, credit_note_id, language)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, tags=["invoices"])
async def get_invoice(
    invoice_id: Annotated[str, Path(max_length=64)], rt: RuntimeDep, principal: CurrentPrincipal
) -> InvoiceOut:
    return InvoiceOut.model_validate(await invoices.get_invoice(rt, principal, invoice_id))


@router.get("/wallets/{organization_id}", response_model=WalletOut, tags=["wallets"])
async def get_wallet(
    organization_id: OrgId, rt: RuntimeDep, principal: CurrentPrincipal
) -> WalletOut:
    return await wallets.get_wallet(rt, principal, organization_id)


@router.get(
    "/wallets/{organization_id}/transactions", response_model=Page[WalletEntryOut], tags=["wallets"]
)
async def wallet_transactions(
    organization_id: OrgId, rt: RuntimeDep, principal: CurrentPrincipal, paging: Paging
) -> Page[WalletEntryOut]:
    rows, total = await wallets.list_transactions(rt, principal, organization_id, paging)
    return Page(
        items=[WalletEntryOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )
