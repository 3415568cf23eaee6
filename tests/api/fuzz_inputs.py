"""What the route fuzzer sends: hypothesis strategies for hostile requests (JSON, forms, XML,
raw bytes, query strings, path ids) built from the field names the API's own sources use, and
from valid requests of each dialect with some of their fields swapped for hostile values."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

import relais.api

SMSFACTOR = "smsfactor"
SMSPARTNER = "smspartner"
SKYCORE = "skycore"
OPERATOR = "operator"
PLAIN = "plain"  # short links and /metrics: no dialect, no credentials

_LITERAL = re.compile(r"""["']([A-Za-z][A-Za-z0-9_\-]{0,30})["']""")
_EXTRA_FIELDS = ("value", "gsm", "gsmsmsid", "authentication", "token", "apiKey", "action")


def _field_names() -> list[str]:
    """Every short identifier-like literal in the API's sources: the field names the routes
    read, so a field a new route reads is fuzzed without anyone listing it."""
    names: set[str] = set(_EXTRA_FIELDS)
    for source in Path(relais.api.__file__).parent.rglob("*.py"):
        names.update(_LITERAL.findall(source.read_text()))
    return sorted(names)


FIELD_NAMES = _field_names()


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is: what a JSON value cannot hold (NaN, 1e400, -0, 1E+99999)."""

    text: str


ODD_TEXTS = (
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1",
    "2",
    "1.5",
    "5.0",
    " 5 ",
    "1_000",
    "٥",
    "１",
    "1e400",
    "-1e400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "9" * 30,
    "-9223372036854775809",
    "4611686018427387905",
    "true",
    "null",
    "[]",
    "{}",
    "+33612345678",
    "33612345678",
    "0612345678",
    "+12025550123",
    "12025550123",
    "+999",
    "00000",
    "Shop",
    "2030-01-01 10:00:00",
    "2030-01-01",
    "9999-12-31 23:59:59",
    "2000-02-30 25:61:61",
    "0000-00-00",
    "21/10/2030",
    "31/02/2030",
    "FR",
    "fr",
    "XX",
    "DLR",
    "MO",
    "STOP",
    "https://example.com/hook",
    "http://127.0.0.1/",
    "http://[::1",
    "javascript:alert(1)",
    "127.0.0.1",
    "10.0.0.0/8",
    "::/0",
    "not-an-ip",
    "a@example.com",
    "shop@example.com",
    "<b>&amp;</b>",
    "]]>",
    "\x00",
    "a\x00b",
    "\x07",
    "\x1f",
    "\ufffe",
    "\uffff",
    "\u200b",
    "\U0001f600",
    "€" * 200,
    "x" * 3000,
    "%00",
    "%zz",
    "..%2F..",
    "\\",
    "'; DROP TABLE accounts; --",
    "{{unknown}}",
    "${text}",
)

ODD_RAW_NUMBERS = (
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1E+99999"),
    Raw("-0"),
    Raw("0.0"),
    Raw("1.0"),
    Raw("1e2"),
    Raw("123456789012345678901234567890"),
    Raw("-123456789012345678901234567890"),
    Raw("18446744073709551616"),
    Raw("9223372036854775808"),
    Raw("4611686018427387905"),
)

texts = st.one_of(
    st.sampled_from(ODD_TEXTS),
    st.text(max_size=24),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(FIELD_NAMES),
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.integers(),
    st.integers(min_value=2**61, max_value=2**66),
    st.floats(allow_nan=False, allow_infinity=False),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    texts,
    texts,
    st.sampled_from(ODD_RAW_NUMBERS),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from(FIELD_NAMES), texts)
json_trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=16,
)


def write_json(value: Any, *, ascii_only: bool = True) -> str:
    """JSON text of `value`, Raw tokens written as they are (so NaN and 1e400 reach the
    parser), lone surrogates escaped."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = (
            f"{write_json(str(k), ascii_only=ascii_only)}:{write_json(v, ascii_only=ascii_only)}"
            for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(write_json(v, ascii_only=ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def _paths(tree: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _paths(value, (*path, index))


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """`seed` with up to three of its nodes replaced by a hostile value, removed, or
    wrapped in a list (what XML's one-or-many gives a field)."""
    tree = copy.deepcopy(seed)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(list(_paths(tree))))
        if not path:
            return draw(json_trees)
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        how = draw(st.sampled_from(("replace", "replace", "remove", "wrap", "add")))
        if how == "replace":
            parent[last] = draw(json_trees)
        elif how == "remove":
            del parent[last]
        elif how == "wrap":
            parent[last] = [parent[last], draw(json_trees)]
        elif isinstance(parent[last], dict):
            parent[last][draw(keys)] = draw(json_trees)
    return tree


# --- XML ------------------------------------------------------------------------------

XML_ODDITIES = (
    '<?xml version="1.0"?><!DOCTYPE sms [<!ENTITY e "x">]><sms><message><text>&e;</text>'
    "</message></sms>",
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><r>&b;&b;</r>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1/evil.dtd"><r/>',
    "<sms><text>&#0;</text></sms>",
    "<sms><text>&#x1;</text></sms>",
    "<sms><text>&#xD800;</text></sms>",
    "<sms><text>&#1114112;</text></sms>",
    "<sms><text>&unknown;</text></sms>",
    "<sms><text><![CDATA[<b>&amp;]]></text></sms>",
    "<sms><!-- comment --><?pi data?><text>Hi</text></sms>",
    '<sms xmlns:x="urn:x"><x:message><x:text>Hi</x:text></x:message></sms>',
    '<sms xmlns="urn:y"><message>Hi</message></sms>',
    '<?xml version="1.0" encoding="ISO-8859-1"?><sms><text>\xe9</text></sms>',
    '<?xml version="1.0" encoding="UTF-16"?><sms/>',
    '<?xml version="1.1"?><sms><text>&#x1;</text></sms>',
    "<sms a='1' a='2'/>",
    "<sms><message><text>unclosed</message></sms>",
    "<1sms/>",
    "<sms>" + "<gsm>33612345678</gsm>" * 50 + "</sms>",
    "<sms><value>1</value><value><value>2</value></value></sms>",
    '<sms value="attr"><value>elem</value>text</sms>',
    "\ufeff<sms/>",
    "<>",
    "<",
)


def _xml_text(value: Any, escape: bool) -> str:
    text = "" if value is None else str(value.text if isinstance(value, Raw) else value)
    if escape:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def write_xml(tag: str, value: Any, *, escape: bool = True) -> str:
    """An XML element for a JSON-like tree: dict keys become child elements, list items
    repeated elements."""
    if isinstance(value, dict):
        inner = "".join(write_xml(str(k), v, escape=escape) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        return "".join(write_xml(tag, v, escape=escape) for v in value) or f"<{tag}/>"
    return f"<{tag}>{_xml_text(value, escape)}</{tag}>"


@st.composite
def xml_documents(draw: st.DrawFn, seeds: list[Any]) -> str:
    kind = draw(st.sampled_from(("seed", "tree", "deep", "oddity")))
    if kind == "oddity":
        return draw(st.sampled_from(XML_ODDITIES))
    if kind == "deep":
        depth = draw(st.integers(min_value=20, max_value=200))
        tag = draw(st.sampled_from(("sms", "a", "message", "gsm")))
        return f"<{tag}>" * depth + "x" + f"</{tag}>" * depth
    tree = draw(mutated(draw(st.sampled_from(seeds)))) if kind == "seed" else draw(json_trees)
    if isinstance(tree, dict) and len(tree) == 1:
        ((root, inner),) = tree.items()
        root = str(root)
    else:
        root, inner = draw(st.sampled_from(FIELD_NAMES)), tree
    prolog = draw(st.sampled_from(("", '<?xml version="1.0" encoding="UTF-8"?>\n')))
    return prolog + write_xml(root, inner, escape=draw(st.booleans()))


# --- whole requests -------------------------------------------------------------------

CONTENT_TYPES = (
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/xml",
    "text/xml",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/octet-stream",
    "application/vnd.api+json",
    ";;;",
    "ü/ü",
)
ACCEPTS = (
    None,
    "application/json",
    "application/xml",
    "text/xml",
    "*/*",
    "application/json, application/xml",
    "application/xml;q=0.1, application/json",
    "text/html",
    "",
    "jsonxml",
)


@dataclass
class Fuzzed:
    """One request as the fuzzer sends it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    chunked: bool = False


def _form(fields: Any) -> dict[str, str]:
    if isinstance(fields, dict):
        return {str(k): _xml_text(v, False) for k, v in fields.items()}
    return {"data": write_json(fields)}


@st.composite
def bodies(draw: st.DrawFn, seeds: list[Any]) -> tuple[str | None, bytes]:
    """(Content-Type, body): JSON, form, XML, or bytes that are none of them, each under a
    content type that may or may not say what it is."""
    kind = draw(
        st.sampled_from(("json", "json", "json", "form", "form-data", "xml", "xml", "bytes"))
    )
    if kind == "json":
        tree = draw(st.one_of(mutated(draw(st.sampled_from(seeds))), json_trees))
        text = write_json(tree, ascii_only=draw(st.booleans()))
        body = text.encode("utf-8", "surrogatepass")
        declared = draw(st.sampled_from(("application/json", *CONTENT_TYPES)))
    elif kind == "form":
        tree = draw(st.one_of(mutated(draw(st.sampled_from(seeds))), json_trees))
        body = urlencode(_form(tree), encoding="utf-8", errors="surrogatepass").encode()
        declared = draw(st.sampled_from(("application/x-www-form-urlencoded", *CONTENT_TYPES)))
    elif kind == "form-data":
        payload = draw(
            st.one_of(
                st.builds(lambda t: "data=" + quote(write_json(t)), json_trees),
                st.builds(lambda x: "XML=" + quote(x), xml_documents(seeds)),
                st.builds(lambda x: "xml=" + x, xml_documents(seeds)),
            )
        )
        body = payload.encode("utf-8", "surrogatepass")
        declared = "application/x-www-form-urlencoded"
    elif kind == "xml":
        document = draw(xml_documents(seeds))
        encoding = draw(st.sampled_from(("utf-8", "latin-1", "utf-16")))
        body = document.encode(encoding, "replace")
        declared = draw(st.sampled_from(("application/xml", "text/xml", *CONTENT_TYPES)))
    else:
        body = draw(
            st.one_of(
                st.binary(max_size=64),
                st.sampled_from(
                    (b"\xff\xfe{\x00}\x00", b"\xef\xbb\xbf{}", b"\x80", b'{"a": "\xff"}')
                ),
                st.builds(lambda t: t.encode("latin-1", "replace"), st.text(max_size=40)),
            )
        )
        declared = draw(st.sampled_from(CONTENT_TYPES))
    return declared, body


@st.composite
def query_strings(draw: st.DrawFn, seeds: list[dict[str, str]]) -> str:
    fields: dict[str, str] = dict(draw(st.sampled_from([{}, *seeds])))
    for name, value in draw(st.dictionaries(keys, leaves, max_size=4)).items():
        fields[str(name)] = _xml_text(value, False)
    query = urlencode(fields, encoding="utf-8", errors="surrogatepass")
    tail = draw(st.sampled_from(("", "", "", "&%zz=%ff", "&a", "&=&&", "&page=%00", "&x=%c3")))
    return query + tail


PATH_VALUES = (
    "1",
    "2",
    "3",
    "0",
    "-1",
    "01",
    "99999999999999999999",
    "9223372036854775808",
    "٥",
    "1.5",
    "abc",
    " 1",
    "\x00",
    "%00",
    "FR",
    "fr",
    "XX",
    "€",
    "..",
    "a/b",
    "x" * 300,
)


def path_segments() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(PATH_VALUES), st.text(min_size=1, max_size=12))
