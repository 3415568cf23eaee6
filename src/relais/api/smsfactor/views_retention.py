"""SMSFactor data retention (api_reference §1.10): GET /retention answers `data_retention`,
PUT /retention `{"retention": {"message": "2d", …}}` answers `retention`, both with the
four fields as strings, the way the Java SDK types them."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint
from relais.core.errors import MissingField
from relais.services import retention


def _settings(stored: dict[str, str]) -> dict[str, str]:
    return {name: stored[name] for name in ("message", "list", "survey", "campaign")}


@endpoint
async def get_retention(platform, account, request, body):
    stored = await retention.get_retention(platform, account_id=account.id)
    return {"data_retention": _settings(stored)}


@endpoint
async def update_retention(platform, account, request, body):
    spec: Any = body.get("retention")
    if not isinstance(spec, dict) or not spec:
        raise MissingField('The body must be {"retention": {"message": "2d", "campaign": "5m"}}')
    stored = await retention.set_retention(platform, account_id=account.id, changes=spec)
    return {"retention": _settings(stored)}


routes = [
    Route("/retention", get_retention, methods=["GET"]),
    Route("/retention", update_retention, methods=["PUT"]),
]
