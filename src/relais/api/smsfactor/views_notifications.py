"""SMSFactor balance notification (api_reference §1.10): GET /notification/balance and
PUT /notification/balance `{"notification": {"alert_trigger": "500", …}}` both answer
`notification` with the five fields as strings."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint
from relais.core.errors import MissingField
from relais.services import balance_notifications


@endpoint
async def get_balance_notification(platform, account, request, body):
    settings = await balance_notifications.get_notification(platform, account_id=account.id)
    return {"notification": settings}


@endpoint
async def update_balance_notification(platform, account, request, body):
    spec: Any = body.get("notification")
    if not isinstance(spec, dict) or not spec:
        raise MissingField('The body must be {"notification": {"alert_trigger": "500", …}}')
    settings = await balance_notifications.set_notification(
        platform, account_id=account.id, changes=spec
    )
    return {"notification": settings}


routes = [
    Route("/notification/balance", get_balance_notification, methods=["GET"]),
    Route("/notification/balance", update_balance_notification, methods=["PUT"]),
]
