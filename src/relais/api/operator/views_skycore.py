"""Operator views of an account's Skycore settings: Enforce Campaign Check and the postback
URL (services.skycore_settings; docs/skycore.md)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.operator.endpoint import field, int_path, operator_endpoint
from relais.core.errors import InvalidField
from relais.services import skycore_settings

FIELDS = ("enforce_campaign_check", "postback_url")


@operator_endpoint
async def get_skycore(platform, actor, request, body) -> tuple[int, Any]:
    found = await skycore_settings.get_settings(platform, account_id=int_path(request))
    return 200, {"skycore": found.as_dict()}


@operator_endpoint
async def set_skycore(platform, actor, request, body) -> tuple[int, Any]:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidField(f"Unknown fields: {', '.join(unknown)}; give {' or '.join(FIELDS)}")
    changed = await skycore_settings.set_settings(
        platform,
        actor=actor,
        account_id=int_path(request),
        enforce_campaign_check=field(body, "enforce_campaign_check", bool, required=False),
        postback_url=field(body, "postback_url", str, required=False),
    )
    return 200, {"skycore": changed.as_dict()}


routes = [
    Route("/operator/accounts/{id}/skycore", get_skycore, methods=["GET"]),
    Route("/operator/accounts/{id}/skycore", set_skycore, methods=["PUT"]),
]
