"""declined Stripe payments stay polled; a rate limit per service key; sign-in throttles

A Stripe payment whose card was declined may still be paid on the same PaymentIntent, so
the reconciler looks at `failed` payments too: the partial index on `next_check_at` covers
them, and failed payments of every other provider (final there) leave the schedule. Service
keys get an optional limit of their own. Failed operator sign-ins are throttled per e-mail
and address with growing waits instead of locking the account for everyone.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.db.base

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
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", kassa.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", kassa.db.base.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_throttles_updated_at", "sign_in_throttles", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttles_updated_at", table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
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
