"""Control characters in what customers send: C0 controls other than tab, CR and LF (and the
non-characters U+FFFE, U+FFFF) cannot be written in XML and PostgreSQL refuses NUL, so a text
holding one would break every XML reply that shows it. They are refused at the door, or
stripped where a file is imported."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from relais.core.errors import InvalidField

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def refuse_control_characters(value: str, what: str) -> str:
    if _CONTROL.search(value) is not None:
        raise InvalidField(f"{what} contains a control character")
    return value


def strip_control_characters(value: str) -> str:
    return _CONTROL.sub("", value)


def escape_control_characters(value: str) -> str:
    """`value` with its control characters written as escapes (`\\x00`, `\\ufffe`): what a
    reply may show of a client's text (a field name, a path) and still be valid XML."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), value)


def control_character_path(tree: Any, path: str = "") -> str | None:
    """Where in a parsed request (dicts, lists, strings) the first control character is:
    its field path (control characters in field names escaped), or None."""
    if isinstance(tree, str):
        return (path or "the value") if _CONTROL.search(tree) is not None else None
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            shown = escape_control_characters(str(key))
            where = f"{path}.{shown}" if path else shown
            if isinstance(key, str) and _CONTROL.search(key) is not None:
                return where
            found = control_character_path(value, where)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found = control_character_path(value, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def refuse_control_characters_in(tree: Any, what: str = "") -> None:
    where = control_character_path(tree, what)
    if where is not None:
        raise InvalidField(f"{where} contains a control character")
