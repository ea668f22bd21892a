"""partial indexes on payments and the outbox

A payment's status change is not a HOT update (status is indexed), so PostgreSQL writes a
new entry into every index whose predicate the row meets. Indexes that only some rows need
(open payments for the reconciler, payments with an organisation, shop or tariff, unpublished
events for the relay) become partial; (status, updated_at), which no query used, gives way to
(status, created_at), which the statistics' counts by status read without the table.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('pending', 'processing')"
PARTIAL = [
    ("payments", "ix_payments_next_check", ["next_check_at"], OPEN),
    ("payments", "ix_payments_organization_id", ["organization_id"], "organization_id IS NOT NULL"),
    ("payments", "ix_payments_shop_id", ["shop_id"], "shop_id IS NOT NULL"),
    ("payments", "ix_payments_tariff_id", ["tariff_id"], "tariff_id IS NOT NULL"),
    ("outbox_events", "ix_outbox_events_pending", ["seq"], "published_at IS NULL"),
]
FULL = {
    "ix_payments_next_check": ["status", "next_check_at"],
    "ix_payments_organization_id": ["organization_id"],
    "ix_payments_shop_id": ["shop_id"],
    "ix_payments_tariff_id": ["tariff_id"],
    "ix_outbox_events_pending": ["published_at", "seq"],
}


def upgrade() -> None:
    op.drop_index("ix_payments_status_updated", table_name="payments")
    op.create_index("ix_payments_status_created", "payments", ["status", "created_at"])
    for table, name, columns, predicate in PARTIAL:
        op.drop_index(name, table_name=table)
        where = sa.text(predicate)
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table, name, _, _ in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, FULL[name])
    op.drop_index("ix_payments_status_created", table_name="payments")
    op.create_index("ix_payments_status_updated", "payments", ["status", "updated_at"])
