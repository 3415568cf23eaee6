"""Tracked short links in POST /send and POST /send/lists (api_reference §1.4.6): JSON and
XML, each recipient's own code on the link base, the link's length in parts and cost, the
texts as sent in GET /messages and to the carrier, and every bad input refused with -7
leaving nothing stored and nothing taken."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.api.smsfactor.test_send_lists import make_list
from tests.support import fetch_all, fetch_value

from relais.core.instant import to_ms
from relais.services import account_policy
from relais.services.delivery_reports import claim_due
from relais.services.short_links import link_base, short_links
from relais.store.tables import campaigns, credit_ledger, messages

ALL_TIME = {"date_start": "2000-01-01 00:00:00", "date_end": "2099-12-31 23:59:59"}
SHOP = "https://shop.example/offer?id=42"
NEWS = "https://news.example/today"
FIRST, SECOND = "33612345678", "33612345679"


def campaign(text: str, links, *numbers: str) -> dict:
    return {
        "sms": {
            "message": {"text": text, "links": links},
            "recipients": {"gsm": [{"value": n, "gsmsmsid": f"g-{n}"} for n in numbers]},
        }
    }


async def sent_texts(client, customer) -> dict[str, str]:
    reply = await client.get("/messages", params=ALL_TIME, headers=customer.bearer)
    assert reply.json()["status"] == 1, reply.json()
    return {row["destination"]: row["message"] for row in reply.json()["messages"]}


def codes_in(text: str, base: str) -> list[str]:
    return re.findall(re.escape(base) + r"/([0-9A-Za-z]{7})\b", text)


async def test_each_recipient_gets_their_own_links_in_place_of_the_placeholders(
    client, customer, platform
):
    reply = await client.post(
        "/send",
        json=campaign("Sale <-short-> and news <-short->", [SHOP, NEWS], FIRST, SECOND),
        headers=customer.bearer,
    )
    assert reply.json()["status"] == 1, reply.json()
    base = link_base(platform.settings)
    assert base == f"http://127.0.0.1:{platform.settings.port}/l"  # the server's own address
    texts = await sent_texts(client, customer)
    links = await short_links(platform)
    ids = dict(await fetch_all(platform, select(messages.c.destination, messages.c.id)))
    for number in (FIRST, SECOND):
        codes = codes_in(texts[number], base)
        assert codes == [links.code(ids[number], 0), links.code(ids[number], 1)]
        assert texts[number] == f"Sale {base}/{codes[0]} and news {base}/{codes[1]}"
    assert set(codes_in(texts[FIRST], base)).isdisjoint(codes_in(texts[SECOND], base))
    # The database keeps the placeholders and the long URLs once, on the campaign.
    stored = await fetch_all(platform, select(campaigns.c.text, campaigns.c.links))
    assert stored == [("Sale <-short-> and news <-short->", f'["{SHOP}","{NEWS}"]')]


async def test_the_carrier_gets_the_text_with_the_recipients_links(client, customer, platform):
    await client.post(
        "/send", json=campaign("Go <-short->", [SHOP], FIRST, SECOND), headers=customer.bearer
    )
    claimed = await claim_due(
        platform,
        connector="simulator",
        now_ms=to_ms(datetime.now(UTC)) + 1000,
        limit=10,
        lease_ms=60_000,
    )
    texts = await sent_texts(client, customer)
    assert {m.destination: m.text for m in claimed} == texts
    assert all(re.fullmatch(r"Go http://\S+/l/[0-9A-Za-z]{7}", text) for text in texts.values())


async def test_the_link_base_can_be_set_and_its_length_is_priced(client, customer, platform):
    platform.settings = replace(platform.settings, short_link_base="https://go.example.com/s")
    platform.settings_cache.clear()
    # 150 GSM characters fit one part; the link (28 characters) makes it two.
    text = "x" * 150 + " <-short->"
    reply = await client.post("/send", json=campaign(text, [SHOP], FIRST), headers=customer.bearer)
    assert (reply.json()["status"], reply.json()["cost"]) == (1, 2)
    assert await fetch_value(platform, select(messages.c.parts)) == 2
    [sent] = (await sent_texts(client, customer)).values()
    assert len(sent) == 150 + 1 + len("https://go.example.com/s/") + 7
    assert sent.startswith("x" * 150 + " https://go.example.com/s/")


async def test_links_in_xml_are_repeated_links_elements(client, customer):
    xml = (
        "<sms><message><text><![CDATA[Sale <-short-> news <-short->]]></text>"
        f"<links><![CDATA[{SHOP}]]></links><links>{NEWS}</links></message>"
        f"<recipients><gsm>{FIRST}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/send",
        content=xml,
        headers={**customer.bearer, "Content-Type": "application/xml", "Accept": "application/xml"},
    )
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("status") == "1", reply.text
    [text] = (await sent_texts(client, customer)).values()
    assert text.count("/l/") == 2


async def test_a_single_link_in_xml_is_one_element(client, customer):
    xml = (
        f"<sms><message><text>Go &lt;-short-&gt;</text><links>{SHOP}</links></message>"
        f"<recipients><gsm>{FIRST}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/send", content=xml, headers={**customer.bearer, "Content-Type": "application/xml"}
    )
    assert reply.json()["status"] == 1, reply.json()


@pytest.mark.parametrize(
    ("text", "links", "why"),
    [
        ("Go <-short->", [], "1 <-short-> placeholder(s) for 0 link(s)"),
        ("Go", [SHOP], "0 <-short-> placeholder(s) for 1 link(s)"),
        ("Go <-short-> <-short->", [SHOP], "2 <-short-> placeholder(s) for 1 link(s)"),
        ("Go <-short->", ["ftp://files.example/a"], "must start with http"),
        ("Go <-short->", ["not a url"], "spaces"),
        ("Go <-short->", [{"url": SHOP}], "text"),
        ("<-short->" * 9, [SHOP] * 9, "At most 8 links"),
    ],
)
async def test_bad_links_are_refused_with_nothing_stored_or_taken(
    client, customer, platform, text, links, why
):
    reply = await client.post("/send", json=campaign(text, links, FIRST), headers=customer.bearer)
    body = reply.json()
    assert (reply.status_code, body["status"]) == (200, -7), body
    assert why in body["details"]
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == 1
    credits = await client.get("/credits", headers=customer.bearer)
    assert credits.json()["credits"] == "100"


async def test_a_simulation_prices_the_links_and_stores_nothing(client, customer, platform):
    text = "x" * 150 + " <-short->"
    reply = await client.post(
        "/send/simulate", json=campaign(text, [SHOP], FIRST), headers=customer.bearer
    )
    assert (reply.json()["status"], reply.json()["cost"]) == (1, 2)
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0


async def test_a_list_campaign_gives_each_contact_their_own_link(client, customer, platform):
    list_id = await make_list(platform, customer, (FIRST, "Ann"), (SECOND, "Bob"))
    body = {
        "sms": {
            "message": {"text": "Hi [info1] <-short->", "links": [SHOP]},
            "lists": [{"value": list_id}],
        }
    }
    reply = await client.post("/send/lists", json=body, headers=customer.bearer)
    assert reply.json()["status"] == 1, reply.json()
    base = link_base(platform.settings)
    texts = await sent_texts(client, customer)
    assert texts[FIRST].startswith(f"Hi Ann {base}/")
    assert texts[SECOND].startswith(f"Hi Bob {base}/")
    assert codes_in(texts[FIRST], base) != codes_in(texts[SECOND], base)


async def test_a_list_campaign_with_a_placeholder_mismatch_is_refused(client, customer, platform):
    list_id = await make_list(platform, customer, (FIRST, "Ann"))
    body = {"sms": {"message": {"text": "Hi <-short->"}, "lists": [{"value": list_id}]}}
    reply = await client.post("/send/lists", json=body, headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0


async def test_moderation_link_rules_judge_where_the_link_leads(client, customer, platform):
    await account_policy.add_moderation_rule(
        platform, actor="op:test", account_id=customer.account.id, kind="link", value="shop.example"
    )
    held = await client.post(
        "/send", json=campaign("Go <-short->", [SHOP], FIRST), headers=customer.bearer
    )
    assert held.json()["status"] == -8
    passed = await client.post(
        "/send", json=campaign("Read <-short->", [NEWS], SECOND), headers=customer.bearer
    )
    assert passed.json()["status"] == 1
