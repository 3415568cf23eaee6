"""The SMSFactor reply envelope: `status`, `message`, and `details` on errors, always with
HTTP 200 (api_reference §1.2), in the format the client negotiated."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from relais.api.smsfactor.formats import JSON, JSON_CONTENT_TYPE, XML_CONTENT_TYPE, render
from relais.core import errors

# (status, message) per error, most specific first.
ERROR_STATUS: tuple[tuple[type[errors.RelaisError], int, str], ...] = (
    (errors.AuthenticationFailed, -1, "Le login et le mot de passe ne correspondent pas"),
    (errors.MalformedXML, -2, "XML error"),
    (errors.InsufficientCredits, -3, "Not enough credits"),
    (errors.InvalidDelay, -4, "Incorrect date delay"),
    (errors.NotFound, -5, "Resource not found"),
    (errors.MalformedJSON, -6, "JSON error"),
    (errors.InvalidRequest, -7, "Data error"),
    (errors.NotCancellable, -7, "Data error"),
)

# A campaign held for review: the reply is a full success reply with this status and message
# (api_reference §1.2: "the body is identical to a success except status and message").
MODERATION_STATUS = -8
MODERATION_MESSAGE = (
    "Your campaign is currently under moderation. This status doesn't mean that your SMS "
    "won't be sent, quite the contrary actually... No need to create a retry mechanism"
)


def reply(payload: dict[str, Any], fmt: str, *, http_status: int = 200) -> Response:
    return Response(
        render(payload, fmt),
        status_code=http_status,
        media_type=JSON_CONTENT_TYPE if fmt == JSON else XML_CONTENT_TYPE,
    )


def ok(fields: dict[str, Any], fmt: str) -> Response:
    """A success; `fields` may override `status` and `message` (a moderated send's -8)."""
    return reply({"status": 1, "message": "OK", **fields}, fmt)


def error_payload(exc: errors.RelaisError) -> dict[str, Any]:
    for kind, status, message in ERROR_STATUS:
        if isinstance(exc, kind):
            return {"status": status, "message": message, "details": exc.detail}
    return {"status": -99, "message": "Unknown error", "details": exc.detail}


def failure(exc: errors.RelaisError, fmt: str) -> Response:
    return reply(error_payload(exc), fmt)
