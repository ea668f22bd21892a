"""Invoices as their owners and operators read them: lists, one invoice, its PDF."""

from __future__ import annotations

from sqlalchemy import select

from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.db.models import Invoice, Payment
from kassa.domain.errors import NotFound
from kassa.services.invoice_pdf import render
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
    async with rt.db.transaction() as session:
        return await paginate(session, query, page)


async def get_invoice(rt: Runtime, principal: Principal, invoice_id: str) -> Invoice:
    """Another user's invoice answers as if it did not exist."""
    async with rt.db.transaction() as session:
        invoice = await session.get(Invoice, invoice_id)
    if invoice is None or not (principal.is_privileged or invoice.user_id == principal.subject):
        raise NotFound("invoice not found")
    return invoice


async def invoice_pdf(rt: Runtime, principal: Principal, invoice_id: str) -> tuple[str, bytes]:
    """The invoice's number and its PDF."""
    invoice = await get_invoice(rt, principal, invoice_id)
    async with rt.db.transaction() as session:
        payment = await session.get(Payment, invoice.payment_id)
    assert payment is not None
    return invoice.number, render(invoice, payment, rt.settings.invoice_seller)
