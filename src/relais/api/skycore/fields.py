"""Reading a Skycore JSON body: the body itself, its texts, numbers, references and flags,
each refused with its Skycore code before anything is stored."""

from __future__ import annotations

from typing import Any

import orjson

from relais.api.skycore import codes
from relais.api.skycore.codes import SkycoreFailure
from relais.core.phone import normalize_recipient
from relais.core.text import control_character_path

MAX_BODY = 1_000_000
MAX_REFERENCE = 100
_YES = frozenset({"true", "yes", "1"})
_NO = frozenset({"false", "no", "0", ""})


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of the body; E100 for anything else (nesting deeper than orjson's
    1,024 and control characters in any string included)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SkycoreFailure(codes.INVALID_REQUEST, "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise SkycoreFailure(codes.INVALID_REQUEST, "The body must be a JSON object.")
    where = control_character_path(body)
    if where is not None:
        raise SkycoreFailure(codes.INVALID_REQUEST, f"{where} contains a control character.")
    return body


def text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A text field (a JSON number is taken as its digits); None when absent or empty and
    not required; E100 when required and missing, or when it holds anything else."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        if required:
            raise SkycoreFailure(codes.INVALID_REQUEST, f"{name} is required.")
        return None
    if not isinstance(value, str):
        raise SkycoreFailure(codes.INVALID_REQUEST, f"{name} must be a string.")
    return value


def mobile(body: dict[str, Any], name: str) -> str:
    """A required number with its country code ("+" or "00" in front tolerated) as
    international digits; E112 when no numbering plan allows it."""
    raw = text(body, name, required=True)
    assert raw is not None
    found = normalize_recipient(raw.strip(), None)
    if found is None:
        raise SkycoreFailure(codes.INVALID_MOBILE, f"{name} {raw[:40]!r} is not a valid number.")
    return found.msisdn


def reference(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A campaign or subscriber reference: 1 to 100 characters, surrounding spaces dropped."""
    raw = text(body, name, required=required)
    if raw is None:
        return None
    value = raw.strip()
    if not value or len(value) > MAX_REFERENCE or not value.isprintable():
        raise SkycoreFailure(
            codes.INVALID_REFERENCE, f"{name} is 1 to {MAX_REFERENCE} printable characters."
        )
    return value


def flag(body: dict[str, Any], name: str) -> bool:
    """true/false, "yes"/"no", "true"/"false", 1/0 (any case); absent is false."""
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | str):
        word = str(value).strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise SkycoreFailure(codes.INVALID_REQUEST, f"{name} must be true or false.")


def echo(body: dict[str, Any], name: str) -> str:
    """The number as a failure reply repeats it: as written, without a leading "+"."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return ""
    return value.strip().removeprefix("+")
