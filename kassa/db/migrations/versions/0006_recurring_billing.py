"""recurring billing: subscriptions as objects with periods, promo codes, the sandbox clock

A subscription was one row per user; it becomes its own object (`sub_…`), several per
customer (one live per tariff group), with the periods each payment bought. Existing rows
are carried over with the period their last payment bought, so a refund of that payment
still takes it back. Tariffs gain `recurring`, `trial_days`, `group` and `fiscal`; payments
the subscription and period they pay for, the promo code and its discount.

Revision ID: 0006
Revises: 0005
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import kassa.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('trialing', 'active', 'past_due')")
DUE = sa.text("next_attempt_at IS NOT NULL")
HAS_SUBSCRIPTION = sa.text("subscription_id IS NOT NULL")
BATCH = 1000
Time = kassa.db.base.UTCDateTime


def _when(predicate: sa.TextClause) -> dict[str, Any]:
    return {"postgresql_where": predicate, "sqlite_where": predicate}


def upgrade() -> None:
    # plain ADD COLUMNs: a batch rebuild would drop tables other tables' keys point at
    for column in (
        sa.Column("recurring", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("trial_days", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tariff_group", sa.String(100), nullable=True),
        sa.Column("fiscal", sa.JSON(), nullable=True),
    ):
        op.add_column("tariffs", column)
    for column in (
        sa.Column("subscription_id", sa.String(40), nullable=True),
        sa.Column("billing_period", sa.Integer(), nullable=True),
        sa.Column("save_payment_method", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("promo_code", sa.String(64), nullable=True),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False, server_default="0"),
    ):
        op.add_column("payments", column)
    op.create_index(
        "ix_payments_subscription", "payments", ["subscription_id"], **_when(HAS_SUBSCRIPTION)
    )

    # the old table's index names are taken in the schema: out of the way first
    op.drop_index("ix_subscriptions_expires_at", table_name="subscriptions")
    op.rename_table("subscriptions", "subscriptions_v1")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX pk_subscriptions RENAME TO pk_subscriptions_v1")
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("organization_id", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("group_key", sa.String(100), nullable=False),
        sa.Column("tariff_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", Time(timezone=True), nullable=False),
        sa.Column("current_period_start", Time(timezone=True), nullable=False),
        sa.Column("current_period_end", Time(timezone=True), nullable=False),
        sa.Column("period_number", sa.Integer(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("payment_method_id", sa.String(40), nullable=True),
        sa.Column("provider", sa.String(20), nullable=True),
        sa.Column("shop_id", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("promo_code", sa.String(64), nullable=True),
        sa.Column("next_attempt_at", Time(timezone=True), nullable=True),
        sa.Column("renewal_attempts", sa.Integer(), nullable=False),
        sa.Column("last_payment_id", sa.String(40), nullable=True),
        sa.Column("cancelled_at", Time(timezone=True), nullable=True),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.Column("updated_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name="fk_subscriptions_payment_method_id_payment_methods",
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name="fk_subscriptions_tariff_id_tariffs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index(
        "ux_subscriptions_live", "subscriptions", ["owner", "group_key"], unique=True, **_when(LIVE)
    )
    op.create_index(
        "ix_subscriptions_billing_due", "subscriptions", ["next_attempt_at"], **_when(DUE)
    )
    op.create_index("ix_subscriptions_user_created", "subscriptions", ["user_id", "created_at"])
    op.create_table(
        "subscription_periods",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tariff_id", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=True),
        sa.Column("starts_at", Time(timezone=True), nullable=False),
        sa.Column("ends_at", Time(timezone=True), nullable=False),
        sa.Column("taken_back_at", Time(timezone=True), nullable=True),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name="fk_subscription_periods_subscription_id_subscriptions",
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name="fk_subscription_periods_tariff_id_tariffs"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_subscription_periods_payment_id_payments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_periods"),
        sa.UniqueConstraint(
            "subscription_id", "number", name="uq_subscription_periods_subscription_id_number"
        ),
        sa.UniqueConstraint("payment_id", name="uq_subscription_periods_payment_id"),
    )
    op.create_index(
        "ix_subscription_periods_subscription_id", "subscription_periods", ["subscription_id"]
    )
    op.create_table(
        "promo_codes",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("amount_off", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("tariff_ids", sa.JSON(), nullable=False),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.Column("expires_at", Time(timezone=True), nullable=True),
        sa.Column("applies_to", sa.String(20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(percent_off IS NULL) <> (amount_off IS NULL)",
            name="ck_promo_codes_one_kind_of_discount",
        ),
        sa.PrimaryKeyConstraint("code", name="pk_promo_codes"),
    )
    op.create_table(
        "sandbox_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_clock"),
    )
    _carry_subscriptions_over()
    op.drop_table("subscriptions_v1")


OLD = sa.table(
    "subscriptions_v1",
    *(sa.column(n) for n in ("user_id", "tariff_id", "status", "last_payment_id")),
    sa.column("started_at", Time()),
    sa.column("expires_at", Time()),
    sa.column("updated_at", Time()),
)
TARIFFS = sa.table("tariffs", sa.column("id"), sa.column("duration_days"))
NEW = sa.table(
    "subscriptions",
    *(
        sa.column(n)
        for n in (
            "id",
            "user_id",
            "owner",
            "group_key",
            "tariff_id",
            "status",
            "period_number",
            "auto_renew",
            "cancel_at_period_end",
            "renewal_attempts",
            "last_payment_id",
        )
    ),
    *(
        sa.column(n, Time())
        for n in (
            "started_at",
            "current_period_start",
            "current_period_end",
            "next_attempt_at",
            "created_at",
            "updated_at",
        )
    ),
)
PERIODS = sa.table(
    "subscription_periods",
    *(sa.column(n) for n in ("subscription_id", "number", "kind", "tariff_id", "payment_id")),
    *(sa.column(n, Time()) for n in ("starts_at", "ends_at", "created_at")),
)


def _carry_subscriptions_over() -> None:
    """Each held subscription becomes one object; its last payment bought its last period
    (the tariff's duration up to its expiry). Rows that never held anything are dropped."""
    connection = op.get_bind()
    last = ""
    while True:
        rows = connection.execute(
            sa.select(OLD, TARIFFS.c.duration_days)
            .join(TARIFFS, TARIFFS.c.id == OLD.c.tariff_id)
            .where(OLD.c.user_id > last, OLD.c.status.in_(("active", "expired", "cancelled")))
            .order_by(OLD.c.user_id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        subs, periods = [], []
        for row in rows:
            sub_id = f"sub_{uuid.uuid4().hex}"
            subs.append(
                {
                    "id": sub_id,
                    "user_id": row.user_id,
                    "owner": f"user:{row.user_id}",
                    "group_key": "",
                    "tariff_id": row.tariff_id,
                    "status": row.status,
                    "period_number": 1,
                    "auto_renew": True,
                    "cancel_at_period_end": False,
                    "renewal_attempts": 0,
                    "last_payment_id": row.last_payment_id,
                    "started_at": row.started_at,
                    "current_period_start": row.started_at,
                    "current_period_end": row.expires_at,
                    # the billing job ends it when its time runs out
                    "next_attempt_at": row.expires_at if row.status == "active" else None,
                    "created_at": row.started_at,
                    "updated_at": row.updated_at,
                }
            )
            if row.last_payment_id:
                periods.append(
                    {
                        "subscription_id": sub_id,
                        "number": 1,
                        "kind": "purchase",
                        "tariff_id": row.tariff_id,
                        "payment_id": row.last_payment_id,
                        "starts_at": max(
                            row.started_at, row.expires_at - timedelta(days=row.duration_days)
                        ),
                        "ends_at": row.expires_at,
                        "created_at": row.updated_at,
                    }
                )
        connection.execute(NEW.insert(), subs)
        if periods:
            connection.execute(PERIODS.insert(), periods)
        last = rows[-1].user_id


def downgrade() -> None:
    op.drop_table("sandbox_clock")
    op.drop_table("promo_codes")
    op.drop_index("ix_subscription_periods_subscription_id", table_name="subscription_periods")
    op.drop_table("subscription_periods")
    op.rename_table("subscriptions", "subscriptions_v2")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX pk_subscriptions RENAME TO pk_subscriptions_v2")
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("tariff_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", Time(timezone=True), nullable=False),
        sa.Column("expires_at", Time(timezone=True), nullable=False),
        sa.Column("last_payment_id", sa.String(40), nullable=True),
        sa.Column("updated_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_payment_id"], ["payments.id"], name="fk_subscriptions_last_payment_id_payments"
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"], ["tariffs.id"], name="fk_subscriptions_tariff_id_tariffs"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_subscriptions"),
    )
    # one row per user again: the subscription ending last
    op.execute(
        """
        INSERT INTO subscriptions (user_id, tariff_id, status, started_at, expires_at,
                                   last_payment_id, updated_at)
        SELECT s.user_id, s.tariff_id,
               CASE WHEN s.status IN ('trialing', 'past_due') THEN 'active' ELSE s.status END,
               s.started_at, s.current_period_end, s.last_payment_id, s.updated_at
        FROM subscriptions_v2 s
        WHERE NOT EXISTS (
            SELECT 1 FROM subscriptions_v2 later
            WHERE later.user_id = s.user_id
              AND (later.current_period_end > s.current_period_end
                   OR (later.current_period_end = s.current_period_end AND later.id > s.id))
        )
        """
    )
    op.drop_table("subscriptions_v2")
    op.create_index("ix_subscriptions_expires_at", "subscriptions", ["expires_at"])
    op.drop_index("ix_payments_subscription", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        for name in (
            "discount_amount",
            "promo_code",
            "save_payment_method",
            "billing_period",
            "subscription_id",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("tariffs") as batch:
        for name in ("fiscal", "tariff_group", "trial_days", "recurring"):
            batch.drop_column(name)
