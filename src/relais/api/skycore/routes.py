"""The Skycore URL map: one endpoint, the action named in the body."""

from __future__ import annotations

from starlette.routing import Route

from relais.api.skycore.endpoint import skycore_v2

PATH = "/skycore/v2"

routes = [Route(PATH, skycore_v2, methods=["POST"])]
