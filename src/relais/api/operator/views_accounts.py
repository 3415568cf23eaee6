"""Operator views of accounts: list, create, inspect, suspend, unlock, credits and policy."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from relais.api.operator.endpoint import field, int_path, int_query, operator_endpoint
from relais.core.errors import InvalidField
from relais.services import (
    account_policy,
    accounts,
    credits,
    operator_accounts,
    sub_accounts,
    suspension,
)
from relais.services.operator_accounts import describe_account


@operator_endpoint
async def list_accounts(platform, actor, request: Request, body) -> tuple[int, Any]:
    query = request.query_params
    limit = int_query(request, "limit", 100)
    if not 1 <= limit <= 1000:
        raise InvalidField("limit is 1 to 1000")
    suspended = query.get("suspended")
    if suspended not in (None, "true", "false"):
        raise InvalidField("suspended is true or false")
    found = await operator_accounts.list_accounts(
        platform,
        after_id=int_query(request, "after_id", 0),
        limit=limit,
        email=query.get("email") or None,
        suspended=None if suspended is None else suspended == "true",
        parent_id=int_query(request, "parent_id"),
    )
    return 200, {"accounts": found}


@operator_endpoint
async def create_account(platform, actor, request, body) -> tuple[int, Any]:
    account_id = await accounts.create_account(
        platform,
        actor=actor,
        email=field(body, "email", str),
        password=field(body, "password", str),
        country=field(body, "country", str, required=False) or "FR",
        credits=field(body, "credits", int, required=False) or 0,
        company=field(body, "company", str, required=False) or "",
    )
    return 201, {"account": await describe_account(platform, account_id)}


@operator_endpoint
async def get_account(platform, actor, request, body) -> tuple[int, Any]:
    return 200, {"account": await describe_account(platform, int_path(request))}


@operator_endpoint
async def suspend_account(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    held = await suspension.suspend(
        platform,
        actor=actor,
        account_id=account_id,
        reason=field(body, "reason", str, required=False) or "",
    )
    return 200, {"account": await describe_account(platform, account_id), "held_messages": held}


@operator_endpoint
async def unlock_account(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    released = await suspension.unlock(platform, actor=actor, account_id=account_id)
    return 200, {
        "account": await describe_account(platform, account_id),
        "released_messages": released,
    }


@operator_endpoint
async def add_credits(platform, actor, request, body) -> tuple[int, Any]:
    balance = await credits.add_credits(
        platform,
        actor=actor,
        account_id=int_path(request),
        amount=field(body, "amount", int),
        note=field(body, "note", str, required=False) or "",
    )
    return 200, {"balance": balance}


@operator_endpoint
async def transfer_credits(platform, actor, request, body) -> tuple[int, Any]:
    """Positive amounts go from the parent to the sub-account in the path, negative back."""
    parent_balance, child_balance = await sub_accounts.transfer_with_parent(
        platform,
        actor=actor,
        child_id=int_path(request),
        amount=field(body, "amount", int),
        note=field(body, "note", str, required=False) or "",
    )
    return 200, {"parent_balance": parent_balance, "balance": child_balance}


@operator_endpoint
async def set_allowed_countries(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    countries = field(body, "countries", list, required=False)
    if countries is not None and not all(isinstance(c, str) for c in countries):
        raise InvalidField("countries is a list of ISO alpha-2 codes, or null for all")
    await account_policy.set_allowed_countries(
        platform, actor=actor, account_id=account_id, countries=countries
    )
    return 200, {"account": await describe_account(platform, account_id)}


@operator_endpoint
async def set_country_cap(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    await account_policy.set_country_cap(
        platform,
        actor=actor,
        account_id=account_id,
        country=request.path_params["country"],
        monthly_limit=field(body, "monthly_limit", int),
    )
    return 200, {"account": await describe_account(platform, account_id)}


@operator_endpoint
async def remove_country_cap(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    await account_policy.set_country_cap(
        platform,
        actor=actor,
        account_id=account_id,
        country=request.path_params["country"],
        monthly_limit=None,
    )
    return 200, {"account": await describe_account(platform, account_id)}


@operator_endpoint
async def set_default_sender(platform, actor, request, body) -> tuple[int, Any]:
    account_id = int_path(request)
    await account_policy.set_default_sender(
        platform,
        actor=actor,
        account_id=account_id,
        sender=field(body, "sender", str, required=False),
    )
    return 200, {"account": await describe_account(platform, account_id)}


routes = [
    Route("/operator/accounts", list_accounts, methods=["GET"]),
    Route("/operator/accounts", create_account, methods=["POST"]),
    Route("/operator/accounts/{id}", get_account, methods=["GET"]),
    Route("/operator/accounts/{id}/suspend", suspend_account, methods=["POST"]),
    Route("/operator/accounts/{id}/unlock", unlock_account, methods=["POST"]),
    Route("/operator/accounts/{id}/credits", add_credits, methods=["POST"]),
    Route("/operator/accounts/{id}/transfer", transfer_credits, methods=["POST"]),
    Route("/operator/accounts/{id}/allowed-countries", set_allowed_countries, methods=["PUT"]),
    Route("/operator/accounts/{id}/country-caps/{country}", set_country_cap, methods=["PUT"]),
    Route("/operator/accounts/{id}/country-caps/{country}", remove_country_cap, methods=["DELETE"]),
    Route("/operator/accounts/{id}/default-sender", set_default_sender, methods=["PUT"]),
]
