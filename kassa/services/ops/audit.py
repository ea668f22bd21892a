"""The append-only audit log: every operation, successful or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor, current_request_id
from kassa.db.models import AuditRecord, Payment
from kassa.db.pagination import paginate
from kassa.domain.paging import PageParams
from kassa.fast.batch import batch_of
from kassa.runtime import Runtime

OPERATIONS = ("create", "status", "sync", "webhook", "cancel", "refund", "config")


def record(
    session: AsyncSession,
    *,
    actor: Actor,
    operation: str,
    payment: Payment | None = None,
    status: str | None = None,
    error_message: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
    provider: str | None = None,
    shop_id: str | None = None,
    organization_bin: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Queued with the transaction's other writes (`kassa.fast.batch`): nothing reads the
    log back inside the transaction that writes it."""
    assert operation in OPERATIONS, operation
    values = dict(
        actor=actor.name,
        operation=operation,
        payment_id=payment.id if payment else None,
        shop_id=shop_id or (payment.shop_id if payment else None),
        organization_bin=organization_bin or (payment.organization_bin if payment else None),
        provider=provider or (payment.provider if payment else None),
        amount=amount if amount is not None else (payment.amount if payment else None),
        currency=currency or (payment.currency if payment else None),
        status=status or (payment.status if payment else None),
        error_message=error_message,
        request_id=current_request_id(),
        details=details or {},
    )
    batch_of(session).insert(AuditRecord.__table__, values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AuditFilters:
    shop_id: str | None = None
    payment_id: str | None = None
    operation: str | None = None
    provider: str | None = None


async def list_records(
    rt: Runtime, filters: AuditFilters, page: PageParams
) -> tuple[list[AuditRecord], int]:
    """The log, newest first, narrowed by any of the filters."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc())
    for column, value in (
        (AuditRecord.shop_id, filters.shop_id),
        (AuditRecord.payment_id, filters.payment_id),
        (AuditRecord.operation, filters.operation),
        (AuditRecord.provider, filters.provider),
    ):
        if value:
            query = query.where(column == value)
    async with rt.db.transaction() as session:
        return await paginate(session, query, page)
