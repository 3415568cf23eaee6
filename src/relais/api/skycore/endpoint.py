"""`POST /skycore/v2`: read the body, authenticate the `x-api-key` (an account API token,
with its expiry and IP allow-list), run the action the body names (any case), reply."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from relais.api.client_ip import client_address
from relais.api.request_body import parse, read_body
from relais.api.skycore import codes, fields
from relais.api.skycore.actions import ACTIONS
from relais.api.skycore.codes import SkycoreFailure
from relais.api.skycore.replies import failure, success
from relais.core.errors import BodyTooLarge, RelaisError
from relais.services import tokens
from relais.services.platform import AccountRef, Platform


async def _authenticate(platform: Platform, request: Request) -> AccountRef:
    key = request.headers.get("x-api-key", "").strip()
    if not key:
        raise SkycoreFailure(codes.MISSING_KEY)
    return await tokens.authenticate_token(
        platform, key, client_ip=client_address(request, platform.settings.trusted_proxies)
    )


async def skycore_v2(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    body: dict[str, Any] = {}
    echo = {"to": ""}
    try:
        raw = await read_body(request, fields.MAX_BODY)
        try:
            body = await parse(fields.parse_body, raw)
        except SkycoreFailure:
            await _authenticate(platform, request)  # a wrong key answers before a bad body
            raise
        named = body.get("action")
        action = named.strip().lower() if isinstance(named, str) else ""
        handler, number_field = ACTIONS.get(action, (None, "to"))
        echo = {number_field: fields.echo(body, number_field)}
        account = await _authenticate(platform, request)
        if handler is None and not action:
            raise SkycoreFailure(codes.INVALID_REQUEST, "action is required.")
        if handler is None:
            raise SkycoreFailure(codes.INVALID_ACTION, f"Unknown action {action[:40]!r}.")
        return success(await handler(platform, account, body))
    except BodyTooLarge as exc:
        return failure(exc, echo, http_status=413)
    except RelaisError as exc:
        return failure(exc, echo)
