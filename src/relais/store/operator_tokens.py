"""Operator API credentials, stored as SHA-256 digests only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from relais.store.tables import operator_tokens


@dataclass(frozen=True, slots=True)
class OperatorToken:
    id: int
    name: str
    created_at: int


def insert_token(conn: Connection, *, name: str, token_hash: str, now_ms: int) -> int:
    return conn.execute(
        insert(operator_tokens)
        .values(name=name, token_hash=token_hash, created_at=now_ms)
        .returning(operator_tokens.c.id)
    ).scalar_one()


def name_of(conn: Connection, token_hash: str) -> str | None:
    """The operator a live token belongs to."""
    return conn.execute(
        select(operator_tokens.c.name).where(
            operator_tokens.c.token_hash == token_hash, operator_tokens.c.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def list_tokens(conn: Connection) -> list[OperatorToken]:
    rows = conn.execute(
        select(operator_tokens.c.id, operator_tokens.c.name, operator_tokens.c.created_at)
        .where(operator_tokens.c.revoked_at.is_(None))
        .order_by(operator_tokens.c.id)
    )
    return [OperatorToken(*row) for row in rows]


def revoke(conn: Connection, *, token_id: int, now_ms: int) -> bool:
    return bool(
        conn.execute(
            update(operator_tokens)
            .where(operator_tokens.c.id == token_id, operator_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_ms)
        ).rowcount
    )
