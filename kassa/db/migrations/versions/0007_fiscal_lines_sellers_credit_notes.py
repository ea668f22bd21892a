"""fiscal lines on payments, sellers, credit notes

Payments keep what was sold (`items`, for one-off payments; a tariff payment's line comes
from its tariff) and the buyer's e-mail for 54-FZ receipts. Sellers are printed on
invoices. A refund issues a credit note, numbered in its own gap-free series per year.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
Time = kassa.db.base.UTCDateTime


def upgrade() -> None:
    op.add_column("payments", sa.Column("items", sa.JSON(), nullable=True))
    op.add_column("payments", sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "credit_note_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_credit_note_counters"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("invoice_id", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("issued_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_credit_notes_invoice_id_invoices"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_credit_notes_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credit_notes"),
        sa.UniqueConstraint("number", name="uq_credit_notes_number"),
        sa.UniqueConstraint(
            "payment_id", "refunded_total", name="uq_credit_notes_payment_id_refunded_total"
        ),
    )
    op.create_index("ix_credit_notes_invoice_id", "credit_notes", ["invoice_id"])
    op.create_table(
        "sellers",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("legal_name", sa.String(300), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("tax_id", sa.String(20), nullable=True),
        sa.Column("tax_id_kind", sa.String(10), nullable=True),
        sa.Column("bank_details", sa.Text(), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("updated_at", Time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sellers"),
    )


def downgrade() -> None:
    op.drop_table("sellers")
    op.drop_index("ix_credit_notes_invoice_id", table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_table("credit_note_counters")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("email")
        batch.drop_column("items")
