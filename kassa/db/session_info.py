"""What code inside a transaction reads from its session besides rows (see
`kassa.db.session.Database`): the billing policy and the box that seals card tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.crypto import SecretBox
from kassa.domain.billing import BillingPolicy, parse_schedule

DEFAULT_POLICY = BillingPolicy(lead=timedelta(hours=24), retries=parse_schedule("1d,3d,5d"))


def billing_policy(session: AsyncSession) -> BillingPolicy:
    policy = session.info.get(BillingPolicy.INFO_KEY)
    return policy if isinstance(policy, BillingPolicy) else DEFAULT_POLICY


def secret_box(session: AsyncSession) -> SecretBox:
    box = session.info.get(SecretBox.INFO_KEY)
    if not isinstance(box, SecretBox):
        raise RuntimeError("this database handle was built without the runtime's secret box")
    return box
