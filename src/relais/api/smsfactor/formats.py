"""SMSFactor's two wire formats: JSON and XML, in request bodies and in replies.

XML elements become dicts; an element's attributes become keys beside its text, which is
stored under "value" (so `<gsm gsmsmsid="100">336…</gsm>` reads like the JSON
`{"gsmsmsid": "100", "value": "336…"}`); repeated elements become lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from xml.etree.ElementTree import Element

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from relais.core.errors import MalformedJSON, MalformedXML
from relais.core.text import escape_control_characters

JSON = "json"
XML = "xml"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"


def reply_format(accept: str | None, default: str) -> str:
    """The format the client asked for in Accept; `default` when it did not say."""
    if not accept:
        return default
    accept = accept.lower()
    wants_json = "json" in accept
    wants_xml = "xml" in accept
    if wants_json and not wants_xml:
        return JSON
    if wants_xml and not wants_json:
        return XML
    if wants_json and wants_xml:
        return JSON if accept.index("json") < accept.index("xml") else XML
    return default


# --- reading --------------------------------------------------------------------------


# Deeper XML than any SMSFactor request needs is refused (-2), before recursion runs out.
MAX_XML_DEPTH = 32


def _element_to_value(element: Element, depth: int = 0) -> Any:
    if depth > MAX_XML_DEPTH:
        raise MalformedXML(f"The XML body is nested deeper than {MAX_XML_DEPTH} elements")
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    node: dict[str, Any] = dict(element.attrib)
    for child in children:
        value = _element_to_value(child, depth + 1)
        if child.tag in node:
            existing = node[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                node[child.tag] = [existing, value]
        else:
            node[child.tag] = value
    if text and "value" not in node:
        node["value"] = text
    return node


def parse_xml(body: bytes | str) -> dict[str, Any]:
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedXML(f"The XML body cannot be read: {exc}") from None
    return {root.tag: _element_to_value(root)}


def parse_json(body: bytes | str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"The JSON body cannot be read: {exc}") from None


def parse_body(content_type: str | None, body: bytes) -> dict[str, Any]:
    """The request body as a dict, whatever SMSFactor client sent it.

    JSON, XML, or a form whose `data` field holds JSON or whose `XML` field holds XML
    (both legacy forms seen in real clients). A body that is not an object (the PHP SDK
    sends `[]` on GET and DELETE) reads as empty."""
    stripped = body.strip()
    if not stripped:
        return {}
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if "data" in form:
            parsed = parse_json(form["data"][0])
        elif "XML" in form or "xml" in form:
            parsed = parse_xml((form.get("XML") or form["xml"])[0].encode())
        else:
            return {key: values[-1] for key, values in form.items()}
    elif kind.endswith("xml") or (not kind.endswith("json") and stripped[:1] == b"<"):
        parsed = parse_xml(stripped)
    else:
        parsed = parse_json(stripped)
    return parsed if isinstance(parsed, dict) else {}


# --- writing --------------------------------------------------------------------------


class XmlItems(list):
    """A list whose XML form wraps its items in one element named by its key, each item an
    element named `item`: {"sub-accounts": XmlItems("sub-account", [a, b])} renders as
    `<sub-accounts><sub-account>a</sub-account><sub-account>b</sub-account></sub-accounts>`.
    In JSON it is a plain list (orjson serializes list subclasses as lists)."""

    def __init__(self, item: str, values=()) -> None:
        super().__init__(values)
        self.item = item


def _xml_escape(text: str) -> str:
    """Markup escaped, and control characters (which no XML document may hold, not even as
    `&#1;`) written as visible escapes, whatever a reply repeats of the request."""
    return (
        escape_control_characters(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _xml_escape(str(value))


def _write_xml(parts: list[str], tag: str, value: Any) -> None:
    if isinstance(value, XmlItems):
        parts.append(f"<{tag}>")
        for item in value:
            _write_xml(parts, value.item, item)
        parts.append(f"</{tag}>")
    elif isinstance(value, list):
        for item in value:
            _write_xml(parts, tag, item)
    elif isinstance(value, dict):
        parts.append(f"<{tag}>")
        for key, item in value.items():
            _write_xml(parts, key, item)
        parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_xml_value(value)}</{tag}>")


def render(payload: dict[str, Any], fmt: str) -> bytes:
    if fmt == JSON:
        return orjson.dumps(payload)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write_xml(parts, "response", payload)
    return "".join(parts).encode()
