"""`GET /l/<code>`: a recipient opens a tracked short link (no credentials: the code is the
only key). A 302 to the long URL; an unknown code is a plain 404 page, since the visitor is a
person with a phone, not an API client. HEAD answers the same without counting a click."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from relais.core.errors import NotFound
from relais.services import short_links
from relais.services.platform import Platform

# Neither the redirect nor the 404 may be kept by a shared cache: each visit is a click.
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def follow_link(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    code = request.path_params["code"]
    user_agent = request.headers.get("user-agent", "")
    try:
        long_url = await short_links.follow(
            platform, code=code, user_agent=user_agent, count=request.method == "GET"
        )
    except NotFound:
        return PlainTextResponse("This link does not exist.\n", 404, headers=_NO_STORE)
    return RedirectResponse(long_url, 302, headers=_NO_STORE)


routes = [
    Route(f"{short_links.PATH_PREFIX}/{{code}}", follow_link, methods=["GET", "HEAD"]),
]
