"""Body caps and nesting limits on every route that reads a body: a body over the cap is
refused with 413 in the dialect's own envelope before it is read whole, whether its length
is declared or it comes chunked; too deep XML or JSON is a format error, never a 500; and
nothing is stored, no credit taken."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from tests.support import fetch_value, free_port, kill, make_customer, serving_process

from relais.services import operators
from relais.store.tables import campaigns, contacts

CAP = 4_000


@pytest.fixture
def capped(platform):
    platform.settings = replace(
        platform.settings, max_body_bytes=CAP, max_import_body_bytes=4 * CAP
    )
    return platform


def send_body(recipients: int) -> dict:
    gsm = [{"value": f"336{10000000 + n}"} for n in range(recipients)]
    return {"sms": {"message": {"text": "Hello"}, "recipients": {"gsm": gsm}}}


async def nothing_happened(client, platform, customer) -> None:
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await fetch_value(platform, select(func.count()).select_from(contacts)) == 0
    credits = (await client.get("/credits", headers=customer.bearer)).json()["credits"]
    assert int(credits) == 100


async def test_a_send_body_over_the_cap_is_413_in_the_smsfactor_envelope(client, customer, capped):
    answer = await client.post("/send", json=send_body(200), headers=customer.bearer)
    assert answer.status_code == 413
    assert answer.json()["status"] == -7
    assert str(CAP) in answer.json()["details"]
    await nothing_happened(client, capped, customer)


async def test_a_chunked_body_over_the_cap_is_refused_as_it_streams(client, customer, capped):
    async def chunks():
        yield b'{"sms": {"message": {"text": "Hello"}, "recipients": {"gsm": ['
        for n in range(400):
            yield b'{"value": "33610000%03d"},' % n
        yield b'{"value": "33610000999"}]}}}'

    answer = await client.post(
        "/send",
        content=chunks(),
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["status"] == -7
    await nothing_happened(client, capped, customer)


async def test_a_body_under_the_cap_still_sends(client, customer, capped):
    answer = await client.post("/send", json=send_body(3), headers=customer.bearer)
    assert answer.status_code == 200 and answer.json()["status"] == 1, answer.text


async def test_a_list_import_may_be_larger_than_a_send(client, customer, capped):
    gsm = [{"value": f"336{10000000 + n}"} for n in range(200)]
    body = {"list": {"name": "Customers", "contacts": {"gsm": gsm}}}
    answer = await client.post("/list", json=body, headers=customer.bearer)
    assert answer.status_code == 200 and answer.json()["status"] == 1, answer.text
    too_big = {"list": {"name": "Customers", "contacts": {"gsm": gsm * 4}}}
    answer = await client.post("/list", json=too_big, headers=customer.bearer)
    assert answer.status_code == 413


async def test_xml_nested_thousands_deep_is_an_xml_error(client, customer, platform):
    deep = b"<a>" * 3000 + b"x" + b"</a>" * 3000
    answer = await client.post(
        "/send", content=deep, headers={**customer.bearer, "Content-Type": "application/xml"}
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == -2
    await nothing_happened(client, platform, customer)


async def test_operator_json_nested_thousands_deep_is_a_400(client, platform):
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    answer = await client.post(
        "/operator/accounts",
        content=deep,
        headers={"Authorization": f"Bearer {created.value}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"


async def test_an_operator_body_over_its_cap_is_413(client, platform):
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    answer = await client.post(
        "/operator/accounts",
        content=b'{"email": "' + b"x" * 1_100_000 + b'"}',
        headers={"Authorization": f"Bearer {created.value}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


async def test_the_server_answers_413_without_waiting_for_the_declared_body(platform, database_url):
    shop = await make_customer(platform)
    port = free_port()
    server = await serving_process(database_url, port)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /send HTTP/1.1\r\nHost: relais\r\nAccept: application/json\r\n"
            b"Authorization: Bearer " + shop.token.encode() + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"sms": '
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        assert b" 413 " in status_line, status_line
        writer.close()
    finally:
        kill(server, signal.SIGTERM)
        await server.wait()
