"""The operator API's URL map, under /operator."""

from __future__ import annotations

from relais.api.operator import views_accounts, views_platform, views_skycore

routes = [*views_accounts.routes, *views_platform.routes, *views_skycore.routes]
