"""Accounts as the operator sees them, one JSON-ready shape for the operator API and CLI."""

from __future__ import annotations

import json
from typing import Any

from relais.core.errors import NotFound
from relais.services import account_policy
from relais.services.platform import Platform
from relais.store import accounts as account_store


def account_document(view: account_store.OperatorView) -> dict[str, Any]:
    return {
        "id": view.id,
        "email": view.email,
        "company": view.company,
        "country": view.country,
        "parent_id": view.parent_id,
        "unlimited": view.unlimited,
        "balance": view.balance,
        "active": view.active,
        "created_at": view.created_at,
        "default_sender": view.sender or None,
        "suspended": view.suspended_at is not None,
        "suspended_at": view.suspended_at,
        "suspension_reason": view.suspension_reason or None,
        "allowed_countries": None
        if view.allowed_countries is None
        else json.loads(view.allowed_countries),
    }


async def describe_account(platform: Platform, account_id: int) -> dict[str, Any]:
    """The account with its state and sending policy."""
    view = await platform.db.read(lambda conn: account_store.operator_view(conn, account_id))
    if view is None:
        raise NotFound(f"No account {account_id}")
    policy = await account_policy.account_policy(platform, account_id)
    # Only the account's own caps (a sub-account's policy also carries its parent's).
    own = next((s.limits for s in policy.cap_scopes if s.account_id == account_id), {})
    return {**account_document(view), "country_caps": dict(own)}


async def list_accounts(
    platform: Platform,
    *,
    after_id: int = 0,
    limit: int = 100,
    email: str | None = None,
    suspended: bool | None = None,
    parent_id: int | None = None,
) -> list[dict[str, Any]]:
    views = await platform.db.read(
        lambda conn: account_store.operator_list(
            conn,
            after_id=after_id,
            limit=limit,
            email=email,
            suspended=suspended,
            parent_id=parent_id,
        )
    )
    return [account_document(view) for view in views]
