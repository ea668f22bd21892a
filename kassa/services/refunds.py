"""Refunds: reserve the amount under the payment's lock, ask the provider outside any
transaction, then record the result through apply_update."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.db.models import Payment, Refund
from kassa.domain.errors import InvalidState, ProviderError
from kassa.domain.refunds import RefundTooLarge, choose_refund_amount
from kassa.domain.states import REFUNDABLE_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import ProviderFailure, RefundNotSupported
from kassa.services import access, audit
from kassa.services.pagination import PageParams, paginate
from kassa.services.payments import actor_of, provider_for, request_for
from kassa.services.updates import apply_update, lock_payment


async def _refund_total(session: AsyncSession, payment_id: str, status: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment_id, Refund.status == status
        )
    )
    return int(total or 0)


async def create_refund(
    rt: Runtime, principal: Principal, payment_id: str, amount: int | None, reason: str | None
) -> Refund:
    access.ensure_privileged(principal, "refund payments")
    actor = actor_of(principal)
    async with rt.db.transaction() as session:
        payment = access.ensure_can_view(
            principal, await lock_payment(session, payment_id=payment_id)
        )
        if PaymentStatus(payment.status) not in REFUNDABLE_STATUSES:
            raise InvalidState(f"a {payment.status} payment cannot be refunded")
        reserved = await _refund_total(session, payment.id, "pending")
        try:
            chosen = choose_refund_amount(amount, payment.amount, payment.refunded_amount, reserved)
        except RefundTooLarge as exc:
            raise InvalidState(f"refund exceeds what is left: {exc}") from exc
        refund = Refund(
            payment_id=payment.id,
            amount=chosen,
            currency=payment.currency,
            status="pending",
            reason=reason,
        )
        session.add(refund)
        await session.flush()
    provider = await provider_for(rt, payment)
    try:
        result = await provider.refund(
            await request_for(rt, payment), chosen, idempotency_key=refund.id
        )
    except ProviderFailure as exc:
        async with rt.db.transaction() as session:
            row = await session.get(Refund, refund.id)
            assert row is not None
            row.status = "failed"
            row.failure_message = exc.message[:500]
            audit.record(
                session,
                actor=actor,
                operation="refund",
                payment=payment,
                amount=chosen,
                status="failed",
                error_message=exc.message[:500],
            )
        if isinstance(exc, RefundNotSupported):
            raise InvalidState(exc.message) from exc
        raise ProviderError(f"{payment.provider}: {exc.message}") from exc

    async with rt.db.transaction() as session:
        row = await session.get(Refund, refund.id)
        assert row is not None
        row.provider_refund_id = result.provider_refund_id
        row.status = "succeeded" if result.succeeded else "pending"
        await session.flush()
        if result.succeeded:
            total = await _refund_total(session, payment.id, "succeeded")
            await apply_update(
                session,
                ProviderUpdate(
                    provider=payment.provider,
                    event_id=f"refund:{refund.id}",
                    payment_id=payment.id,
                    status=PaymentStatus.PARTIALLY_REFUNDED,
                    refunded_amount=total,
                ),
                actor=actor,
                operation="refund",
            )
        return row


async def list_refunds(
    rt: Runtime, principal: Principal, payment_id: str, page: PageParams
) -> tuple[list[Refund], int]:
    async with rt.db.transaction() as session:
        access.ensure_can_view(principal, await session.get(Payment, payment_id))
        query = (
            select(Refund)
            .where(Refund.payment_id == payment_id)
            .order_by(Refund.created_at.desc(), Refund.id.desc())
        )
        return await paginate(session, query, page)
