"""provider transactions: the engine every inverted provider's calls are kept in

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_transactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("provider_tx_id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("provider_time", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("perform_time", sa.BigInteger(), nullable=False),
        sa.Column("cancel_time", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_provider_transactions_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_transactions")),
        sa.UniqueConstraint(
            "provider",
            "provider_tx_id",
            name=op.f("uq_provider_transactions_provider_provider_tx_id"),
        ),
    )
    op.create_index("ix_provider_transactions_payment_id", "provider_transactions", ["payment_id"])
    op.create_index(  # statements: a provider's transactions by its time
        "ix_provider_transactions_provider_time",
        "provider_transactions",
        ["provider", "provider_time"],
    )


def downgrade() -> None:
    op.drop_index("ix_provider_transactions_provider_time", table_name="provider_transactions")
    op.drop_index("ix_provider_transactions_payment_id", table_name="provider_transactions")
    op.drop_table("provider_transactions")
