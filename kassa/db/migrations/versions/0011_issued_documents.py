"""issued documents keep what they were issued with; invoices numbered per seller

Invoices and credit notes keep the seller, buyer, lines and totals they were issued with
(`snapshot`) and the seller whose series numbered them (`seller_key`). Existing documents
take theirs from the seller of today, the best there is to know. Sellers gain a time zone
(UTC, as documents were dated until now) and a series, the code in their numbers: shops'
sellers get one made from the shop's id; the default seller keeps numbers without one
(INV-2026-000042), so every number issued stays valid. Counters become one per seller and
year: the default seller's continue the shared series (no number of it is given twice), a
shop's seller's continue after its highest number that year.

Revision ID: 0011
Revises: 0010
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kassa.domain.documents import (
    buyer_of,
    credit_lines,
    seller_of,
    series_for,
    snapshot,
)
from kassa.domain.fiscal import lines_of

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SELLER_COLUMNS = (
    "key", "legal_name", "address", "tax_id", "tax_id_kind", "bank_details", "email", "phone",
    "series", "time_zone",
)  # fmt: skip
SELLERS = sa.table("sellers", *(sa.column(n) for n in SELLER_COLUMNS))
PAYMENTS = sa.table(
    "payments",
    *(
        sa.column(n)
        for n in (
            "id", "shop_id", "user_id", "organization_id", "email", "phone", "provider",
            "promo_code", "amount", "description",
        )
    ),
    sa.column("items", sa.JSON()),
)  # fmt: skip
INVOICES = sa.table(
    "invoices",
    sa.column("id"),
    sa.column("number"),
    sa.column("payment_id"),
    sa.column("seller_key"),
    sa.column("snapshot", sa.JSON()),
)
NOTES = sa.table(
    "credit_notes",
    sa.column("id"),
    sa.column("number"),
    sa.column("invoice_id"),
    sa.column("amount"),
    sa.column("seller_key"),
    sa.column("snapshot", sa.JSON()),
)
COUNTERS = ("invoice_counters", "credit_note_counters")
NUMBER = {"invoice_counters": re.compile(r"^INV-(\d{4})-(\d+)$"),
          "credit_note_counters": re.compile(r"^CN-(\d{4})-(\d+)$")}  # fmt: skip
Highest = dict[tuple[str, int], int]  # (seller key, year) → highest number issued


def upgrade() -> None:
    # plain ADD COLUMNs: a batch rebuild would drop tables other tables' keys point at
    op.add_column("sellers", sa.Column("series", sa.String(10), nullable=True))
    op.add_column(
        "sellers", sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
    )
    for table in ("invoices", "credit_notes"):
        op.add_column(
            table, sa.Column("seller_key", sa.String(100), nullable=False, server_default="")
        )
        op.add_column(table, sa.Column("snapshot", sa.JSON(), nullable=True))
    sellers = _give_series()
    op.create_index("ux_sellers_series", "sellers", ["series"], unique=True)
    highest = {COUNTERS[0]: _carry_invoices(sellers), COUNTERS[1]: _carry_credit_notes()}
    for table in COUNTERS:
        _counter_per_seller(table, highest[table])
    if op.get_bind().dialect.name == "postgresql":  # SQLite would rebuild the tables
        for table in ("invoices", "credit_notes"):
            op.alter_column(table, "snapshot", nullable=False)


def _give_series() -> dict[str, dict[str, Any]]:
    """Every shop's seller gets a series made from its shop's id; the sellers by key."""
    connection = op.get_bind()
    sellers = {row.key: dict(row._mapping) for row in connection.execute(sa.select(SELLERS)).all()}
    taken: set[str] = set()
    for key in sorted(sellers):
        if key:
            series = series_for(key, taken)
            taken.add(series)
            sellers[key]["series"] = series
            connection.execute(SELLERS.update().where(SELLERS.c.key == key).values(series=series))
    return sellers


def _carry_invoices(sellers: dict[str, dict[str, Any]]) -> Highest:
    """Each invoice's seller (its shop's, else the default) and snapshot; the highest
    number each shop's seller issued a year."""
    connection = op.get_bind()
    highest: Highest = defaultdict(int)
    last = ""
    while True:
        rows = connection.execute(
            sa.select(INVOICES.c.id.label("invoice_id"), INVOICES.c.number, PAYMENTS)
            .join(PAYMENTS, PAYMENTS.c.id == INVOICES.c.payment_id)
            .where(INVOICES.c.id > last)
            .order_by(INVOICES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return highest
        changes = []
        for row in rows:
            key = row.shop_id if row.shop_id and row.shop_id in sellers else ""
            found = NUMBER[COUNTERS[0]].match(row.number)
            if key and found:
                year_and_key = (key, int(found[1]))
                highest[year_and_key] = max(highest[year_and_key], int(found[2]))
            kept = snapshot(
                seller_of(key, sellers.get(key)),
                buyer_of(row.user_id, row.organization_id, row.email, row.phone),
                lines_of(row.items, row.amount, row.description),
                {"id": row.id, "provider": row.provider, "promo_code": row.promo_code},
            )
            changes.append({"the_id": row.invoice_id, "the_key": key, "the_snapshot": kept})
        connection.execute(
            INVOICES.update()
            .where(INVOICES.c.id == sa.bindparam("the_id"))
            .values(seller_key=sa.bindparam("the_key"), snapshot=sa.bindparam("the_snapshot")),
            changes,
        )
        last = rows[-1].invoice_id


def _carry_credit_notes() -> Highest:
    """Each credit note takes its invoice's seller, buyer and payment, and the refund
    spread over the invoice's lines."""
    connection = op.get_bind()
    highest: Highest = defaultdict(int)
    last = ""
    while True:
        rows = connection.execute(
            sa.select(
                NOTES.c.id,
                NOTES.c.number,
                NOTES.c.amount,
                INVOICES.c.seller_key,
                INVOICES.c.snapshot,
            )
            .join(INVOICES, INVOICES.c.id == NOTES.c.invoice_id)
            .where(NOTES.c.id > last)
            .order_by(NOTES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return highest
        changes = []
        for row in rows:
            found = NUMBER[COUNTERS[1]].match(row.number)
            if row.seller_key and found:
                year_and_key = (row.seller_key, int(found[1]))
                highest[year_and_key] = max(highest[year_and_key], int(found[2]))
            invoice = row.snapshot
            lines = credit_lines(lines_of(invoice["lines"], 0, None), row.amount)
            kept = snapshot(invoice["seller"], invoice["buyer"], lines, invoice["payment"])
            changes.append({"the_id": row.id, "the_key": row.seller_key, "the_snapshot": kept})
        connection.execute(
            NOTES.update()
            .where(NOTES.c.id == sa.bindparam("the_id"))
            .values(seller_key=sa.bindparam("the_key"), snapshot=sa.bindparam("the_snapshot")),
            changes,
        )
        last = rows[-1].id


def _counter_per_seller(table: str, highest: Highest) -> None:
    """The year's shared counter becomes the default seller's (it is past every number the
    series gave), and each shop's seller's starts after its highest number that year."""
    connection = op.get_bind()
    shared = connection.execute(sa.text(f"SELECT year, last_number FROM {table}")).all()  # noqa: S608
    op.drop_table(table)
    op.create_table(
        table,
        sa.Column("seller_key", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seller_key", "year", name=f"pk_{table}"),
    )
    rows = [{"seller_key": "", "year": year, "last_number": last} for year, last in shared]
    rows += [
        {"seller_key": key, "year": year, "last_number": last}
        for (key, year), last in sorted(highest.items())
    ]
    if rows:
        counters = sa.table(table, sa.column("seller_key"), sa.column("year"),
                            sa.column("last_number"))  # fmt: skip
        connection.execute(counters.insert(), rows)


def downgrade() -> None:
    connection = op.get_bind()
    for table in COUNTERS:
        # one series a year again, past every number of it any seller gave
        years = connection.execute(
            sa.text(f"SELECT year, max(last_number) FROM {table} GROUP BY year")  # noqa: S608
        ).all()
        op.drop_table(table)
        op.create_table(
            table,
            sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("last_number", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("year", name=f"pk_{table}"),
        )
        if years:
            counters = sa.table(table, sa.column("year"), sa.column("last_number"))
            connection.execute(counters.insert(), [{"year": y, "last_number": n} for y, n in years])
    for table in ("credit_notes", "invoices"):
        op.drop_column(table, "snapshot")
        op.drop_column(table, "seller_key")
    op.drop_index("ux_sellers_series", table_name="sellers")
    op.drop_column("sellers", "time_zone")
    op.drop_column("sellers", "series")
