"""The SMSPartner URL map, under /v1 (api_reference §2)."""

from __future__ import annotations

from starlette.routing import Mount, Route

from relais.api.smspartner import views_send

routes = [
    Mount(
        "/v1",
        routes=[
            Route("/send", views_send.send, methods=["GET", "POST"]),
        ],
    )
]
