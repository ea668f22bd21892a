"""a shop's BIN and device token are credentials like the others

`merchants.organization_bin` and `merchants.device_token` (sealed) were columns of every
shop although only Kaspi's gateway takes them. They move into the shop's sealed
credentials (`organization_bin`, `device_token`), sealed again with the current key, and
what reads show of them into `credential_prefixes` (the BIN whole, the token's mask, as
`device_token_prefix` had it); the three columns are dropped.

Downgrade puts them back into their columns (the token sealed, its prefix masked) and out
of the credentials and their prefixes.

The key: what `kassa migrate` hands over (the settings' ENCRYPTION_KEY or SECRET_KEY), else
the settings read here; asked for only when a shop has something to move.

Revision ID: 0014
Revises: 0013
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from kassa.core.crypto import SecretBox, mask

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_FIELDS = ("organization_bin", "device_token")


def _box() -> SecretBox:
    key = context.config.attributes.get("at_rest_key")
    if not key:
        from kassa.core.settings import load_settings

        key = load_settings().at_rest_key
    return SecretBox(key)


def _json(value: Any) -> dict[str, str]:
    """A JSON column as read back (PostgreSQL: parsed already; SQLite: text)."""
    found: dict[str, str] = json.loads(value) if isinstance(value, str) else dict(value or {})
    return found


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT shop_id, organization_bin, device_token, device_token_prefix, credentials,"
            " credential_prefixes FROM merchants"
            " WHERE organization_bin IS NOT NULL OR device_token IS NOT NULL"
        )
    ).all()
    box = _box() if rows else None
    for shop_id, organization_bin, device_token, prefix, sealed, prefixes in rows:
        assert box is not None
        values = json.loads(box.open(sealed)) if sealed else {}
        shown = _json(prefixes)
        if organization_bin:
            values["organization_bin"] = shown["organization_bin"] = organization_bin
        if device_token:
            values["device_token"] = box.open(device_token)
            shown["device_token"] = prefix or mask(values["device_token"]) or ""
        bind.execute(
            sa.text(
                "UPDATE merchants SET credentials = :credentials, credential_prefixes = :shown"
                " WHERE shop_id = :shop_id"
            ),
            {
                "credentials": box.seal(json.dumps(values)),
                "shown": json.dumps(shown),
                "shop_id": shop_id,
            },
        )
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("organization_bin")
        batch.drop_column("device_token")
        batch.drop_column("device_token_prefix")


def downgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("organization_bin", sa.String(12), nullable=True))
        batch.add_column(sa.Column("device_token", sa.Text(), nullable=True))
        batch.add_column(sa.Column("device_token_prefix", sa.String(16), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT shop_id, credentials, credential_prefixes FROM merchants"
            " WHERE credentials IS NOT NULL"
        )
    ).all()
    box = _box() if rows else None
    for shop_id, sealed, prefixes in rows:
        assert box is not None
        values = json.loads(box.open(sealed))
        shown = {k: v for k, v in _json(prefixes).items() if k not in OWN_FIELDS}
        organization_bin = values.pop("organization_bin", None)
        device_token = values.pop("device_token", None)
        if organization_bin is None and device_token is None:
            continue
        bind.execute(
            sa.text(
                "UPDATE merchants SET organization_bin = :organization_bin,"
                " device_token = :device_token, device_token_prefix = :prefix,"
                " credentials = :credentials, credential_prefixes = :shown"
                " WHERE shop_id = :shop_id"
            ),
            {
                "organization_bin": organization_bin,
                "device_token": box.seal(device_token) if device_token else None,
                "prefix": mask(device_token),
                "credentials": box.seal(json.dumps(values)) if values else None,
                "shown": json.dumps(shown),
                "shop_id": shop_id,
            },
        )
