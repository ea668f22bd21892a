"""every refund a Refund, matched by the provider's refund id

A refund started at the provider (Payme's cabinet, Stripe's dashboard, YooKassa's cabinet)
used to move the payment's refunded total without a Refund. Refunds now name their
provider, who started them, the credit note they issued and the fiscal receipt kassa had
registered for one made without it, and the provider's refund id
is unique per provider, so a refund seen again (kassa's own echoed by a webhook) is
matched, not recorded twice.

A payment whose refunded total exceeds its succeeded refunds gets the missing Refunds: one
for each refund move its audit trail records beyond the Refunds it has (with that move's
time and amount), or, when the trail does not add up to what is missing, one for the
difference. Each succeeded refund is paired with the payment's credit note of its amount.

Downgrade drops the columns and the index; the Refunds recorded stay (older code lists
them and reserves nothing for them).

Revision ID: 0012
Revises: 0011
"""

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kassa.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = kassa.db.base.UTCDateTime
NAMED = "provider_refund_id IS NOT NULL"

refunds = sa.table(
    "refunds",
    sa.column("id", sa.String()),
    sa.column("payment_id", sa.String()),
    sa.column("provider", sa.String()),
    sa.column("amount", sa.BigInteger()),
    sa.column("currency", sa.String()),
    sa.column("status", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("provider_refund_id", sa.String()),
    sa.column("initiated_by", sa.String()),
    sa.column("credit_note_id", sa.String()),
    sa.column("created_at", Time()),
)


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("provider", sa.String(20), nullable=True))
        batch.add_column(
            sa.Column("initiated_by", sa.String(10), nullable=False, server_default="kassa")
        )
        batch.add_column(sa.Column("credit_note_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("receipt", sa.JSON(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE refunds SET provider ="
            " (SELECT payments.provider FROM payments WHERE payments.id = refunds.payment_id)"
        )
    )
    # an empty id names nothing (Click's answer without a payment id was kept as "")
    bind.execute(
        sa.text("UPDATE refunds SET provider_refund_id = NULL WHERE provider_refund_id = ''")
    )
    _refuse_doubled_ids(bind)
    _record_missing_refunds(bind)
    _pair_credit_notes(bind)
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("provider", existing_type=sa.String(20), nullable=False)
    op.create_index(
        "ux_refunds_provider_refund_id",
        "refunds",
        ["provider", "provider_refund_id"],
        unique=True,
        postgresql_where=sa.text(NAMED),
        sqlite_where=sa.text(NAMED),
    )


def _refuse_doubled_ids(bind: Any) -> None:
    doubled = bind.execute(
        sa.text(
            "SELECT provider, provider_refund_id FROM refunds WHERE provider_refund_id IS NOT NULL"
            " GROUP BY provider, provider_refund_id HAVING count(*) > 1"
        )
    ).all()
    if doubled:
        named = ", ".join(f"{provider}:{refund}" for provider, refund in doubled[:20])
        raise RuntimeError(f"refunds recorded twice under one provider refund id: {named}")


def _details(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


def _record_missing_refunds(bind: Any) -> None:
    short = bind.execute(
        sa.text(
            "SELECT p.id, p.provider, p.currency, p.refunded_amount, p.updated_at,"
            " (SELECT COALESCE(SUM(r.amount), 0) FROM refunds r"
            "   WHERE r.payment_id = p.id AND r.status = 'succeeded') AS recorded"
            " FROM payments p WHERE p.refunded_amount > 0"
        ).columns(updated_at=Time())
    ).all()
    for payment_id, provider, currency, refunded, updated_at, recorded in short:
        missing = int(refunded) - int(recorded)
        if missing <= 0:
            continue
        rows = _unrecorded_moves(bind, payment_id)
        if sum(amount for amount, _ in rows) != missing:
            at = rows[-1][1] if rows else updated_at
            rows = [(missing, at)]
        for amount, at in rows:
            bind.execute(
                refunds.insert().values(
                    id=f"re_{uuid.uuid4().hex}",
                    payment_id=payment_id,
                    provider=provider,
                    amount=amount,
                    currency=currency,
                    status="succeeded",
                    reason=None,
                    provider_refund_id=None,
                    initiated_by="provider",
                    credit_note_id=None,
                    created_at=at,
                )
            )


def _unrecorded_moves(bind: Any, payment_id: str) -> list[tuple[int, Any]]:
    """The refund moves of the payment's audit trail (amount, time), less one of each
    amount its succeeded Refunds account for."""
    trail = bind.execute(
        sa.text(
            "SELECT at, details FROM audit_records WHERE payment_id = :payment_id"
            " AND status IN ('partially_refunded', 'refunded') AND error_message IS NULL"
            " ORDER BY id"
        ).columns(at=Time()),
        {"payment_id": payment_id},
    ).all()
    moves = []
    for at, details in trail:
        amount = _details(details).get("newly_refunded")
        if isinstance(amount, int) and amount > 0:
            moves.append((amount, at))
    held = bind.execute(
        sa.text(
            "SELECT amount FROM refunds WHERE payment_id = :payment_id AND status = 'succeeded'"
        ),
        {"payment_id": payment_id},
    ).all()
    for (amount,) in held:
        index = next((i for i, (moved, _) in enumerate(moves) if moved == amount), None)
        if index is not None:
            del moves[index]
    return moves


def _pair_credit_notes(bind: Any) -> None:
    """Each succeeded refund, oldest first, with the first unpaired credit note of its
    payment for the same amount."""
    notes: dict[str, list[tuple[str, int]]] = {}
    for note_id, payment_id, amount in bind.execute(
        sa.text("SELECT id, payment_id, amount FROM credit_notes ORDER BY refunded_total")
    ).all():
        notes.setdefault(payment_id, []).append((note_id, int(amount)))
    found = bind.execute(
        sa.text(
            "SELECT id, payment_id, amount FROM refunds WHERE status = 'succeeded'"
            " AND credit_note_id IS NULL ORDER BY created_at, id"
        )
    ).all()
    for refund_id, payment_id, amount in found:
        left = notes.get(payment_id, [])
        index = next((i for i, (_, value) in enumerate(left) if value == int(amount)), None)
        if index is None:
            continue
        note_id, _ = left.pop(index)
        bind.execute(
            refunds.update().where(refunds.c.id == refund_id).values(credit_note_id=note_id)
        )


def downgrade() -> None:
    op.drop_index("ux_refunds_provider_refund_id", table_name="refunds")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("receipt")
        batch.drop_column("credit_note_id")
        batch.drop_column("initiated_by")
        batch.drop_column("provider")
