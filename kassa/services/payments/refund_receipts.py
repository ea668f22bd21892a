"""Fiscal receipts for refunds their provider made without one: what kassa does for its own
refunds (a YooKassa shop that sends 54-FZ receipts sends one with each refund) happens for
a refund an operator made in the provider's cabinet too, once kassa has recorded it.

Asked after the refund's transaction, outside any: the provider is called, then the answer
kept on the Refund (`receipt`). A receipt the provider refused is asked for again the next
time the payment is read (its notice, a sync); the provider's idempotency key, the refund's
own, makes a repeat register nothing twice.
"""

from __future__ import annotations

from typing import Any

from kassa.core.logging import get_logger
from kassa.db.models import Refund
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    PaymentProvider,
    PaymentRequest,
    ProviderFailure,
    RefundReceipts,
    provides,
)
from kassa.runtime import Runtime
from kassa.services.payments import refund_records

log = get_logger(__name__)
REGISTERED = frozenset({"pending", "succeeded"})  # the provider has it: never asked again


async def issue_missing(
    rt: Runtime, provider: PaymentProvider, request: PaymentRequest, update: ProviderUpdate
) -> None:
    """A receipt for each succeeded refund of `update` its provider says has none."""
    wanted = [
        seen.provider_refund_id
        for seen in update.refunds
        if seen.needs_receipt and seen.status == "succeeded" and seen.provider_refund_id
    ]
    if not wanted or not provides(provider, RefundReceipts):
        return
    async with rt.db.transaction() as session:
        found = [
            await refund_records.by_provider_id(session, update.provider, refund_id)
            for refund_id in wanted
        ]
        due = [
            (refund.id, refund.provider_refund_id, refund.amount)
            for refund in found
            if refund is not None and (refund.receipt or {}).get("status") not in REGISTERED
        ]
    for refund_id, provider_refund_id, amount in due:
        assert provider_refund_id is not None
        receipt: dict[str, Any]
        try:
            receipt = await provider.refund_receipt(request, provider_refund_id, amount)
        except ProviderFailure as exc:
            log.warning("refund.receipt_failed", refund_id=refund_id, error=exc.message)
            receipt = {"status": "failed", "error": exc.message[:300]}
        async with rt.db.transaction() as session:
            refund = await session.get(Refund, refund_id)
            if refund is not None:
                refund.receipt = {"provider": update.provider, **receipt}
