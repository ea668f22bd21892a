"""Payme's transactions join the engine's provider transactions

Payme's Merchant API now runs on the engine every inverted provider shares. Its
transactions are copied into `provider_transactions` (the Payme id as the provider's
transaction id, Payme's time as the provider's time, the account, receivers and fiscal
receipts in `data`). `payme_transactions` stays, unused, for one release.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
COMMON = ("payment_id", "amount", "state", "reason", "create_time", "perform_time", "cancel_time")
OLD = sa.table(
    "payme_transactions",
    *(sa.column(name) for name in ("id", "payme_id", "payme_time", *COMMON)),
    sa.column("account", sa.JSON()),
    sa.column("receivers", sa.JSON()),
    sa.column("fiscal_perform", sa.JSON()),
    sa.column("fiscal_cancel", sa.JSON()),
)
NEW = sa.table(
    "provider_transactions",
    *(sa.column(name) for name in ("provider", "provider_tx_id", "provider_time", *COMMON)),
    sa.column("data", sa.JSON()),
)


def upgrade() -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(OLD).where(OLD.c.id > last).order_by(OLD.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            NEW.insert(),
            [
                {
                    "provider": "payme",
                    "provider_tx_id": row.payme_id,
                    "payment_id": row.payment_id,
                    "provider_time": row.payme_time,
                    "amount": row.amount,
                    "state": row.state,
                    "reason": row.reason,
                    "create_time": row.create_time,
                    "perform_time": row.perform_time,
                    "cancel_time": row.cancel_time,
                    "data": {
                        key: value
                        for key, value in (
                            ("account", row.account),
                            ("receivers", row.receivers),
                            ("fiscal_perform", row.fiscal_perform),
                            ("fiscal_cancel", row.fiscal_cancel),
                        )
                        if value is not None or key == "receivers"
                    },
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    op.execute("DELETE FROM provider_transactions WHERE provider = 'payme'")
