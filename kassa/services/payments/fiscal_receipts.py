"""Fiscal receipts the providers made for a payment (Payme's SetFiscalData, kept on its
provider transactions; the 54-FZ receipt kassa had YooKassa register for a refund made in
its cabinet, kept on the Refund): the receipt's number, date and the tax office's check
link (QR)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.security import Principal
from kassa.db.models import Payment, ProviderTransaction, Refund
from kassa.runtime import Runtime
from kassa.services.accounts import access

KINDS = (("fiscal_perform", "sale"), ("fiscal_cancel", "refund"))


async def of_payment(session: AsyncSession, payment_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(ProviderTransaction.provider, ProviderTransaction.data)
        .where(ProviderTransaction.payment_id == payment_id)
        .order_by(ProviderTransaction.id)
    )
    found = []
    for provider, data in rows:
        for key, kind in KINDS:
            fiscal = (data or {}).get(key)
            if isinstance(fiscal, dict):
                found.append(
                    {
                        "provider": provider,
                        "kind": kind,
                        "receipt_id": str(fiscal.get("receipt_id", "")),
                        "date": fiscal.get("date"),
                        "terminal_id": fiscal.get("terminal_id"),
                        "fiscal_sign": fiscal.get("fiscal_sign"),
                        "qr_code_url": fiscal.get("qr_code_url"),
                    }
                )
    refunds = await session.execute(
        select(Refund.receipt).where(Refund.payment_id == payment_id).order_by(Refund.created_at)
    )
    for (receipt,) in refunds:
        if isinstance(receipt, dict) and receipt.get("status") in ("pending", "succeeded"):
            found.append(
                {
                    "provider": receipt.get("provider"),
                    "kind": "refund",
                    "receipt_id": str(receipt.get("receipt_id", "")),
                    "date": receipt.get("date"),
                    "terminal_id": receipt.get("terminal_id"),
                    "fiscal_sign": receipt.get("fiscal_sign"),
                    "qr_code_url": None,
                }
            )
    return found


async def for_caller(rt: Runtime, principal: Principal, payment_id: str) -> list[dict[str, Any]]:
    async with rt.db.transaction() as session:
        access.ensure_can_view(principal, await session.get(Payment, payment_id))
        return await of_payment(session, payment_id)
