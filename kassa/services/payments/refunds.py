"""kassa's own refunds: reserved under the payment's lock, the provider asked outside any
transaction, its answer recorded through apply_update like any other report of a refund
(`refund_records`), so a webhook echoing it later finds it and records nothing twice."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor
from kassa.core.security import Principal
from kassa.db.models import Payment, Refund
from kassa.db.pagination import paginate
from kassa.domain.errors import InvalidState, ProviderError
from kassa.domain.paging import PageParams
from kassa.domain.refunds import RefundTooLarge
from kassa.domain.states import REFUNDABLE_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate, SeenRefund
from kassa.providers.base import ProviderFailure, ProviderRefund, RefundNotSupported
from kassa.runtime import Runtime
from kassa.services.accounts import access
from kassa.services.ops import audit
from kassa.services.payments import refund_records
from kassa.services.payments.service import actor_of, provider_for, request_for
from kassa.services.payments.updates import apply_update, lock_payment


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
        try:
            refund = await refund_records.reserve(session, payment, amount, reason)
        except RefundTooLarge as exc:
            raise InvalidState(f"refund exceeds what is left: {exc}") from exc
    provider = await provider_for(rt, payment)
    try:
        result = await provider.refund(
            await request_for(rt, payment), refund.amount, idempotency_key=refund.id
        )
    except ProviderFailure as exc:
        async with rt.db.transaction() as session:
            await lock_payment(session, payment_id=payment.id)
            await refund_records.give_up(session, refund.id, exc.message)
            audit.record(
                session,
                actor=actor,
                operation="refund",
                payment=payment,
                amount=refund.amount,
                status="failed",
                error_message=exc.message[:500],
                details={"refund_id": refund.id},
            )
        if isinstance(exc, RefundNotSupported):
            raise InvalidState(exc.message) from exc
        raise ProviderError(f"{payment.provider}: {exc.message}") from exc
    async with rt.db.transaction() as session:
        return await _answered(session, payment.id, refund, result, actor)


async def _answered(
    session: AsyncSession, payment_id: str, refund: Refund, result: ProviderRefund, actor: Actor
) -> Refund:
    """The provider's answer, a report of kassa's refund like any other: recorded through
    apply_update (each refund once: its echo may have been recorded already)."""
    payment = await lock_payment(session, payment_id=payment_id)
    assert payment is not None
    seen = SeenRefund(
        provider_refund_id=result.provider_refund_id or None,
        amount=refund.amount,
        status="succeeded" if result.succeeded else "pending",
        kassa_refund_id=refund.id,
    )
    await apply_update(
        session,
        ProviderUpdate(
            provider=payment.provider,
            event_id=f"refund:{refund.id}",
            payment_id=payment.id,
            status=PaymentStatus.PARTIALLY_REFUNDED,
            refunds=(seen,),
        ),
        actor=actor,
        operation="refund",
        locked=payment,
    )
    found = await session.get(Refund, refund.id, populate_existing=True)
    if found is None and seen.provider_refund_id:  # recorded under the provider's id
        found = await refund_records.by_provider_id(
            session, payment.provider, seen.provider_refund_id
        )
    assert found is not None
    return found


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
