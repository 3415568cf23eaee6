"""SMSPartner's wire: JSON bodies (or forms) and query strings in, JSON or XML out (`_format`).

The XML form of a reply is the JSON one as elements under `<response>`; a list is one element
named by its key holding an `<item>` per entry (the provider shows no XML, docs/smspartner.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson

from relais.core.text import escape_control_characters

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"


class BadBody(ValueError):
    """The body is not the JSON object (or form) the endpoint reads."""


def parse_body(content_type: str | None, body: bytes) -> dict[str, Any]:
    """A POST body as a dict: a form when the client says so and it is not a JSON object,
    JSON otherwise (the PHP and Go clients post JSON, whatever Content-Type they send)."""
    stripped = body.strip()
    if not stripped:
        return {}
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    # PHP's curl posts the seed's json_encode()d string with a form Content-Type.
    if kind == "application/x-www-form-urlencoded" and stripped[:1] != b"{":
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadBody(str(exc)) from None
    if not isinstance(parsed, dict):
        raise BadBody("the body is not a JSON object")
    return parsed


def _xml_escape(text: str) -> str:
    """Markup escaped, and control characters (which no XML document may hold, not even as
    `&#1;`) written as visible escapes, whatever a reply repeats of the request."""
    return (
        escape_control_characters(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _xml_escape(str(value))


def _write(parts: list[str], tag: str, value: Any) -> None:
    if isinstance(value, dict):
        parts.append(f"<{tag}>")
        for key, item in value.items():
            _write(parts, key, item)
        parts.append(f"</{tag}>")
    elif isinstance(value, list):
        parts.append(f"<{tag}>")
        for item in value:
            _write(parts, "item", item)
        parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_scalar(value)}</{tag}>")


def render(payload: dict[str, Any], fmt: str) -> bytes:
    if fmt == JSON:
        return orjson.dumps(payload)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(parts, "response", payload)
    return "".join(parts).encode()


def content_type(fmt: str) -> str:
    return JSON_CONTENT_TYPE if fmt == JSON else XML_CONTENT_TYPE
