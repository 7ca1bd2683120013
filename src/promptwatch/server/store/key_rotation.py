"""Rotating an API key: the same public key id, a new secret hash; the old secret stops working."""

from __future__ import annotations

from sqlalchemy import Connection, update

from .tables.credentials import api_keys


def replace_secret(conn: Connection, account_id: int, key_id: str, secret_hash: str) -> bool:
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.account_id == account_id, api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(secret_hash=secret_hash)
    )
    return result.rowcount > 0
