"""at most one live (open or completed) provider transaction per order and provider

The inverted engine has always refused a second live transaction for an order under the
order's row lock; the index states that rule in the schema, so a CreateTransaction can read
the order's transactions in the statement that locks the order (a row the lock waited for
may be read as it was before the wait; a second live transaction then fails the index and
the call is carried out again).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "state IN (1, 2)"  # kassa.domain.inverted.TxState.OPEN, COMPLETED


def upgrade() -> None:
    doubled = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT provider, payment_id FROM provider_transactions WHERE state IN (1, 2)"
                " GROUP BY provider, payment_id HAVING count(*) > 1"
            )
        )
        .all()
    )
    if doubled:
        orders = ", ".join(f"{provider}:{payment}" for provider, payment in doubled[:20])
        raise RuntimeError(f"orders with more than one live provider transaction: {orders}")
    op.create_index(
        "ux_provider_transactions_live",
        "provider_transactions",
        ["provider", "payment_id"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ux_provider_transactions_live", table_name="provider_transactions")
