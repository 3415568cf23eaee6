"""Clicks on tracked short links through a real `relais serve` process and a real HTTP
client: the 302 to the long URL, each recipient's own code, the counts in GET /campaign/:id,
the CLICKER event at a real receiver with the contact's fields, robots and HEAD not counted,
unknown codes 404 (both backends)."""

from __future__ import annotations

import json
import re
import signal

import httpx
from tests.api.smsfactor.test_send_lists import make_list
from tests.support import free_port, kill, make_customer, serving_process, wait_until
from tests.webhooks.receiver import Receiver

SHOP = "https://shop.example/offer?id=42"
NEWS = "https://news.example/today"
ANN, BOB = "33612345678", "33612345679"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PIXEL = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile"
PREVIEW = "facebookexternalhit/1.1 Facebot Twitterbot/1.0"
ALL_TIME = {"date_start": "2000-01-01 00:00:00", "date_end": "2099-12-31 23:59:59"}


async def test_clicks_redirect_count_and_reach_the_clicker_webhook(platform, database_url):
    shop = await make_customer(platform)
    list_id = await make_list(
        platform, shop, (ANN, "Ann", "Gold", "", "Lyon"), (BOB, "Bob", "", "", "")
    )
    port = free_port()
    async with Receiver() as receiver:
        server = await serving_process(database_url, port)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Accept": "application/json", **shop.bearer},
            ) as api:
                hook = await api.post(
                    "/webhook", json={"webhook": {"type": "CLICKER", "url": receiver.url}}
                )
                assert hook.json()["status"] == 1
                sent = await api.post(
                    "/send/lists",
                    json={
                        "sms": {
                            "message": {
                                "text": "Hi [info1] <-short-> and <-short->",
                                "links": [SHOP, NEWS],
                            },
                            "lists": [{"value": list_id}],
                        }
                    },
                )
                assert sent.json()["status"] == 1, sent.json()
                ticket = sent.json()["ticket"]
                log = await api.get("/messages", params=ALL_TIME)
                texts = {row["destination"]: row["message"] for row in log.json()["messages"]}
                base = f"http://127.0.0.1:{port}/l/"
                ann_links = re.findall(re.escape(base) + r"[0-9A-Za-z]{7}", texts[ANN])
                bob_links = re.findall(re.escape(base) + r"[0-9A-Za-z]{7}", texts[BOB])
                assert len(ann_links) == len(bob_links) == 2
                assert set(ann_links).isdisjoint(bob_links)

            # A phone follows the links: no credentials, only the code.
            async with httpx.AsyncClient(follow_redirects=False) as phone:

                async def click(url: str, agent: str = IPHONE, method: str = "GET"):
                    return await phone.request(method, url, headers={"User-Agent": agent})

                first = await click(ann_links[0])
                assert (first.status_code, first.headers["location"]) == (302, SHOP)
                assert first.headers["cache-control"] == "no-store"
                assert (await click(ann_links[0])).status_code == 302
                news = await click(ann_links[1], PIXEL)
                assert (news.status_code, news.headers["location"]) == (302, NEWS)
                assert (await click(bob_links[0])).headers["location"] == SHOP
                # A link preview and a HEAD are redirected but are no clicks.
                assert (await click(bob_links[1], PREVIEW)).headers["location"] == NEWS
                assert (await click(bob_links[1], method="HEAD")).status_code == 302
                # Codes this server never gave.
                assert (await click(base + "0000000")).status_code == 404
                assert (await click(base + "abc")).status_code == 404
                assert (await click(ann_links[0][:-1] + "!")).status_code == 404

            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Accept": "application/json", **shop.bearer},
            ) as api:
                report = (await api.get(f"/campaign/{ticket}")).json()["campaign"][0]
                assert (report["clicks"], report["unique_clicks"]) == ("4", "2")

                async def all_told() -> bool:
                    return len(receiver.received) >= 4

                await wait_until(all_told, seconds=15)
        finally:
            kill(server, signal.SIGTERM)
            await server.wait()
    bodies = [json.loads(r.body) for r in receiver.received]
    assert len(bodies) == 4
    assert all(r.headers["content-type"] == "application/json" for r in receiver.received)
    by_click = sorted(bodies, key=lambda b: (b["info1"], b["long_url"], b["clicks_on_link"]))
    ann_code = ann_links[0].rsplit("/", 1)[1]
    assert by_click[0] == {
        "campaign_id": ticket,
        "gsmsid": None,
        "date": by_click[0]["date"],
        "long_url": NEWS,
        "short_url": ann_links[1].rsplit("/", 1)[1],
        "brand": "Google",
        "model": "Pixel 8",
        "os": "Android",
        "info1": "Ann",
        "info2": "Gold",
        "info3": "",
        "info4": "Lyon",
        "clicks_on_link": "1",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", by_click[0]["date"])
    assert [(b["short_url"], b["clicks_on_link"], b["brand"]) for b in by_click[1:3]] == [
        (ann_code, "1", "Apple"),
        (ann_code, "2", "Apple"),
    ]
    assert (by_click[3]["info1"], by_click[3]["long_url"], by_click[3]["model"]) == (
        "Bob",
        SHOP,
        "iPhone",
    )
