"""promo codes a merchant can trust: a limit per customer, reservations that expire

Each code gets `max_per_customer` (existing codes: none, as they were sold), and each
customer's use of a code is a `promo_redemptions` row, released with its payment. The
redemptions live payments already hold (pending, processing or paid) are written from the
payments, so a limit set later counts them.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = kassa.db.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("promo_codes") as batch:
        batch.add_column(sa.Column("max_per_customer", sa.Integer(), nullable=True))
    op.create_table(
        "promo_redemptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.Column("released_at", Time(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["code"], ["promo_codes.code"], name="fk_promo_redemptions_code_promo_codes"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promo_redemptions"),
    )
    op.create_index(
        "ix_promo_redemptions_code_owner",
        "promo_redemptions",
        ["code", "owner", "released_at"],
    )
    # a payment neither failed nor cancelled holds its code (a failed one gave it back)
    op.execute(
        """
        INSERT INTO promo_redemptions (code, owner, created_at)
        SELECT p.promo_code,
               CASE WHEN p.organization_id IS NOT NULL THEN 'org:' || p.organization_id
                    ELSE 'user:' || p.user_id END,
               p.created_at
        FROM payments p
        JOIN promo_codes c ON c.code = p.promo_code
        WHERE p.status NOT IN ('failed', 'cancelled')
        """
    )


def downgrade() -> None:
    op.drop_index("ix_promo_redemptions_code_owner", table_name="promo_redemptions")
    op.drop_table("promo_redemptions")
    with op.batch_alter_table("promo_codes") as batch:
        batch.drop_column("max_per_customer")
