"""The ASGI application: every dialect's routes over one Platform."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from relais.api.metrics import metrics
from relais.api.operator.endpoint import error_response
from relais.api.operator.routes import routes as operator_routes
from relais.api.paths import CollapseSlashes
from relais.api.short_links import routes as short_link_routes
from relais.api.skycore.codes import INVALID_REQUEST as SKYCORE_INVALID_REQUEST
from relais.api.skycore.replies import bare_failure as skycore_failure
from relais.api.skycore.routes import routes as skycore_routes
from relais.api.smsfactor.formats import reply_format
from relais.api.smsfactor.replies import reply
from relais.api.smsfactor.routes import routes as smsfactor_routes
from relais.api.smspartner.endpoint import not_found as smspartner_not_found
from relais.api.smspartner.routes import routes as smspartner_routes
from relais.services.platform import Platform


def _is_operator(request: Request) -> bool:
    return request.url.path == "/operator" or request.url.path.startswith("/operator/")


def _is_skycore(request: Request) -> bool:
    return request.url.path == "/skycore" or request.url.path.startswith("/skycore/")


def _is_smspartner(request: Request) -> bool:
    """Under /v1, even where its catch-all route does not match (a newline in the path, a
    method such as TRACE): SMSPartner answers there in its own shape."""
    return request.url.path.startswith("/v1/")


async def _not_found(request: Request, exc: Exception) -> Response:
    if _is_operator(request):
        return error_response(404, "not_found", f"No route {request.url.path}")
    if _is_skycore(request):
        return skycore_failure(
            SKYCORE_INVALID_REQUEST, f"No route {request.url.path}.", http_status=404
        )
    if _is_smspartner(request):
        return await smspartner_not_found(request)
    platform: Platform = request.app.state.platform
    fmt = reply_format(request.headers.get("accept"), platform.settings.default_format)
    return reply(
        {"status": -5, "message": "Resource not found", "details": f"No route {request.url.path}"},
        fmt,
        http_status=404,
    )


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    if _is_operator(request):
        return error_response(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
        )
    if _is_skycore(request):
        return skycore_failure(
            SKYCORE_INVALID_REQUEST,
            f"{request.method} is not allowed on {request.url.path}; use POST.",
            http_status=405,
        )
    if _is_smspartner(request):
        return await smspartner_not_found(request)
    platform: Platform = request.app.state.platform
    fmt = reply_format(request.headers.get("accept"), platform.settings.default_format)
    return reply(
        {
            "status": -7,
            "message": "Data error",
            "details": f"{request.method} is not allowed on {request.url.path}",
        },
        fmt,
        http_status=405,
    )


def create_app(
    platform: Platform, *, lifespan: contextlib.AbstractAsyncContextManager | None = None
) -> ASGIApp:
    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        if lifespan is None:
            yield
        else:
            async with lifespan:
                yield

    app = Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            *short_link_routes,
            *smsfactor_routes,
            *skycore_routes,
            *smspartner_routes,
            *operator_routes,
        ],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
        lifespan=run,
    )
    app.state.platform = platform
    return CollapseSlashes(app)
