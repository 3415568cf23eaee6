"""Skycore's reply bodies (§3.1): `"status": "Success"` with the action's fields, or
`"status": "Failure"` with `error-code`, `error-info` and the number the request named;
always HTTP 200 (a wrong method or path answers its own status)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from relais.api.skycore.codes import INFO, code_of, error_info
from relais.core.errors import RelaisError

QUEUED = "SMS request accepted and queued for delivery"
HELD = "SMS request accepted and held for review before delivery"


def success(fields: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"status": "Success", **fields})


def failure(exc: RelaisError, echo: dict[str, str], *, http_status: int = 200) -> JSONResponse:
    """A failure reply: code and info, then the number (`to` or `mobile`) the request named."""
    code = code_of(exc)
    return JSONResponse(
        {"status": "Failure", "error-code": code, "error-info": error_info(code, exc), **echo},
        status_code=http_status,
    )


def bare_failure(code: str, detail: str, *, http_status: int) -> JSONResponse:
    """A failure before any request was read (no route, wrong method)."""
    return JSONResponse(
        {"status": "Failure", "error-code": code, "error-info": f"{INFO[code]} {detail}", "to": ""},
        status_code=http_status,
    )
