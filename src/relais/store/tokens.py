"""API tokens, stored as SHA-256 digests only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from relais.store.tables import accounts, api_tokens


@dataclass(frozen=True, slots=True)
class TokenOwner:
    token_id: int
    account_id: int
    expires_at: int | None
    revoked_at: int | None
    account_active: bool


def insert_token(
    conn: Connection,
    *,
    account_id: int,
    token_hash: str,
    name: str,
    now_ms: int,
    expires_at: int | None = None,
) -> int:
    return conn.execute(
        insert(api_tokens)
        .values(
            account_id=account_id,
            token_hash=token_hash,
            name=name,
            created_at=now_ms,
            expires_at=expires_at,
        )
        .returning(api_tokens.c.id)
    ).scalar_one()


def owner_of(conn: Connection, token_hash: str) -> TokenOwner | None:
    row = conn.execute(
        select(
            api_tokens.c.id,
            api_tokens.c.account_id,
            api_tokens.c.expires_at,
            api_tokens.c.revoked_at,
            accounts.c.active,
        )
        .join(accounts, accounts.c.id == api_tokens.c.account_id)
        .where(api_tokens.c.token_hash == token_hash)
    ).first()
    return TokenOwner(*row) if row else None
