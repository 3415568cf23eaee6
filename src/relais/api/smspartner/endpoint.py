"""The frame every SMSPartner view shares: the request's fields (query string, then the POST
body over it), `_format`, the `apiKey`, and every error as SMSPartner answers it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from relais.api.client_ip import client_address
from relais.api.request_body import has_body, parse, read_body
from relais.api.smspartner import errors as codes
from relais.api.smspartner.errors import PartnerError
from relais.api.smspartner.formats import FORMATS, JSON, BadBody, content_type, parse_body, render
from relais.core.errors import (
    AccountSuspended,
    AddressNotAllowed,
    AuthenticationFailed,
    BodyTooLarge,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    RelaisError,
    StorageError,
)
from relais.core.integers import parse_whole_number
from relais.core.text import refuse_control_characters_in
from relais.services import tokens
from relais.services.platform import AccountRef, Platform

Fields = dict[str, Any]
Handler = Callable[[Platform, AccountRef, Fields], Awaitable[dict[str, Any]]]

log = logging.getLogger(__name__)


def reply(payload: dict[str, Any], fmt: str, *, http_status: int = 200) -> Response:
    return Response(render(payload, fmt), status_code=http_status, media_type=content_type(fmt))


def error_reply(exc: PartnerError, fmt: str) -> Response:
    payload: dict[str, Any] = {"success": False, "code": exc.code}
    if exc.fields:
        payload["error"] = [{"elementId": e, "message": m} for e, m in exc.fields]
    else:
        payload["message"] = exc.message
    return reply(payload, fmt, http_status=exc.http_status)


def translate(exc: RelaisError) -> PartnerError:
    """A service's error as the SMSPartner code closest to it."""
    if isinstance(exc, AddressNotAllowed):
        return PartnerError(codes.IP_NOT_ALLOWED)
    if isinstance(exc, AccountSuspended):
        return PartnerError(codes.ACCOUNT_BLOCKED)
    if isinstance(exc, AuthenticationFailed):
        return PartnerError(codes.WRONG_API_KEY)
    if isinstance(exc, InsufficientCredits):
        return PartnerError(codes.NO_CREDIT)
    if isinstance(exc, NotFound):
        return PartnerError(codes.NOT_FOUND)
    if isinstance(exc, StorageError):
        return PartnerError(codes.QUEUE_PROBLEM)
    if isinstance(exc, InvalidRequest):
        return PartnerError(codes.CONSTRAINTS, fields=[("children[request].data", exc.detail)])
    return PartnerError(codes.QUEUE_PROBLEM, exc.detail)


def text(fields: Fields, name: str) -> str | None:
    """A field as text (JSON numbers and booleans as the PHP client would send them); None
    when absent or empty."""
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, int | float):
        value = str(value)
    elif not isinstance(value, str):
        raise PartnerError(codes.CONSTRAINTS, fields=[(codes.element(name), "Valeur invalide")])
    value = value.strip()
    return value or None


def page_number(fields: Fields) -> int:
    """`page` (from 1, default 1); code 6 for anything but a positive integer."""
    raw = text(fields, "page") or "1"
    page = parse_whole_number(raw)
    if page is None or not 1 <= page <= 2**31:
        raise PartnerError(codes.BAD_FORMAT, "Mauvais format")
    return page


def flag(fields: Fields, name: str) -> bool:
    return (text(fields, name) or "").lower() in {"1", "true", "yes", "on"}


async def authenticate(platform: Platform, request: Request, fields: Fields) -> AccountRef:
    key = text(fields, "apiKey")
    if key is None:
        raise PartnerError(codes.API_KEY_REQUIRED)
    address = client_address(request, platform.settings.trusted_proxies)
    return await tokens.authenticate_token(platform, key, client_ip=address)


async def not_found(request: Request) -> Response:
    """Any other path or method under /v1, answered in SMSPartner's shape (HTTP 404)."""
    fmt = request.query_params.get("_format", JSON)
    payload = {
        "success": False,
        "code": 404,
        "message": f"Aucune ressource {request.method} {request.url.path}",
    }
    return reply(payload, fmt if fmt in FORMATS else JSON, http_status=404)


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: fields, format, authentication, and errors as SMSPartner replies."""

    async def view(request: Request) -> Response:
        platform: Platform = request.app.state.platform
        fields: Fields = dict(request.query_params)
        fmt = fields.get("_format", JSON)
        try:
            if request.method != "GET" and has_body(request):
                content_type = request.headers.get("content-type")
                raw = await read_body(request, platform.settings.max_body_bytes)
                try:
                    body = await parse(lambda raw: parse_body(content_type, raw), raw)
                except BadBody:
                    raise PartnerError(codes.MALFORMED_JSON, http_status=400) from None
                fields.update(body)
                fmt = fields.get("_format", fmt)
            fmt = fmt if fmt in FORMATS else JSON
            account = await authenticate(platform, request, fields)
            refuse_control_characters_in(fields)
            result = await handler(platform, account, fields)
            return reply({"success": True, "code": 200, **result}, fmt)
        except PartnerError as exc:
            return error_reply(exc, fmt if fmt in FORMATS else JSON)
        except BodyTooLarge as exc:
            too_large = translate(exc)
            too_large.http_status = 413
            return error_reply(too_large, fmt if fmt in FORMATS else JSON)
        except RelaisError as exc:
            return error_reply(translate(exc), fmt if fmt in FORMATS else JSON)

    view.__name__ = handler.__name__
    return view
