"""The frame every SMSFactor view shares: format negotiation, body parsing, authentication
and error replies (`endpoint`), and reading ids, integers and dates from the request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, overload

from starlette.requests import Request
from starlette.responses import Response

from relais.api.request_body import has_body, parse, read_body
from relais.api.smsfactor.auth import authenticate, has_header_credentials
from relais.api.smsfactor.formats import parse_body, reply_format
from relais.api.smsfactor.replies import error_payload, failure, ok, reply
from relais.core.errors import BodyTooLarge, InvalidField, NotFound, RelaisError
from relais.core.instant import to_ms
from relais.core.integers import parse_whole_number, whole_number
from relais.core.schedule import PARIS
from relais.core.text import refuse_control_characters_in
from relais.services.platform import AccountRef, Platform

Handler = Callable[[Platform, AccountRef, Request, dict[str, Any]], Awaitable[dict[str, Any]]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with format negotiation, body parsing, authentication and errors."""
    return _framed(handler, imports=False)


def import_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint` for the routes that import contacts: a larger body cap."""
    return _framed(handler, imports=True)


def _framed(handler: Handler, *, imports: bool) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        platform: Platform = request.app.state.platform
        settings = platform.settings
        fmt = reply_format(request.headers.get("accept"), settings.default_format)
        limit = settings.max_import_body_bytes if imports else settings.max_body_bytes

        async def read() -> dict[str, Any]:
            if not has_body(request):
                return {}
            content_type = request.headers.get("content-type")

            def parsed(raw: bytes) -> dict[str, Any]:
                body = parse_body(content_type, raw)
                # JSON escapes control characters (\u0000) and XML cannot hold them at all:
                # JSON that escapes nothing and holds no U+FFFE/U+FFFF, or XML, need no search.
                if (
                    b"\\u" in raw
                    or b"\xef\xbf\xbe" in raw
                    or b"\xef\xbf\xbf" in raw
                    or raw.lstrip()[:1] not in (b"{", b"<")
                ):
                    refuse_control_characters_in(body)
                return body

            return await parse(parsed, await read_body(request, limit))

        try:
            refuse_control_characters_in(dict(request.query_params))
            body: dict[str, Any] = {}
            # Credentials in headers or the query are checked before the body is read.
            if has_header_credentials(request):
                account = await authenticate(platform, request, body)
                body = await read()
            else:
                body = await read()
                account = await authenticate(platform, request, body)
            return ok(await handler(platform, account, request, body), fmt)
        except BodyTooLarge as exc:
            return reply(error_payload(exc), fmt, http_status=413)
        except RelaisError as exc:
            return failure(exc, fmt)

    view.__name__ = handler.__name__
    return view


def path_id(request: Request) -> int:
    return resource_id(request.path_params["id"])


def resource_id(raw: str, *, what: str = "resource") -> int:
    """An id as the client wrote it; one that cannot be ours (not a positive 63-bit
    integer) names nothing: NotFound, like another account's."""
    value = parse_whole_number(raw)
    if value is None or value <= 0:
        raise NotFound(f"No {what} with id {raw[:40]!r}")
    return value


@overload
def int_param(params: Any, name: str, default: int) -> int: ...
@overload
def int_param(params: Any, name: str, default: None) -> int | None: ...
def int_param(params: Any, name: str, default: int | None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(raw, name)


def date_param(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return to_ms(datetime.strptime(raw, pattern).replace(tzinfo=PARIS))
        except ValueError:
            continue
    raise InvalidField(f"{name} must be a date like 2024-06-27 10:14:29")


# --- sending --------------------------------------------------------------------------
