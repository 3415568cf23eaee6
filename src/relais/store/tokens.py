"""API tokens, stored as SHA-256 digests only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from relais.store.tables import accounts, api_tokens


@dataclass(frozen=True, slots=True)
class TokenOwner:
    token_id: int
    account_id: int
    expires_at: int | None
    revoked_at: int | None
    account_active: bool
    # JSON list of addresses / CIDR networks, or None when the token works from anywhere.
    allowed_ips: str | None = None


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    name: str
    created_at: int
    expires_at: int | None
    ttl: int | None
    allowed_ips: str | None


def insert_token(
    conn: Connection,
    *,
    account_id: int,
    token_hash: str,
    name: str,
    now_ms: int,
    expires_at: int | None = None,
    ttl: int | None = None,
    allowed_ips: str | None = None,
) -> int:
    return conn.execute(
        insert(api_tokens)
        .values(
            account_id=account_id,
            token_hash=token_hash,
            name=name,
            created_at=now_ms,
            expires_at=expires_at,
            ttl=ttl,
            allowed_ips=allowed_ips,
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
            api_tokens.c.allowed_ips,
        )
        .join(accounts, accounts.c.id == api_tokens.c.account_id)
        .where(api_tokens.c.token_hash == token_hash)
    ).first()
    return TokenOwner(*row) if row else None


_LISTED = (
    api_tokens.c.id,
    api_tokens.c.name,
    api_tokens.c.created_at,
    api_tokens.c.expires_at,
    api_tokens.c.ttl,
    api_tokens.c.allowed_ips,
)


def list_tokens(conn: Connection, *, account_id: int) -> list[TokenRow]:
    """The account's tokens that were not deleted, oldest first."""
    rows = conn.execute(
        select(*_LISTED)
        .where(api_tokens.c.account_id == account_id, api_tokens.c.revoked_at.is_(None))
        .order_by(api_tokens.c.id)
    ).all()
    return [TokenRow(*row) for row in rows]


def get_token(conn: Connection, *, account_id: int, token_id: int) -> TokenRow | None:
    row = conn.execute(
        select(*_LISTED).where(
            api_tokens.c.id == token_id,
            api_tokens.c.account_id == account_id,
            api_tokens.c.revoked_at.is_(None),
        )
    ).first()
    return TokenRow(*row) if row else None


def revoke_token(conn: Connection, *, account_id: int, token_id: int, now_ms: int) -> str | None:
    """Mark the token deleted; its digest (to drop it from caches), or None if there was
    no such live token in this account."""
    return conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.id == token_id,
            api_tokens.c.account_id == account_id,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=now_ms)
        .returning(api_tokens.c.token_hash)
    ).scalar_one_or_none()
