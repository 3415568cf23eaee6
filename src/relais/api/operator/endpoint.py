"""The frame every operator view shares: a Bearer operator token, a JSON body, and errors as
JSON with the HTTP status that says what went wrong (this API is Relais's own, not a
provider's dialect, so it speaks plain REST)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, overload

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from relais.api.request_body import has_body, read_body
from relais.core.errors import (
    AuthenticationFailed,
    BodyTooLarge,
    InsufficientCredits,
    InvalidField,
    InvalidRequest,
    MalformedJSON,
    NotCancellable,
    NotFound,
    RelaisError,
)
from relais.core.integers import parse_whole_number, whole_number
from relais.core.text import refuse_control_characters_in
from relais.services.operators import authenticate_operator
from relais.services.platform import Platform

# (platform, actor, request, body) -> JSON document
Handler = Callable[[Platform, str, Request, dict[str, Any]], Awaitable[tuple[int, Any]]]

MAX_BODY = 1_000_000
_STATUS: tuple[tuple[type[RelaisError], int, str], ...] = (
    (BodyTooLarge, 413, "payload_too_large"),
    (InvalidRequest, 400, "invalid_request"),
    (AuthenticationFailed, 401, "unauthorized"),
    (NotFound, 404, "not_found"),
    (InsufficientCredits, 409, "insufficient_credits"),
    (NotCancellable, 409, "conflict"),
)


def error_response(http_status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=http_status)


def _failure(exc: RelaisError) -> Response:
    for kind, http_status, code in _STATUS:
        if isinstance(exc, kind):
            response = error_response(http_status, code, exc.detail)
            if http_status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="relais-operator"'
            return response
    return error_response(503, "unavailable", exc.detail)


async def _body(request: Request) -> dict[str, Any]:
    if not has_body(request):
        return {}
    raw = await read_body(request, MAX_BODY)
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)  # nesting deeper than 1024 is a decode error, not a crash
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"The body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedJSON("The body must be a JSON object")
    refuse_control_characters_in(body)
    return body


def operator_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate the operator, parse the body, run the handler, map errors."""

    async def view(request: Request) -> Response:
        platform: Platform = request.app.state.platform
        try:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationFailed("Send Authorization: Bearer <operator token>")
            actor = await authenticate_operator(platform, token.strip())
            body = await _body(request)
            http_status, document = await handler(platform, actor, request, body)
            return JSONResponse(document, status_code=http_status)
        except RelaisError as exc:
            return _failure(exc)

    view.__name__ = handler.__name__
    return view


def int_path(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    value = parse_whole_number(raw)
    if value is None or value <= 0:
        raise NotFound(f"No resource with id {raw[:40]!r}")
    return value


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required=True):
    """A body field of the given JSON type (bool is never an int here)."""
    if name not in body or body[name] is None:
        if required:
            raise InvalidField(f"{name} is required")
        return None
    value = body[name]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InvalidField(f"{name} has the wrong type")
    if not isinstance(value, kind):
        raise InvalidField(f"{name} has the wrong type")
    return value


@overload
def int_query(request: Request, name: str, default: int) -> int: ...
@overload
def int_query(request: Request, name: str, default: None = None) -> int | None: ...
def int_query(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(raw, name)
