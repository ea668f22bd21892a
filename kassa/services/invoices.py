"""Invoices and credit notes as their owners and operators read them: lists, one, PDFs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.db.models import CreditNote, Invoice, Payment, Seller
from kassa.domain.errors import NotFound
from kassa.domain.fiscal import lines_of
from kassa.domain.language import translate
from kassa.domain.money import format_amount
from kassa.services import fiscal_receipts, sellers
from kassa.services.invoice_pdf import (
    RU,
    CreditNoteRef,
    Document,
    Party,
    credit_lines,
    render,
    status_of,
)
from kassa.services.pagination import PageParams, paginate


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
    """The invoice's number and its PDF, in `language` (en, ru)."""
    invoice = await get_invoice(rt, principal, invoice_id)
    async with rt.db.transaction() as session:
        payment = await session.get(Payment, invoice.payment_id)
        assert payment is not None
        seller = await sellers.for_shop(session, payment.shop_id, rt.settings.invoice_seller)
        notes = await _credit_notes(session, invoice.id)
        receipts = await fiscal_receipts.of_payment(session, payment.id)
    via = translate(RU, "via", language)
    facts = [
        ("Status", status_of(invoice.status, language)),
        ("Paid", f"{invoice.paid_at:%Y-%m-%d %H:%M} UTC" if invoice.paid_at else "-"),
        ("Payment", f"{payment.id} {via} {payment.provider}"),
    ]
    if payment.promo_code:
        facts.append(("Promo code", payment.promo_code))
    document = Document(
        title="Invoice",
        number=invoice.number,
        issued_at=invoice.issued_at,
        currency=invoice.currency,
        seller=_party(seller, language),
        buyer=_buyer(payment, language),
        lines=lines_of(payment.items, payment.amount, payment.description),
        facts=facts,
        fiscal=receipts,
        credit_notes=[CreditNoteRef(n.number, n.issued_at, n.amount) for n in notes],
        language=language,
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
    """A credit note: the refunded amount spread over the invoice's lines, in `language`."""
    async with rt.db.transaction() as session:
        note = await session.get(CreditNote, credit_note_id)
        invoice = await session.get(Invoice, note.invoice_id) if note else None
        if note is None or invoice is None:
            raise NotFound("credit note not found")
        if not (principal.is_privileged or invoice.user_id == principal.subject):
            raise NotFound("credit note not found")
        payment = await session.get(Payment, note.payment_id)
        assert payment is not None
        seller = await sellers.for_shop(session, payment.shop_id, rt.settings.invoice_seller)
        receipts = [
            r
            for r in await fiscal_receipts.of_payment(session, payment.id)
            if r["kind"] == "refund"
        ]
    lines = lines_of(payment.items, payment.amount, payment.description)
    document = Document(
        title="Credit note",
        number=note.number,
        issued_at=note.issued_at,
        currency=note.currency,
        seller=_party(seller, language),
        buyer=_buyer(payment, language),
        lines=credit_lines(lines, note.amount),
        facts=[
            ("Refunded", format_amount(note.amount, note.currency)),
            ("Payment", f"{payment.id} {translate(RU, 'via', language)} {payment.provider}"),
        ],
        fiscal=receipts,
        corrects=invoice.number,
        language=language,
    )
    return note.number, render(document)


def _party(seller: Seller, language: str) -> Party:
    details = [seller.address or ""]
    if seller.tax_id:
        kind = seller.tax_id_kind or translate(RU, "Tax id", language)
        details.append(f"{kind} {seller.tax_id}")
    details += [seller.bank_details or "", seller.email or "", seller.phone or ""]
    return Party(seller.legal_name, tuple(d for d in details if d))


def _buyer(payment: Payment, language: str) -> Party:
    def word(english: str) -> str:
        return translate(RU, english, language)

    organisation = payment.organization_id
    name = f"{word('Organisation')} {organisation}" if organisation else payment.user_id
    details = [f"{word('Customer')} {payment.user_id}"] if organisation else []
    details += [c for c in (payment.email, payment.phone) if c]
    return Party(name, tuple(details))
