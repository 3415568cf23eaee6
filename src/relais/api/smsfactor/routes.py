"""The SMSFactor URL map."""

from __future__ import annotations

from starlette.routing import Route

from relais.api.smsfactor import (
    views,
    views_accounts,
    views_list_sending,
    views_lists,
    views_messages,
    views_notifications,
    views_opt_outs,
    views_retention,
    views_tokens,
    views_webhooks,
)
from relais.api.smsfactor.views_lookup import routes as lookup_routes

routes = [
    # The legacy XML API posted `XML=<sms>…</sms>` to the root (api_reference §1.12).
    Route("/", views.send_campaign, methods=["POST"]),
    Route("/send", views.send_single, methods=["GET"]),
    Route("/send", views.send_campaign, methods=["POST"]),
    Route("/send/simulate", views.simulate_single, methods=["GET"]),
    Route("/send/simulate", views.simulate_campaign, methods=["POST"]),
    Route("/send/{id}", views.cancel_campaign, methods=["DELETE"]),
    Route("/credits", views.get_credits, methods=["GET"]),
    Route("/campaign/{id}", views.get_campaign, methods=["GET"]),
    Route("/campaigns", views.list_campaigns, methods=["GET"]),
    Route("/token", views_tokens.create_token, methods=["POST"]),
    Route("/token", views_tokens.list_tokens, methods=["GET"]),
    Route("/token/account/{id}", views_tokens.create_token_for_sub_account, methods=["POST"]),
    Route("/token/{id}", views_tokens.get_token, methods=["GET"]),
    Route("/token/{id}", views_tokens.delete_token, methods=["DELETE"]),
    *lookup_routes,
    *views_accounts.routes,
    *views_retention.routes,
    *views_notifications.routes,
    *views_opt_outs.routes,
    *views_messages.routes,
    *views_lists.routes,
    *views_list_sending.routes,
    *views_webhooks.routes,
]
