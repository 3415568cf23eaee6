"""Following a short link: the long URL, the click and its CLICKER event written together
(or not at all), robots and visits not counted, codes that lead nowhere refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value

from relais.core.errors import NotFound
from relais.services import webhooks
from relais.services.sending.numbers import Recipient, Submission, send
from relais.services.short_links import follow, short_links
from relais.store import retention as retention_store
from relais.store.tables import link_clicks, messages, webhook_events

SHOP = "https://shop.example/offer"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"


async def linked_message(platform, customer, text="Go <-short->", links=(SHOP,)) -> int:
    report = await send(
        platform,
        account=customer.account,
        submission=Submission(text, [Recipient("33612345678", "order-7")], links=links),
    )
    return await fetch_value(
        platform, select(messages.c.id).where(messages.c.campaign_id == report.ticket)
    )


async def clicks(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(link_clicks))


async def test_a_click_is_stored_with_its_handset_and_told_as_clicker(platform, customer):
    hook = await webhooks.create_webhook(
        platform, account_id=customer.account.id, type="CLICKER", url="https://hooks.example/c"
    )
    message_id = await linked_message(platform, customer)
    code = (await short_links(platform)).code(message_id, 0)
    assert await follow(platform, code=code, user_agent=IPHONE) == SHOP
    assert await follow(platform, code=code, user_agent=IPHONE) == SHOP
    rows = await fetch_all(
        platform, select(link_clicks.c.message_id, link_clicks.c.brand, link_clicks.c.os)
    )
    assert rows == [(message_id, "Apple", "iOS")] * 2
    events = await fetch_all(
        platform,
        select(
            webhook_events.c.webhook_id, webhook_events.c.type, webhook_events.c.payload
        ).order_by(webhook_events.c.id),
    )
    assert [(w, t) for w, t, _ in events] == [(hook.id, "CLICKER")] * 2
    first, second = (json.loads(payload) for _, _, payload in events)
    assert (first["gsmsid"], first["short_url"], first["long_url"]) == ("order-7", code, SHOP)
    assert (first["clicks_on_link"], second["clicks_on_link"]) == ("1", "2")
    assert first["info1"] == first["info4"] == ""


async def test_without_a_live_clicker_webhook_the_click_is_only_counted(platform, customer):
    hook = await webhooks.create_webhook(
        platform, account_id=customer.account.id, type="CLICKER", url="https://hooks.example/c"
    )
    await webhooks.set_status(
        platform, account_id=customer.account.id, webhook_id=hook.id, status="paused"
    )
    message_id = await linked_message(platform, customer)
    code = (await short_links(platform)).code(message_id, 0)
    await follow(platform, code=code, user_agent=IPHONE)
    assert await clicks(platform) == 1
    assert await fetch_value(platform, select(func.count()).select_from(webhook_events)) == 0


async def test_robots_and_uncounted_visits_are_redirected_without_a_click(platform, customer):
    message_id = await linked_message(platform, customer)
    code = (await short_links(platform)).code(message_id, 0)
    assert await follow(platform, code=code, user_agent="WhatsApp/2.23") == SHOP
    assert await follow(platform, code=code, user_agent=IPHONE, count=False) == SHOP
    assert await clicks(platform) == 0


async def test_codes_that_lead_nowhere_are_not_found(platform, customer):
    links = await short_links(platform)
    message_id = await linked_message(platform, customer)
    plain = await linked_message(platform, customer, text="No link", links=())
    for code in (
        links.code(message_id, 1),  # the message has one link only
        links.code(plain, 0),  # a message without links
        links.code(message_id + 1000, 0),  # no such message
        "0000000",
        "short",
    ):
        with pytest.raises(NotFound):
            await follow(platform, code=code, user_agent=IPHONE)
    assert await clicks(platform) == 0


async def settle(platform) -> None:
    await platform.db.write(
        lambda conn: conn.execute(messages.update().values(status="delivered", done_at=1))
    )


async def test_a_purged_campaign_text_takes_its_links_with_it(platform, customer):
    message_id = await linked_message(platform, customer)
    code = (await short_links(platform)).code(message_id, 0)
    await follow(platform, code=code, user_agent=IPHONE)
    await settle(platform)
    await platform.db.write(
        lambda conn: retention_store.erase_campaign_texts(
            conn,
            account_id=customer.account.id,
            before_ms=2**60,
            now_ms=1,
            limit=10,
            max_messages=100,
        )
    )
    with pytest.raises(NotFound):
        await follow(platform, code=code, user_agent=IPHONE)
    assert await clicks(platform) == 1  # counts stay for the campaign's report


async def test_a_deleted_campaign_takes_its_clicks_with_it(platform, customer):
    message_id = await linked_message(platform, customer)
    code = (await short_links(platform)).code(message_id, 0)
    await follow(platform, code=code, user_agent=IPHONE)
    await settle(platform)
    batch = await platform.db.write(
        lambda conn: retention_store.delete_campaigns(
            conn, account_id=customer.account.id, before_ms=2**60, limit=10, max_messages=100
        )
    )
    assert batch.campaigns == 1
    assert await clicks(platform) == 0
