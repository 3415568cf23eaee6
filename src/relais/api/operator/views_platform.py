"""Operator views of the platform-wide tables: prices, moderation and the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from relais.api.operator.endpoint import field, int_path, int_query, operator_endpoint
from relais.core.errors import InvalidField
from relais.services import account_policy, credits, moderation, operators


@operator_endpoint
async def list_prices(platform, actor, request, body) -> tuple[int, Any]:
    return 200, {"prices": await credits.price_table(platform)}


@operator_endpoint
async def set_price(platform, actor, request: Request, body) -> tuple[int, Any]:
    await credits.set_price(
        platform,
        actor=actor,
        country=request.path_params["country"],
        credits_per_part=field(body, "credits_per_part", int),
    )
    return 200, {"prices": await credits.price_table(platform)}


@operator_endpoint
async def remove_price(platform, actor, request: Request, body) -> tuple[int, Any]:
    await credits.remove_price(platform, actor=actor, country=request.path_params["country"])
    return 200, {"prices": await credits.price_table(platform)}


@operator_endpoint
async def list_rules(platform, actor, request, body) -> tuple[int, Any]:
    rules = await account_policy.list_moderation_rules(
        platform, account_id=int_query(request, "account_id")
    )
    return 200, {"rules": [asdict(rule) for rule in rules]}


@operator_endpoint
async def add_rule(platform, actor, request, body) -> tuple[int, Any]:
    rule_id = await account_policy.add_moderation_rule(
        platform,
        actor=actor,
        account_id=field(body, "account_id", int, required=False),
        kind=field(body, "kind", str),
        value=str(field(body, "value", (str, int))),
    )
    return 201, {"id": rule_id}


@operator_endpoint
async def remove_rule(platform, actor, request, body) -> tuple[int, Any]:
    await account_policy.remove_moderation_rule(platform, actor=actor, rule_id=int_path(request))
    return 200, {"removed": int_path(request)}


@operator_endpoint
async def moderation_queue(platform, actor, request, body) -> tuple[int, Any]:
    held = await moderation.moderation_queue(platform)
    return 200, {"campaigns": [asdict(campaign) for campaign in held]}


@operator_endpoint
async def approve(platform, actor, request, body) -> tuple[int, Any]:
    campaign_id = int_path(request)
    await moderation.approve(platform, actor=actor, campaign_id=campaign_id)
    return 200, {"approved": campaign_id}


@operator_endpoint
async def refuse(platform, actor, request, body) -> tuple[int, Any]:
    campaign_id = int_path(request)
    await moderation.refuse(platform, actor=actor, campaign_id=campaign_id)
    return 200, {"refused": campaign_id}


@operator_endpoint
async def audit_log(platform, actor, request: Request, body) -> tuple[int, Any]:
    limit = int_query(request, "limit", 100)
    if limit is None or not 1 <= limit <= 1000:
        raise InvalidField("limit is 1 to 1000")
    entries = await operators.audit_log(
        platform,
        account_id=int_query(request, "account_id"),
        action=request.query_params.get("action") or None,
        before_id=int_query(request, "before_id"),
        limit=limit,
    )
    return 200, {"entries": [asdict(entry) for entry in entries]}


routes = [
    Route("/operator/prices", list_prices, methods=["GET"]),
    Route("/operator/prices/{country}", set_price, methods=["PUT"]),
    Route("/operator/prices/{country}", remove_price, methods=["DELETE"]),
    Route("/operator/moderation/rules", list_rules, methods=["GET"]),
    Route("/operator/moderation/rules", add_rule, methods=["POST"]),
    Route("/operator/moderation/rules/{id}", remove_rule, methods=["DELETE"]),
    Route("/operator/moderation/queue", moderation_queue, methods=["GET"]),
    Route("/operator/moderation/campaigns/{id}/approve", approve, methods=["POST"]),
    Route("/operator/moderation/campaigns/{id}/refuse", refuse, methods=["POST"]),
    Route("/operator/audit", audit_log, methods=["GET"]),
]
