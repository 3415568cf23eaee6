"""services.webhooks: validation, ownership, delete with events and attempts, the delivery
log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.services import accounts, sub_accounts, webhooks
from relais.store import webhooks as webhook_store
from relais.store.tables import webhook_attempts, webhook_events
from relais.store.tables import webhooks as webhook_table

URL = "https://hooks.example.com/sms"


async def count(platform, table) -> int:
    return await fetch_value(platform, select(func.count()).select_from(table))


async def add_event(platform, webhook_id: int, account_id: int) -> int:
    """An outbox row as the event writer will store it (that writer comes later)."""
    return await platform.db.write(
        lambda conn: conn.execute(
            insert(webhook_events)
            .values(
                webhook_id=webhook_id,
                account_id=account_id,
                type="DLR",
                payload="{}",
                created_at=1,
                next_attempt_at=1,
            )
            .returning(webhook_events.c.id)
        ).scalar_one()
    )


async def add_attempt(platform, *, event_id, webhook_id, attempt, at, http_code, error=None):
    return await platform.db.write(
        lambda conn: webhook_store.record_attempt(
            conn,
            event_id=event_id,
            webhook_id=webhook_id,
            attempt=attempt,
            attempted_at=at,
            http_code=http_code,
            latency_ms=12 * attempt,
            error=error,
        )
    )


async def test_create_stores_the_type_upper_case_and_a_live_webhook(platform):
    shop = await make_customer(platform)
    row = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="dlr", url=URL, signature="s3cret"
    )
    assert (row.type, row.url, row.signature, row.status, row.last_http_code) == (
        "DLR",
        URL,
        "s3cret",
        "live",
        None,
    )
    listed = await webhooks.list_webhooks(platform, account_id=shop.account.id)
    assert listed == [row]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"type": "SMS", "url": URL}, InvalidField, "type must be one of"),
        ({"type": "", "url": URL}, MissingField, "type is missing"),
        ({"type": "DLR", "url": ""}, MissingField, "url is missing"),
        ({"type": "DLR", "url": "ftp://hooks.example.com/"}, InvalidField, "http"),
        ({"type": "DLR", "url": "hooks.example.com/sms"}, InvalidField, "http"),
        ({"type": "DLR", "url": "https://"}, InvalidField, "no host"),
        ({"type": "DLR", "url": "https://example.com:99999/"}, InvalidField, "not a valid URL"),
        ({"type": "DLR", "url": "https://[::1/"}, InvalidField, "not a valid URL"),
        ({"type": "DLR", "url": "https://user:pw@x.com/"}, InvalidField, "user name"),
        ({"type": "DLR", "url": "https://x.com/a b"}, InvalidField, "space"),
        ({"type": "DLR", "url": "https://x.com/" + "a" * 1990}, InvalidField, "2000"),
        ({"type": "DLR", "url": "https://x.com/\x00"}, InvalidField, "control"),
        ({"type": "D\x07LR", "url": URL}, InvalidField, "control"),
        ({"type": "DLR", "url": URL, "signature": "s" * 256}, InvalidField, "255"),
        ({"type": "DLR", "url": URL, "signature": "a\x00b"}, InvalidField, "control"),
        ({"type": "DLR", "url": URL, "signature": "a\x85b"}, InvalidField, "control"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(platform, fields, error, message):
    shop = await make_customer(platform)
    with pytest.raises(error, match=message):
        await webhooks.create_webhook(platform, account_id=shop.account.id, **fields)
    assert await count(platform, webhook_table) == 0


async def test_limits_are_inclusive(platform):
    shop = await make_customer(platform)
    url = "https://x.com/" + "a" * (2000 - len("https://x.com/"))
    row = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="MO", url=url, signature="s" * 255
    )
    assert len(row.url) == 2000 and len(row.signature or "") == 255


async def test_an_account_has_at_most_max_webhooks(platform, monkeypatch):
    shop = await make_customer(platform)
    monkeypatch.setattr(webhooks, "MAX_WEBHOOKS", 2)
    for kind in ("MO", "STOP"):
        await webhooks.create_webhook(platform, account_id=shop.account.id, type=kind, url=URL)
    with pytest.raises(InvalidField, match="at most 2"):
        await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    assert await count(platform, webhook_table) == 2


async def test_update_changes_what_is_given_and_an_empty_signature_removes_it(platform):
    shop = await make_customer(platform)
    row = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="MO", url=URL, signature="k"
    )
    changed = await webhooks.update_webhook(
        platform, account_id=shop.account.id, webhook_id=row.id, type="stop"
    )
    assert (changed.type, changed.url, changed.signature) == ("STOP", URL, "k")
    cleared = await webhooks.update_webhook(
        platform, account_id=shop.account.id, webhook_id=row.id, signature=""
    )
    assert cleared.signature is None
    with pytest.raises(MissingField, match="Nothing to change"):
        await webhooks.update_webhook(platform, account_id=shop.account.id, webhook_id=row.id)
    with pytest.raises(InvalidField, match="http"):
        await webhooks.update_webhook(
            platform, account_id=shop.account.id, webhook_id=row.id, url="mailto:a@b.c"
        )
    assert await webhooks.list_webhooks(platform, account_id=shop.account.id) == [cleared]


async def test_status_is_live_or_paused_in_any_case(platform):
    shop = await make_customer(platform)
    row = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    paused = await webhooks.set_status(
        platform, account_id=shop.account.id, webhook_id=row.id, status="PAUSED"
    )
    assert paused.status == "paused"
    with pytest.raises(InvalidField, match="live or paused"):
        await webhooks.set_status(
            platform, account_id=shop.account.id, webhook_id=row.id, status="off"
        )
    with pytest.raises(MissingField):
        await webhooks.set_status(
            platform, account_id=shop.account.id, webhook_id=row.id, status=""
        )


async def test_another_accounts_webhook_is_not_found(platform):
    shop = await make_customer(platform)
    other = await make_customer(platform, email="other@example.com")
    row = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    theirs = {"account_id": other.account.id, "webhook_id": row.id}
    with pytest.raises(NotFound):
        await webhooks.update_webhook(platform, **theirs, url="https://evil.example.com/")
    with pytest.raises(NotFound):
        await webhooks.set_status(platform, **theirs, status="paused")
    with pytest.raises(NotFound):
        await webhooks.delete_webhook(platform, **theirs)
    with pytest.raises(NotFound):
        await webhooks.webhook_logs(platform, **theirs)
    assert await webhooks.list_webhooks(platform, account_id=other.account.id) == []
    assert await webhooks.list_webhooks(platform, account_id=shop.account.id) == [row]


async def test_parent_and_sub_account_each_see_only_their_own(platform):
    shop = await make_customer(platform)
    await sub_accounts.open_account(
        platform,
        caller=shop.account,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    child = await accounts.find_account(platform, email="branch@example.com")
    mine = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    its = await webhooks.create_webhook(platform, account_id=child.id, type="MO", url=URL + "/c")
    assert await webhooks.list_webhooks(platform, account_id=child.id) == [its]
    assert await webhooks.list_webhooks(platform, account_id=shop.account.id) == [mine]
    with pytest.raises(NotFound):
        await webhooks.delete_webhook(platform, account_id=shop.account.id, webhook_id=its.id)
    with pytest.raises(NotFound):
        await webhooks.delete_webhook(platform, account_id=child.id, webhook_id=mine.id)


async def test_delete_takes_the_events_and_attempts_with_it(platform):
    shop = await make_customer(platform)
    gone = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    kept = await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    for row in (gone, kept):
        event = await add_event(platform, row.id, shop.account.id)
        await add_attempt(
            platform, event_id=event, webhook_id=row.id, attempt=1, at=5, http_code=500
        )
    await webhooks.delete_webhook(platform, account_id=shop.account.id, webhook_id=gone.id)
    assert [r.webhook_id for r in await fetch_all(platform, select(webhook_events))] == [kept.id]
    assert [r.webhook_id for r in await fetch_all(platform, select(webhook_attempts))] == [kept.id]
    assert [r.id for r in await webhooks.list_webhooks(platform, account_id=shop.account.id)] == [
        kept.id
    ]
    with pytest.raises(NotFound):
        await webhooks.delete_webhook(platform, account_id=shop.account.id, webhook_id=gone.id)


async def test_logs_are_newest_first_and_paged_and_set_last_http_code(platform):
    shop = await make_customer(platform)
    row = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    event = await add_event(platform, row.id, shop.account.id)
    await add_attempt(
        platform, event_id=event, webhook_id=row.id, attempt=1, at=1000, http_code=503
    )
    await add_attempt(
        platform, event_id=event, webhook_id=row.id, attempt=2, at=2000, http_code=None, error="x"
    )
    await add_attempt(
        platform, event_id=event, webhook_id=row.id, attempt=3, at=3000, http_code=200
    )
    page = await webhooks.webhook_logs(platform, account_id=shop.account.id, webhook_id=row.id)
    assert page.total == 3
    assert [(a.attempt, a.http_code, a.error) for a in page.rows] == [
        (3, 200, None),
        (2, None, "x"),
        (1, 503, None),
    ]
    second = await webhooks.webhook_logs(
        platform, account_id=shop.account.id, webhook_id=row.id, start=1, length=1
    )
    assert (second.total, [a.attempt for a in second.rows]) == (3, [2])
    with pytest.raises(InvalidField, match="length"):
        await webhooks.webhook_logs(
            platform, account_id=shop.account.id, webhook_id=row.id, length=0
        )
    (listed,) = await webhooks.list_webhooks(platform, account_id=shop.account.id)
    assert listed.last_http_code == 200  # a failed connection leaves the last code as it was
