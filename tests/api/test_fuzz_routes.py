"""Every route of the app, fuzzed: random fields, bodies, encodings and credentials never get
a 5xx or SMSFactor's -99, every reply reads in its dialect's format, a refusal stores nothing
and takes no credit, and balance == sum(ledger) holds for every account throughout.

The routes come from the app's own route table, so a new route is fuzzed without being
listed here. RELAIS_FUZZ_EXAMPLES raises the examples per route for a longer local hunt."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.routing import BaseRoute, Mount, Route
from tests.api.fuzz_inputs import (
    ACCEPTS,
    OPERATOR,
    PLAIN,
    SKYCORE,
    SMSFACTOR,
    SMSPARTNER,
    Fuzzed,
    bodies,
    path_segments,
    query_strings,
)
from tests.support import Customer, fetch_all, fetch_value, make_customer

from relais.api.app import create_app
from relais.services import operators
from relais.services.platform import Platform
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts, campaigns, credit_ledger, messages

settings.register_profile(
    "relais-fuzz",
    max_examples=int(os.environ.get("RELAIS_FUZZ_EXAMPLES", "12")),
    deadline=None,
    database=None,  # a failure is reported with its input; no .hypothesis/ left behind
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one platform for all examples, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
FUZZ = settings.get_profile("relais-fuzz")
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND")


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: tuple[str, ...]

    @property
    def dialect(self) -> str:
        return dialect_of(self.path)


def dialect_of(path: str) -> str:
    """Whose format a path answers in (the app's 404 and 405 handlers draw the same lines)."""
    if path == "/operator" or path.startswith("/operator/"):
        return OPERATOR
    if path == "/skycore" or path.startswith("/skycore/"):
        return SKYCORE
    if path.startswith("/v1/"):
        return SMSPARTNER
    if path.startswith("/l/") or path == "/metrics":
        return PLAIN
    return SMSFACTOR


def _walk(routes: list[BaseRoute], prefix: str = "") -> list[Endpoint]:
    found: list[Endpoint] = []
    for route in routes:
        if isinstance(route, Mount):
            found += _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            found.append(Endpoint(prefix + route.path, tuple(sorted(route.methods or ()))))
        else:
            raise AssertionError(f"the fuzzer does not know how to call {route!r}")
    return found


def app_endpoints() -> list[Endpoint]:
    """Every route of create_app, one entry per path and set of methods."""
    app: Any = create_app(cast(Platform, None))
    return _walk(app.app.routes)


ENDPOINTS = app_endpoints()


@dataclass(frozen=True)
class Keys:
    customer: Customer
    operator: str


def seed_bodies(dialect: str, token: str) -> list[Any]:
    """Valid requests of the dialect, which the fuzzer mutates to reach past the first check."""
    gsm = [{"gsmsmsid": "1", "value": "33612345678"}, {"value": "+33612345679"}]
    if dialect == SMSFACTOR:
        return [
            {
                "sms": {
                    "message": {"text": "Hello", "pushtype": "alert", "sender": "Shop"},
                    "recipients": {"gsm": gsm},
                }
            },
            {
                "sms": {
                    "authentication": {"token": token},
                    "message": {"text": "Hi", "delay": "2030-01-01 10:00:00"},
                    "recipients": {"gsm": {"value": "0612345678"}},
                }
            },
            {"sms": {"message": {"text": "Hi {info1}"}, "lists": [{"value": 1}]}},
            {"list": {"name": "Clients", "contacts": {"gsm": [{"value": "33612345678"}]}}},
            {"token": {"name": "ci", "ttl": 3600, "allowed_ips": ["127.0.0.1"]}},
            {"webhook": {"type": "DLR", "url": "https://example.com/dlr"}},
            {"blacklist": {"contacts": {"gsm": gsm}}},
            {"npai": {"contacts": {"gsm": gsm}}},
            {"lookup": {"recipients": {"gsm": gsm}}},
            {
                "account": {
                    "firstname": "A",
                    "lastname": "B",
                    "email": "child@example.com",
                    "password": "Secret123!",
                    "city": "Paris",
                }
            },
            {"retention": {"days": 30}, "notification": {"threshold": 10}},
        ]
    if dialect == SMSPARTNER:
        return [
            {"apiKey": token, "phoneNumbers": "+33612345678", "message": "Hi", "sender": "Shop"},
            {
                "apiKey": token,
                "SMSList": [{"phoneNumber": "+33612345678", "message": "Hi"}],
                "sender": "Shop",
                "scheduledDeliveryDate": "21/10/2030",
                "time": 10,
                "minute": 0,
            },
            {"apiKey": token, "groupId": 1, "contact": {"phoneNumber": "0612345678"}},
            {"apiKey": token, "phoneNumber": "0612345678", "messageId": 1},
            {"apiKey": token, "tokenSubaccount": "x", "credit": "1.5"},
            {"apiKey": token, "type": "simple", "parameters": {"creditToAttribute": 1}},
        ]
    if dialect == SKYCORE:
        return [
            {"action": "sendsms", "to": "+12025550123", "message-text": "Hi", "from": "00000"},
            {"action": "subscribe", "mobile": "+12025550123", "campaign-ref": "c1"},
            {"action": "unsubscribe", "mobile": "12025550123", "campaign-ref": "c1"},
        ]
    return [
        {"email": "new@example.com", "password": "secret1", "credits": 5, "country": "FR"},
        {"amount": 5, "reason": "fuzz", "to": 1, "suspended": True},
        {"countries": ["FR", "BE"], "cap": 5, "sender": "Shop", "price": 1},
        {"pattern": "casino", "reason": "spam", "enabled": True},
    ]


def seed_queries(dialect: str) -> list[dict[str, str]]:
    if dialect == SMSFACTOR:
        return [
            {"text": "Hi", "to": "33612345678", "sender": "Shop"},
            {"start": "0", "length": "10", "page": "1"},
            {"date_start": "2024-01-01", "date_end": "2024-12-31"},
        ]
    if dialect == SMSPARTNER:
        return [
            {"phoneNumbers": "+33612345678", "message": "Hi"},
            {"messageId": "1", "phoneNumber": "0612345678", "page": "1", "_format": "xml"},
        ]
    return [{"email": "shop", "suspended": "true", "limit": "5", "offset": "0"}]


@st.composite
def credentials(draw: st.DrawFn, dialect: str, keys: Keys) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query fields) that authenticate as the customer, mostly; sometimes none,
    a wrong key, or a malformed scheme."""
    token, customer = keys.customer.token, keys.customer
    if dialect == SMSFACTOR:
        return draw(
            st.sampled_from(
                [
                    ({"Authorization": f"Bearer {token}"}, {}),
                    ({"Authorization": f"Bearer {token}"}, {}),
                    ({"Authorization": f"Bearer {token}"}, {}),
                    ({}, {"token": token}),
                    ({"sfusername": customer.email, "sfpassword": customer.password}, {}),
                    ({}, {"username": customer.email, "password": "wrong"}),
                    ({}, {}),
                    ({"Authorization": "Bearer rl_wrong"}, {}),
                    ({"Authorization": "Basic c2hvcDpzZWNyZXQ="}, {}),
                    ({"Authorization": "Bearer"}, {}),
                ]
            )
        )
    if dialect == SMSPARTNER:
        return {}, draw(
            st.sampled_from(
                [{"apiKey": token}, {"apiKey": token}, {"apiKey": token}, {}, {"apiKey": "x"}]
            )
        )
    if dialect == SKYCORE:
        return draw(
            st.sampled_from(
                [
                    {"x-api-key": token},
                    {"x-api-key": token},
                    {"x-api-key": " "},
                    {},
                    {"x-api-key": "rl_x"},
                ]
            )
        ), {}
    if dialect == OPERATOR:
        return draw(
            st.sampled_from(
                [
                    {"Authorization": f"Bearer {keys.operator}"},
                    {"Authorization": f"Bearer {keys.operator}"},
                    {"Authorization": f"Bearer {keys.operator}"},
                    {"Authorization": f"Bearer {token}"},
                    {},
                ]
            )
        ), {}
    return {}, {}


def fill_path(template: str, segments: list[str]) -> str:
    parts = template.split("/")
    filled = iter(segments)
    return "/".join(
        quote(next(filled), safe="") if part.startswith("{") else part for part in parts
    )


@st.composite
def fuzzed_requests(draw: st.DrawFn, endpoint: Endpoint, keys: Keys) -> Fuzzed:
    dialect = endpoint.dialect
    method = draw(st.one_of(st.sampled_from(endpoint.methods), st.sampled_from(EVERY_METHOD)))
    holes = endpoint.path.count("{")
    path = fill_path(endpoint.path, draw(st.lists(path_segments(), min_size=holes, max_size=holes)))
    headers, auth_query = draw(credentials(dialect, keys))
    headers = dict(headers)
    query = draw(
        query_strings([{**q, **auth_query} for q in seed_queries(dialect)] or [auth_query])
    )
    accept = draw(st.sampled_from(ACCEPTS))
    if accept is not None:
        headers["Accept"] = accept
    body: bytes | None = None
    if method not in ("GET", "HEAD") or draw(st.integers(0, 9)) == 0:
        content_type, body = draw(bodies(seed_bodies(dialect, keys.customer.token)))
        if content_type is not None:
            headers["Content-Type"] = content_type
    url = path + ("?" + query if query else "")
    return Fuzzed(method, url, headers, body, chunked=body is not None and draw(st.booleans()))


# --- what every reply must be ---------------------------------------------------------


def _xml_fields(content: bytes) -> dict[str, str]:
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise AssertionError(f"the XML reply does not parse ({exc}): {content[:300]!r}") from None
    assert root.tag == "response", content[:200]
    return {child.tag: child.text or "" for child in root}


def reply_fields(response: httpx.Response) -> dict[str, Any]:
    """The reply's top-level fields, read in the format its Content-Type names: a reply that
    does not read in its own format fails here."""
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        document = orjson.loads(response.content)
        assert isinstance(document, dict), response.content[:200]
        return document
    assert "xml" in kind, f"{response.status_code} {kind}: {response.content[:200]!r}"
    return _xml_fields(response.content)


def refused(dialect: str, response: httpx.Response, fields: dict[str, Any]) -> bool:
    """Whether the reply says the request was refused, checking its dialect's shape."""
    if dialect == SMSFACTOR:
        status = int(fields["status"])
        assert status != -99, f"SMSFactor -99: {fields}"
        return status < 0 and status != -8
    if dialect == SMSPARTNER:
        assert "success" in fields, fields
        return fields["success"] in (False, "false")
    if dialect == SKYCORE:
        assert fields["status"] in ("Success", "Failure"), fields
        return fields["status"] == "Failure"
    if response.status_code >= 400:
        assert set(fields["error"]) == {"code", "message"}, fields
        return True
    return False


async def stored(platform: Platform) -> tuple[int, int, int]:
    return (
        await fetch_value(platform, select(func.count()).select_from(campaigns)),
        await fetch_value(platform, select(func.count()).select_from(messages)),
        await fetch_value(platform, select(func.count()).select_from(credit_ledger)),
    )


async def assert_ledger_holds(platform: Platform) -> None:
    """balance == sum(ledger) for every account, the fuzzer's sub-accounts included."""
    for account_id, balance in await fetch_all(platform, select(accounts.c.id, accounts.c.balance)):
        total = await platform.db.read(lambda conn, a=account_id: ledger_sum(conn, a))
        assert total == balance, f"account {account_id}: balance {balance}, ledger {total}"


async def send(client: httpx.AsyncClient, request: Fuzzed) -> httpx.Response:
    content: Any = request.body
    if request.chunked and request.body is not None:
        whole = request.body

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(whole), 7):
                yield whole[start : start + 7]

        content = chunks()
    # Header values as bytes: httpx would refuse a non-ASCII one as text.
    headers = [(name, value.encode()) for name, value in request.headers.items()]
    return await client.request(request.method, request.url, headers=headers, content=content)


@pytest.fixture
async def fuzz_client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only the headers each example draws (no default Accept)."""
    transport = httpx.ASGITransport(app=create_app(platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        yield client


@pytest.fixture
async def keys(platform: Platform) -> Keys:
    customer = await make_customer(platform, credits=10_000)
    operator = await operators.create_operator_token(platform, actor="test", name="fuzz")
    return Keys(customer, operator.value)


def test_the_fuzzer_walks_every_dialect_of_the_app():
    dialects = {endpoint.dialect for endpoint in ENDPOINTS}
    assert dialects == {SMSFACTOR, SMSPARTNER, SKYCORE, OPERATOR, PLAIN}
    assert len(ENDPOINTS) > 80


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{'|'.join(e.methods)} {e.path}")
@FUZZ
@given(data=st.data())
async def test_no_input_gets_a_server_error_or_breaks_the_ledger(
    endpoint: Endpoint, platform: Platform, fuzz_client: httpx.AsyncClient, keys: Keys, data
):
    request = data.draw(fuzzed_requests(endpoint, keys), label="request")
    before = await stored(platform)
    response = await send(fuzz_client, request)
    assert response.status_code < 500, f"{response.status_code}: {response.content[:300]!r}"
    # httpx resolves "/v1/.." to "/": the path sent says which dialect answers.
    dialect = dialect_of(response.request.url.path)
    answered = request.method != "HEAD" and not 300 <= response.status_code < 400
    if answered and dialect != PLAIN:
        fields = reply_fields(response)
        if refused(dialect, response, fields):
            assert await stored(platform) == before, f"a refusal stored something: {fields}"
    await assert_ledger_holds(platform)
