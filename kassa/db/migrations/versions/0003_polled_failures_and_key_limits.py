"""declined Stripe payments stay polled; a rate limit per service key

A Stripe payment whose card was declined may still be paid on the same PaymentIntent, so
the reconciler looks at `failed` payments too: the partial index on `next_check_at` covers
them, and failed payments of every other provider (final there) leave the schedule. Service
keys get an optional limit of their own.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLLED = sa.text("status IN ('pending', 'processing', 'failed')")
OPEN = sa.text("status IN ('pending', 'processing')")


def upgrade() -> None:
    op.execute(
        "UPDATE payments SET next_check_at = NULL WHERE status = 'failed' AND provider <> 'stripe'"
    )
    op.drop_index("ix_payments_next_check", table_name="payments")
    op.create_index(
        "ix_payments_next_check",
        "payments",
        ["next_check_at"],
        postgresql_where=POLLED,
        sqlite_where=POLLED,
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("rate_limit_per_minute")
    op.drop_index("ix_payments_next_check", table_name="payments")
    op.create_index(
        "ix_payments_next_check",
        "payments",
        ["next_check_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
