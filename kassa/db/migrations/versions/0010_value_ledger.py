"""every stretch of service time records the money that bought it

Existing stretches get a value and move no end date: a trial is worth nothing; a purchase or
renewal is worth its payment net of refunds (a stretch taken back, nothing); a change is
worth its payment net of refunds plus what the old rule carried (its extra time at the new
tariff's list price), capped at the value the stretch before it held.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = kassa.db.base.UTCDateTime
DAY = 86_400

periods = sa.table(
    "subscription_periods",
    sa.column("id", sa.BigInteger()),
    sa.column("subscription_id", sa.String()),
    sa.column("number", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("tariff_id", sa.String()),
    sa.column("payment_id", sa.String()),
    sa.column("starts_at", Time()),
    sa.column("ends_at", Time()),
    sa.column("taken_back_at", Time()),
    sa.column("value", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("funded_by", sa.String()),
)
tariffs = sa.table(
    "tariffs",
    sa.column("id", sa.String()),
    sa.column("amount", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("duration_days", sa.Integer()),
)
payments = sa.table(
    "payments",
    sa.column("id", sa.String()),
    sa.column("amount", sa.BigInteger()),
    sa.column("refunded_amount", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("subscription_periods") as batch:
        batch.add_column(sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("funded_by", sa.String(40), nullable=True))
        batch.create_foreign_key(
            "fk_subscription_periods_funded_by_payments", "payments", ["funded_by"], ["id"]
        )
        batch.create_index("ix_subscription_periods_funded_by", ["funded_by"])
    _value_existing_stretches()
    with op.batch_alter_table("subscription_periods") as batch:
        batch.alter_column("currency", existing_type=sa.String(3), nullable=False)


def _value_existing_stretches() -> None:
    bind = op.get_bind()
    prices = {
        row.id: (row.amount, row.currency, row.duration_days)
        for row in bind.execute(sa.select(tariffs))
    }
    net = {
        row.id: max(0, row.amount - row.refunded_amount)
        for row in bind.execute(sa.select(payments))
    }
    rows = bind.execute(
        sa.select(periods).order_by(periods.c.subscription_id, periods.c.number)
    ).all()
    previous_value: dict[str, int] = {}
    for row in rows:
        amount, currency, days = prices[row.tariff_id]
        paid = net.get(row.payment_id, 0) if row.payment_id else 0
        if row.kind == "trial" or row.taken_back_at is not None:
            value = 0
        elif row.kind == "change":
            extra = int((row.ends_at - row.starts_at).total_seconds()) - days * DAY
            carried = max(0, extra) * amount // (days * DAY)
            value = paid + min(carried, previous_value.get(row.subscription_id, 0))
        else:
            value = paid
        previous_value[row.subscription_id] = value
        bind.execute(
            periods.update()
            .where(periods.c.id == row.id)
            .values(value=value, currency=currency, funded_by=row.payment_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_periods") as batch:
        batch.drop_index("ix_subscription_periods_funded_by")
        batch.drop_constraint("fk_subscription_periods_funded_by_payments", type_="foreignkey")
        batch.drop_column("funded_by")
        batch.drop_column("currency")
        batch.drop_column("value")
