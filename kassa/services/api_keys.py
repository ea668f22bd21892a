"""Service API keys: created once, shown once, looked up by digest."""

from __future__ import annotations

from sqlalchemy import select

from kassa.auth import Principal, Role, hash_api_key, new_api_key
from kassa.db.models import ApiKey
from kassa.db.session import Database


async def create_api_key(db: Database, name: str) -> tuple[ApiKey, str]:
    key = new_api_key()
    row = ApiKey(name=name, prefix=key[:12], key_hash=hash_api_key(key))
    async with db.transaction() as session:
        session.add(row)
    return row, key


async def principal_for_key(db: Database, key: str) -> Principal | None:
    """The digest lookup is an index probe on a unique column; the stored value is never
    compared in Python, so there is nothing to time."""
    async with db.transaction() as session:
        row = await session.scalar(
            select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
        )
    if row is None:
        return None
    return Principal(subject=row.name, role=Role.SERVICE)
