"""Reading subscriptions; they change only as effects of payments (see `effects`)."""

from __future__ import annotations

from sqlalchemy import select

from kassa.core.runtime import Runtime
from kassa.db.base import utcnow
from kassa.db.models import Subscription
from kassa.services.pagination import PageParams, paginate
from kassa.services.schemas import SubscriptionOut


def view(user_id: str, sub: Subscription | None) -> SubscriptionOut:
    """An active subscription past its expiry reads as expired even before the job runs."""
    if sub is None or sub.status == "none":
        return SubscriptionOut(
            user_id=user_id, tariff_id=None, status="none", started_at=None, expires_at=None
        )
    status = sub.status
    if status == "active" and sub.expires_at <= utcnow():
        status = "expired"
    return SubscriptionOut(
        user_id=sub.user_id,
        tariff_id=sub.tariff_id,
        status=status,
        started_at=sub.started_at,
        expires_at=sub.expires_at,
    )


async def get_subscription(rt: Runtime, user_id: str) -> SubscriptionOut:
    async with rt.db.transaction() as session:
        return view(user_id, await session.get(Subscription, user_id))


async def list_subscriptions(
    rt: Runtime, user_id: str | None, page: PageParams
) -> tuple[list[SubscriptionOut], int]:
    query = select(Subscription).where(Subscription.status != "none")
    if user_id:
        query = query.where(Subscription.user_id == user_id)
    query = query.order_by(Subscription.updated_at.desc(), Subscription.user_id)
    async with rt.db.transaction() as session:
        rows, total = await paginate(session, query, page)
    return [view(row.user_id, row) for row in rows], total
