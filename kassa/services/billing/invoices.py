"""Invoices and credit notes as their owners and operators read them: lists, one, PDFs
printed from what each was issued with (kassa.services.billing.documents)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.security import Principal
from kassa.db.models import CreditNote, Invoice
from kassa.db.pagination import paginate
from kassa.domain.errors import NotFound
from kassa.domain.fiscal import lines_of
from kassa.domain.language import translate
from kassa.domain.money import format_amount
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.billing.document_words import CATALOGUES, status_of
from kassa.services.billing.invoice_pdf import CreditNoteRef, Document, Party, dated, render
from kassa.services.payments import fiscal_receipts


async def list_invoices(
    rt: Runtime, principal: Principal, user_id: str | None, page: PageParams
) -> tuple[list[Invoice], int]:
    """A caller's own invoices; admins and services see all, or one user's."""
    query = select(Invoice).order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    if not principal.is_privileged:
        query = query.where(Invoice.user_id == principal.subject)
    elif user_id:
        query = query.where(Invoice.user_id == user_id)
    async with rt.db.reading() as session:
        return await paginate(session, query, page)


async def get_invoice(rt: Runtime, principal: Principal, invoice_id: str) -> Invoice:
    """Another user's invoice answers as if it did not exist."""
    async with rt.db.transaction() as session:
        invoice = await session.get(Invoice, invoice_id)
    if invoice is None or not (principal.is_privileged or invoice.user_id == principal.subject):
        raise NotFound("invoice not found")
    return invoice


async def invoice_pdf(
    rt: Runtime, principal: Principal, invoice_id: str, language: str = "en"
) -> tuple[str, bytes]:
    """The invoice's number and its PDF, in `language` (en, ru, uz, kk): the seller, buyer, lines
    and totals it was issued with; its status, credit notes and fiscal receipts as now."""
    invoice = await get_invoice(rt, principal, invoice_id)
    async with rt.db.transaction() as session:
        notes = await _credit_notes(session, invoice.id)
        receipts = await fiscal_receipts.of_payment(session, invoice.payment_id)
    kept = invoice.snapshot
    time_zone = kept["seller"]["time_zone"]
    facts = [
        ("Status", status_of(invoice.status, language)),
        ("Paid", dated(invoice.paid_at, time_zone) if invoice.paid_at else "-"),
        ("Payment", _paid_through(kept["payment"], language)),
    ]
    if kept["payment"].get("promo_code"):
        facts.append(("Promo code", kept["payment"]["promo_code"]))
    document = Document(
        title="Invoice",
        number=invoice.number,
        issued_at=invoice.issued_at,
        currency=invoice.currency,
        seller=_party(kept["seller"], rt.settings.invoice_seller, language),
        buyer=_buyer(kept["buyer"], language),
        lines=lines_of(kept["lines"], invoice.amount, None),
        facts=facts,
        fiscal=receipts,
        credit_notes=[CreditNoteRef(n.number, n.issued_at, n.amount) for n in notes],
        language=language,
        time_zone=time_zone,
        totals=kept["totals"],
    )
    return invoice.number, render(document)


async def _credit_notes(session: AsyncSession, invoice_id: str) -> list[CreditNote]:
    query = (
        select(CreditNote).where(CreditNote.invoice_id == invoice_id).order_by(CreditNote.number)
    )
    return list((await session.execute(query)).scalars())


async def list_credit_notes(rt: Runtime, principal: Principal, invoice_id: str) -> list[CreditNote]:
    await get_invoice(rt, principal, invoice_id)
    async with rt.db.reading() as session:
        return await _credit_notes(session, invoice_id)


async def credit_note_pdf(
    rt: Runtime, principal: Principal, credit_note_id: str, language: str = "en"
) -> tuple[str, bytes]:
    """A credit note as issued: the refunded amount spread over the invoice's lines, in
    `language`."""
    async with rt.db.transaction() as session:
        note = await session.get(CreditNote, credit_note_id)
        invoice = await session.get(Invoice, note.invoice_id) if note else None
        if note is None or invoice is None:
            raise NotFound("credit note not found")
        if not (principal.is_privileged or invoice.user_id == principal.subject):
            raise NotFound("credit note not found")
        receipts = [
            r
            for r in await fiscal_receipts.of_payment(session, note.payment_id)
            if r["kind"] == "refund"
        ]
    kept = note.snapshot
    document = Document(
        title="Credit note",
        number=note.number,
        issued_at=note.issued_at,
        currency=note.currency,
        seller=_party(kept["seller"], rt.settings.invoice_seller, language),
        buyer=_buyer(kept["buyer"], language),
        lines=lines_of(kept["lines"], note.amount, None),
        facts=[
            ("Refunded", format_amount(note.amount, note.currency)),
            ("Payment", _paid_through(kept["payment"], language)),
        ],
        fiscal=receipts,
        corrects=invoice.number,
        language=language,
        time_zone=kept["seller"]["time_zone"],
        totals=kept["totals"],
    )
    return note.number, render(document)


def _paid_through(payment: dict[str, Any], language: str) -> str:
    said = translate(CATALOGUES, "{payment} via {provider}", language)
    return said.format(payment=payment["id"], provider=payment["provider"])


def _party(seller: dict[str, Any], fallback_name: str, language: str) -> Party:
    """The seller as kept; one kept while none was set is INVOICE_SELLER's name alone."""
    details = [seller.get("address") or ""]
    if seller.get("tax_id"):
        kind = seller.get("tax_id_kind") or translate(CATALOGUES, "Tax id", language)
        details.append(f"{kind} {seller['tax_id']}")
    details += [seller.get(name) or "" for name in ("bank_details", "email", "phone")]
    return Party(seller.get("legal_name") or fallback_name, tuple(d for d in details if d))


def _buyer(buyer: dict[str, Any], language: str) -> Party:
    def word(english: str) -> str:
        return translate(CATALOGUES, english, language)

    organisation = buyer.get("organization_id")
    name = f"{word('Organisation')} {organisation}" if organisation else buyer["user_id"]
    details = [f"{word('Customer')} {buyer['user_id']}"] if organisation else []
    details += [c for c in (buyer.get("email"), buyer.get("phone")) if c]
    return Party(name, tuple(details))
