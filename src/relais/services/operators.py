"""The people who run the platform: their API credentials and the audit log of what they did.

Operator tokens are made with the CLI (`relais operator token create NAME`); the operator
API names its caller `operator:NAME` in the audit log, the CLI `cli:USER`."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from relais.core.errors import AuthenticationFailed, InvalidField, NotFound
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.services.tokens import token_digest
from relais.store import audit
from relais.store import operator_tokens as operator_store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
TOKEN_PREFIX = "op_"


@dataclass(frozen=True, slots=True)
class NewOperatorToken:
    value: str  # shown once
    token_id: int
    name: str


async def create_operator_token(platform: Platform, *, actor: str, name: str) -> NewOperatorToken:
    if not _NAME.match(name or ""):
        raise InvalidField("An operator name is 1-100 letters, digits, '.', '_', '@' or '-'")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = await operator_write(
        platform,
        lambda conn, now_ms: operator_store.insert_token(
            conn, name=name, token_hash=token_digest(value), now_ms=now_ms
        ),
        actor=actor,
        action="operator.token_create",
        details=lambda token_id: {"name": name, "token_id": token_id},
    )
    return NewOperatorToken(value, token_id, name)


async def list_operator_tokens(platform: Platform) -> list[operator_store.OperatorToken]:
    return await platform.db.read(operator_store.list_tokens)


async def revoke_operator_token(platform: Platform, *, actor: str, token_id: int) -> None:
    def change(conn, now_ms: int) -> None:
        if not operator_store.revoke(conn, token_id=token_id, now_ms=now_ms):
            raise NotFound(f"No operator token {token_id}")

    await operator_write(
        platform,
        change,
        actor=actor,
        action="operator.token_revoke",
        details={"token_id": token_id},
    )


async def authenticate_operator(platform: Platform, token: str) -> str:
    """The audit name (`operator:NAME`) of a live operator token. Read on every call, never
    cached: operator calls are few and a revoked token must stop at once."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthenticationFailed("Operator token invalid")
    digest = token_digest(token)
    name = await platform.db.read(lambda conn: operator_store.name_of(conn, digest))
    if name is None:
        raise AuthenticationFailed("Operator token invalid")
    return f"operator:{name}"


async def audit_log(
    platform: Platform,
    *,
    account_id: int | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[audit.AuditEntry]:
    if not 1 <= limit <= 1000:
        raise InvalidField("limit is 1 to 1000")
    return await platform.db.read(
        lambda conn: audit.list_entries(
            conn, account_id=account_id, action=action, before_id=before_id, limit=limit
        )
    )
