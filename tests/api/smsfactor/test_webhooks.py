"""The SMSFactor webhook API (api_reference §1.9.1) in JSON and XML: create, list, update,
pause and resume, delete, the delivery log; bad input refused with nothing stored; another
account's webhook (a parent's, a sub-account's) not found."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, insert, select
from tests.support import fetch_value, make_customer

from relais.core.instant import to_ms
from relais.services import accounts, sub_accounts, tokens
from relais.store import webhooks as webhook_store
from relais.store.tables import webhook_events, webhooks

URL = "https://yourserverurl.com"
XML = {"Accept": "application/xml", "Content-Type": "application/xml"}


def xml(reply) -> ElementTree.Element:
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    return root


async def webhook_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(webhooks))


async def create(client, customer, spec: dict) -> dict:
    reply = await client.post("/webhook", json={"webhook": spec}, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def test_create_answers_as_the_reference(client, customer, platform):
    body = await create(client, customer, {"type": "MO", "url": URL, "signature": "mysignature123"})
    webhook_id = body["webhook"]["webhook_id"]
    assert body == {
        "status": 1,
        "message": "OK",
        "webhook": {
            "webhook_id": webhook_id,
            "type": "MO",
            "url": URL,
            "signature": "mysignature123",
        },
    }
    assert isinstance(webhook_id, str) and int(webhook_id) > 0
    unsigned = await create(client, customer, {"type": "dlr", "url": "http://h.example.com/dlr"})
    assert unsigned["webhook"]["signature"] is None
    assert unsigned["webhook"]["type"] == "DLR"
    assert await webhook_count(platform) == 2


async def test_list_shows_every_webhook_of_the_account(client, customer, platform):
    first = await create(client, customer, {"type": "STOP", "url": URL + "/stop"})
    second = await create(client, customer, {"type": "CLICKER", "url": URL, "signature": "k"})
    reply = await client.get("/webhook", headers=customer.bearer)
    assert reply.json() == {
        "status": 1,
        "message": "OK",
        "webhooks": [
            {
                "webhook_id": first["webhook"]["webhook_id"],
                "type": "STOP",
                "url": URL + "/stop",
                "status": "live",
                "signature": None,
                "last_http_code": None,
            },
            {
                "webhook_id": second["webhook"]["webhook_id"],
                "type": "CLICKER",
                "url": URL,
                "status": "live",
                "signature": "k",
                "last_http_code": None,
            },
        ],
    }
    empty = await make_customer(platform, email="empty@example.com")
    assert (await client.get("/webhook", headers=empty.bearer)).json()["webhooks"] == []


async def test_update_answers_with_status_and_last_http_code(client, customer):
    created = await create(client, customer, {"type": "MO", "url": URL, "signature": "old"})
    webhook_id = created["webhook"]["webhook_id"]
    reply = await client.put(
        f"/webhook/{webhook_id}",
        json={"webhook": {"type": "STOP", "url": "https://mywebhook.com/stop"}},
        headers=customer.bearer,
    )
    assert reply.json() == {
        "status": 1,
        "message": "OK",
        "webhook": {
            "webhook_id": webhook_id,
            "type": "STOP",
            "url": "https://mywebhook.com/stop",
            "status": "live",
            "signature": "old",
            "last_http_code": None,
        },
    }
    cleared = await client.put(
        f"/webhook/{webhook_id}", json={"webhook": {"signature": None}}, headers=customer.bearer
    )
    assert cleared.json()["webhook"]["signature"] is None


async def test_status_pauses_and_resumes(client, customer, platform):
    created = await create(client, customer, {"type": "MO", "url": "https://mywebhook.com/mo"})
    webhook_id = created["webhook"]["webhook_id"]
    paused = await client.put(
        f"/webhook/{webhook_id}/status",
        json={"webhook": {"status": "paused"}},
        headers=customer.bearer,
    )
    assert paused.json()["webhook"]["status"] == "paused"
    live = await client.put(
        f"/webhook/{webhook_id}/status",
        json={"webhook": {"status": "live"}},
        headers=customer.bearer,
    )
    assert live.json() == {
        "status": 1,
        "message": "OK",
        "webhook": {
            "webhook_id": webhook_id,
            "status": "live",
            "type": "MO",
            "url": "https://mywebhook.com/mo",
            "signature": None,
        },
    }
    bad = await client.put(
        f"/webhook/{webhook_id}/status",
        json={"webhook": {"status": "off"}},
        headers=customer.bearer,
    )
    assert bad.json()["status"] == -7 and "live or paused" in bad.json()["details"]
    stored = await fetch_value(platform, select(webhooks.c.status))
    assert stored == "live"


async def test_delete_answers_deleted_id_as_an_integer(client, customer, platform):
    created = await create(client, customer, {"type": "MO", "url": URL})
    webhook_id = created["webhook"]["webhook_id"]
    reply = await client.delete(f"/webhook/{webhook_id}", headers=customer.bearer)
    assert reply.json() == {"status": 1, "message": "OK", "deleted_id": int(webhook_id)}
    assert await webhook_count(platform) == 0
    again = await client.delete(f"/webhook/{webhook_id}", headers=customer.bearer)
    assert again.json()["status"] == -5


BAD_SPECS = [
    ({"type": "SMS", "url": URL}, -7, "type must be one of"),
    ({"url": URL}, -7, "type is missing"),
    ({"type": "DLR"}, -7, "url is missing"),
    ({"type": "DLR", "url": "ftp://example.com/"}, -7, "http"),
    ({"type": "DLR", "url": "javascript:alert(1)"}, -7, "http"),
    ({"type": "DLR", "url": "https://x.com/" + "a" * 1990}, -7, "2000"),
    ({"type": "DLR", "url": URL, "signature": "s" * 256}, -7, "255"),
    ({"type": "DLR", "url": URL + "/\x01"}, -7, "control"),
    ({"type": "DLR", "url": URL, "signature": "a\nb"}, -7, "control"),
    ({"type": ["DLR"], "url": URL}, -7, "type: must be a text"),
    ({"type": "DLR", "url": {"href": URL}}, -7, "url: must be a text"),
]


@pytest.mark.parametrize(("spec", "status", "details"), BAD_SPECS)
async def test_bad_input_is_refused_and_nothing_is_stored(
    client, customer, platform, spec, status, details
):
    reply = await client.post("/webhook", json={"webhook": spec}, headers=customer.bearer)
    body = reply.json()
    assert reply.status_code == 200
    assert (body["status"], body["message"]) == (status, "Data error")
    assert details in body["details"]
    assert await webhook_count(platform) == 0


async def test_bad_bodies_are_refused(client, customer, platform):
    missing = await client.post("/webhook", json={"hook": {}}, headers=customer.bearer)
    assert missing.json()["status"] == -7
    broken = await client.post(
        "/webhook",
        content=b'{"webhook": ',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert broken.json()["status"] == -6
    bad_xml = await client.post(
        "/webhook", content=b"<webhook><type>", headers={**customer.bearer, **XML}
    )
    assert xml(bad_xml).findtext("status") == "-2"
    created = await create(client, customer, {"type": "MO", "url": URL})
    webhook_id = created["webhook"]["webhook_id"]
    for bad in ({"webhook": {}}, {"webhook": {"url": "nope"}}, {"webhook": {"type": "X"}}):
        reply = await client.put(f"/webhook/{webhook_id}", json=bad, headers=customer.bearer)
        assert reply.json()["status"] == -7
    (row,) = (await client.get("/webhook", headers=customer.bearer)).json()["webhooks"]
    assert (row["type"], row["url"]) == ("MO", URL)


async def test_unauthenticated_calls_are_refused(client):
    reply = await client.get("/webhook")
    assert reply.json()["status"] == -1


@pytest.mark.parametrize("webhook_id", ["999", "abc", "0", "-3"])
async def test_unknown_ids_are_not_found(client, customer, webhook_id):
    for method, path, body in (
        ("PUT", f"/webhook/{webhook_id}", {"webhook": {"url": URL}}),
        ("PUT", f"/webhook/{webhook_id}/status", {"webhook": {"status": "paused"}}),
        ("DELETE", f"/webhook/{webhook_id}", None),
        ("GET", f"/webhook/{webhook_id}/logs", None),
    ):
        reply = await client.request(method, path, json=body, headers=customer.bearer)
        assert reply.json()["status"] == -5, (method, path)


async def test_another_accounts_webhooks_are_not_found(client, customer, platform):
    created = await create(client, customer, {"type": "MO", "url": URL, "signature": "k"})
    webhook_id = created["webhook"]["webhook_id"]
    stranger = await make_customer(platform, email="stranger@example.com")
    await _assert_untouchable(client, stranger.bearer, webhook_id)
    assert (await client.get("/webhook", headers=stranger.bearer)).json()["webhooks"] == []
    (row,) = (await client.get("/webhook", headers=customer.bearer)).json()["webhooks"]
    assert (row["url"], row["status"], row["signature"]) == (URL, "live", "k")


async def _assert_untouchable(client, headers, webhook_id: str) -> None:
    for method, path, body in (
        ("PUT", f"/webhook/{webhook_id}", {"webhook": {"url": "https://evil.example.com"}}),
        ("PUT", f"/webhook/{webhook_id}/status", {"webhook": {"status": "paused"}}),
        ("GET", f"/webhook/{webhook_id}/logs", None),
        ("DELETE", f"/webhook/{webhook_id}", None),
    ):
        reply = await client.request(method, path, json=body, headers=headers)
        assert reply.json()["status"] == -5, (method, path)


async def test_parent_and_sub_account_have_their_own_webhooks(client, customer, platform):
    await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="branch@example.com")
    child_token = await tokens.create_token(platform, account_id=child.id)
    child_headers = {"Authorization": f"Bearer {child_token.value}"}
    parent_hook = (await create(client, customer, {"type": "MO", "url": URL}))["webhook"]
    reply = await client.post(
        "/webhook", json={"webhook": {"type": "MO", "url": URL + "/child"}}, headers=child_headers
    )
    child_hook = reply.json()["webhook"]
    child_list = (await client.get("/webhook", headers=child_headers)).json()["webhooks"]
    assert [row["webhook_id"] for row in child_list] == [child_hook["webhook_id"]]
    parent_list = (await client.get("/webhook", headers=customer.bearer)).json()["webhooks"]
    assert [row["webhook_id"] for row in parent_list] == [parent_hook["webhook_id"]]
    await _assert_untouchable(client, child_headers, parent_hook["webhook_id"])
    await _assert_untouchable(client, customer.bearer, child_hook["webhook_id"])
    assert await webhook_count(platform) == 2


# --- XML -----------------------------------------------------------------------------------


async def test_every_endpoint_in_xml(client, customer, platform):
    headers = {**customer.bearer, **XML}
    body = (
        b"<webhook><type>dlr</type><url>https://yourserverurl.com</url>"
        b"<signature>mysignature123</signature></webhook>"
    )
    created = xml(await client.post("/webhook", content=body, headers=headers))
    assert created.findtext("status") == "1" and created.findtext("message") == "OK"
    hook = created.find("webhook")
    assert hook is not None
    webhook_id = hook.findtext("webhook_id")
    assert [(child.tag, child.text) for child in hook] == [
        ("webhook_id", webhook_id),
        ("type", "DLR"),
        ("url", URL),
        ("signature", "mysignature123"),
    ]

    listed = xml(await client.get("/webhook", headers=headers))
    items = listed.findall("webhooks/webhook")
    assert [item.findtext("webhook_id") for item in items] == [webhook_id]
    assert [child.tag for child in items[0]] == [
        "webhook_id",
        "type",
        "url",
        "status",
        "signature",
        "last_http_code",
    ]

    update = b"<webhook><type>STOP</type><url>https://mywebhook.com/stop</url></webhook>"
    updated = xml(await client.put(f"/webhook/{webhook_id}", content=update, headers=headers))
    assert updated.findtext("webhook/type") == "STOP"
    assert updated.findtext("webhook/url") == "https://mywebhook.com/stop"
    assert updated.findtext("webhook/status") == "live"
    assert updated.findtext("webhook/signature") == "mysignature123"
    assert updated.findtext("webhook/last_http_code") == ""

    status = b"<webhook><status>paused</status></webhook>"
    paused = xml(await client.put(f"/webhook/{webhook_id}/status", content=status, headers=headers))
    assert [child.tag for child in paused.findall("webhook/*")] == [
        "webhook_id",
        "status",
        "type",
        "url",
        "signature",
    ]
    assert paused.findtext("webhook/status") == "paused"

    logs = xml(await client.get(f"/webhook/{webhook_id}/logs", headers=headers))
    assert logs.findtext("totalRecords") == "0" and logs.find("logs") is not None

    deleted = xml(await client.delete(f"/webhook/{webhook_id}", headers=headers))
    assert deleted.findtext("deleted_id") == webhook_id
    assert await webhook_count(platform) == 0


async def test_xml_bad_input_is_refused_in_xml(client, customer, platform):
    headers = {**customer.bearer, **XML}
    body = b"<webhook><type>SMS</type><url>https://yourserverurl.com</url></webhook>"
    refused = xml(await client.post("/webhook", content=body, headers=headers))
    assert refused.findtext("status") == "-7"
    assert "type must be one of" in (refused.findtext("details") or "")
    nested = b'<webhook><type>DLR</type><url kind="x">https://a.com</url></webhook>'
    assert (
        xml(await client.post("/webhook", content=nested, headers=headers)).findtext("status")
        == "-7"
    )
    assert await webhook_count(platform) == 0


# --- the delivery log ----------------------------------------------------------------------


async def test_logs_show_attempts_newest_first_paged(client, customer, platform):
    created = await create(client, customer, {"type": "DLR", "url": URL})
    webhook_id = int(created["webhook"]["webhook_id"])
    at = to_ms(datetime(2026, 6, 27, 8, 14, 29, tzinfo=UTC))

    def work(conn):
        event = conn.execute(
            insert(webhook_events)
            .values(
                webhook_id=webhook_id,
                account_id=customer.account.id,
                type="DLR",
                payload="{}",
                created_at=at,
                next_attempt_at=at,
            )
            .returning(webhook_events.c.id)
        ).scalar_one()
        for attempt, code, error in (
            (1, None, "connection refused"),
            (2, 500, None),
            (3, 200, None),
        ):
            webhook_store.record_attempt(
                conn,
                event_id=event,
                webhook_id=webhook_id,
                attempt=attempt,
                attempted_at=at + attempt * 1000,
                http_code=code,
                latency_ms=10 * attempt,
                error=error,
            )
        return event

    event_id = await platform.db.write(work)
    reply = await client.get(
        f"/webhook/{webhook_id}/logs?start=0&length=2", headers=customer.bearer
    )
    assert reply.json() == {
        "status": 1,
        "message": "OK",
        "logs": [
            {
                "date": "2026-06-27 10:14:32",
                "event_id": str(event_id),
                "attempt": 3,
                "http_code": 200,
                "latency_ms": 30,
                "error": None,
            },
            {
                "date": "2026-06-27 10:14:31",
                "event_id": str(event_id),
                "attempt": 2,
                "http_code": 500,
                "latency_ms": 20,
                "error": None,
            },
        ],
        "totalRecords": 3,
        "totalDisplayRecords": 3,
    }
    rest = await client.get(f"/webhook/{webhook_id}/logs?start=2", headers=customer.bearer)
    assert [(log["attempt"], log["error"]) for log in rest.json()["logs"]] == [
        (1, "connection refused")
    ]
    listed = (await client.get("/webhook", headers=customer.bearer)).json()["webhooks"]
    assert listed[0]["last_http_code"] == 200
    bad = await client.get(f"/webhook/{webhook_id}/logs?length=5000", headers=customer.bearer)
    assert bad.json()["status"] == -7
    words = await client.get(f"/webhook/{webhook_id}/logs?start=x", headers=customer.bearer)
    assert words.json()["status"] == -7

    root = xml(await client.get(f"/webhook/{webhook_id}/logs", headers={**customer.bearer, **XML}))
    entries = root.findall("logs/log")
    assert [entry.findtext("attempt") for entry in entries] == ["3", "2", "1"]
    assert entries[2].findtext("http_code") == "" and entries[2].findtext("error") == (
        "connection refused"
    )


async def test_the_php_sdks_webhook_calls_succeed_in_its_order(client, customer):
    """smsfactor-php-sdk's testCreateWebhook, testUpdateWebhook, testGetWebhooks and
    testDeleteWebhook, as its ApiRequestor sends them (JSON in and out, a bearer token)."""
    headers = {**customer.bearer, "Content-Type": "application/json"}
    created = await client.post(
        "/webhook", json={"webhook": {"type": "DLR", "url": URL}}, headers=headers
    )
    assert (created.status_code, created.json()["status"]) == (200, 1)
    webhook_id = created.json()["webhook"]["webhook_id"]
    updated = await client.put(
        f"/webhook/{webhook_id}",
        json={"webhook": {"type": "MO", "url": "https://yourserverurl.net"}},
        headers=headers,
    )
    assert (updated.status_code, updated.json()["status"]) == (200, 1)
    assert updated.json()["webhook"]["webhook_id"] == webhook_id
    listed = await client.get("/webhook", headers=headers)
    assert [w["type"] for w in listed.json()["webhooks"]] == ["MO"]
    deleted = await client.delete(f"/webhook/{webhook_id}", headers=headers)
    assert (deleted.status_code, deleted.json()["status"]) == (200, 1)
    assert "deleted_id" in deleted.json()
