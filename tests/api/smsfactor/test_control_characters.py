"""Control characters (C0 other than tab, CR, LF) never get in: refused with -7 on every
SMSFactor path in (JSON and form bodies, the query), by the CLI, and stripped from imported
files; so every XML reply stays well-formed and PostgreSQL never meets a NUL."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, relais

from relais.store.tables import api_tokens, campaigns, contact_lists, contacts


async def count(platform, table) -> int:
    return await fetch_value(platform, select(func.count()).select_from(table))


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x0b", "\ufffe"])
async def test_a_text_with_a_control_character_is_refused_and_nothing_sent(
    client, customer, platform, control
):
    body = {
        "sms": {
            "message": {"text": f"Hi{control}"},
            "recipients": {"gsm": [{"value": "33612345678"}]},
        }
    }
    answer = await client.post("/send", json=body, headers=customer.bearer)
    assert answer.json()["status"] == -7, answer.text
    assert "sms.message.text" in answer.json()["details"]
    assert await count(platform, campaigns) == 0
    assert int((await client.get("/credits", headers=customer.bearer)).json()["credits"]) == 100


async def test_tab_and_newlines_are_text(client, customer):
    body = {
        "sms": {
            "message": {"text": "Hi\tthere\r\nbye"},
            "recipients": {"gsm": [{"value": "33612345678"}]},
        }
    }
    answer = await client.post("/send", json=body, headers=customer.bearer)
    assert answer.json()["status"] == 1, answer.text


async def test_the_query_and_form_bodies_are_checked_too(client, customer, platform):
    answer = await client.get(
        "/send", params={"to": "33612345678", "text": "Hi\x01"}, headers=customer.bearer
    )
    assert answer.json()["status"] == -7
    answer = await client.post(
        "/list",
        content=b"data=" + b'{"list": {"name": "A\\u0002", "contacts": {"gsm": []}}}',
        headers={**customer.bearer, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.json()["status"] == -7, answer.text
    assert await count(platform, campaigns) == 0
    assert await count(platform, contact_lists) == 0


async def test_list_names_contact_infos_and_token_names_are_checked(client, customer, platform):
    answer = await client.post(
        "/list",
        json={"list": {"name": "Bell\u0007", "contacts": {"gsm": [{"value": "33612345678"}]}}},
        headers=customer.bearer,
    )
    assert answer.json()["status"] == -7
    contact = {"value": "33612345678", "info1": "Ada\u0000"}
    answer = await client.post(
        "/list",
        json={"list": {"name": "Ok", "contacts": {"gsm": [contact]}}},
        headers=customer.bearer,
    )
    assert answer.json()["status"] == -7
    assert (await count(platform, contact_lists), await count(platform, contacts)) == (0, 0)
    tokens_before = await count(platform, api_tokens)
    answer = await client.post(
        "/token", json={"token": {"name": "ci\u001f"}}, headers=customer.bearer
    )
    assert answer.json()["status"] == -7
    assert await count(platform, api_tokens) == tokens_before


async def test_the_cli_refuses_them(database_url, customer, platform):
    done = relais(database_url, "token", "create", "--email", customer.email, "--name", "a\x01b")
    assert done.returncode == 1 and "control character" in done.stderr
    done = relais(
        database_url,
        "account",
        "create",
        "--email",
        "x@example.com",
        "--password",
        "correct horse",
        "--company",
        "A\x1bB",
    )
    assert done.returncode == 1 and "control character" in done.stderr


async def test_an_imported_file_has_them_stripped_and_replies_stay_valid_xml(
    client, customer, platform, database_url, tmp_path
):
    path = tmp_path / "customers.csv"
    path.write_text("Number;info1\n33612345678;Ada\x00\x07 Lovelace\n", encoding="utf-8")
    done = relais(
        database_url, "list", "import", str(path), "--email", customer.email, "--name", "Imported"
    )
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in await fetch_all(platform, select(contacts.c.info1))] == ["Ada Lovelace"]
    [list_id] = [r[0] for r in await fetch_all(platform, select(contact_lists.c.id))]
    for path in ("/lists", f"/list/{list_id}"):
        answer = await client.get(path, headers={**customer.bearer, "Accept": "application/xml"})
        ElementTree.fromstring(answer.content)  # well-formed
