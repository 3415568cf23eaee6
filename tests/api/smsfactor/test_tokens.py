"""POST /token, GET /token, GET /token/:id, DELETE /token/:id, and what a token's ttl and
allowed_ips do to the requests made with it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.api.app import create_app
from relais.store.tables import api_tokens, campaigns

MOBILE = "33612345678"
XML = {"Accept": "application/xml"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(client, customer, spec: dict) -> dict:
    reply = await client.post("/token", json={"token": spec}, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def token_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(api_tokens))


async def campaign_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(campaigns))


def client_from(platform, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(platform), client=(host, 1234))
    return httpx.AsyncClient(
        transport=transport, base_url="http://relais.test", headers={"Accept": "application/json"}
    )


async def test_create_token_without_options_shows_value_once(client, customer, platform):
    created = await create(client, customer, {"name": "Best token ever"})
    assert set(created) == {"status", "message", "token", "token_id", "allowed_ips"}
    assert created["status"] == 1 and created["message"] == "OK"
    assert created["allowed_ips"] is None
    assert isinstance(created["token_id"], str) and int(created["token_id"]) > 0
    value = created["token"]
    credits = await client.get("/credits", headers=bearer(value))
    assert credits.json()["status"] == 1

    listing = await client.get("/token", headers=customer.bearer)
    assert value not in listing.text
    one = await client.get(f"/token/{created['token_id']}", headers=customer.bearer)
    assert value not in one.text
    assert one.json()["token"]["name"] == "Best token ever"
    rows = await fetch_all(platform, select(api_tokens))
    assert rows and all(value not in str(column) for row in rows for column in row)


async def test_create_token_with_ttl_and_allowed_ips(client, customer, platform):
    now = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)
    platform.clock = lambda: now
    created = await create(
        client,
        customer,
        {"name": "scoped", "ttl": 3600, "allowed_ips": ["2a01:DB8::1", "192.168.2.0/24"]},
    )
    assert created["status"] == 1
    assert created["allowed_ips"] == ["2a01:db8::1", "192.168.2.0/24"]
    one = await client.get(f"/token/{created['token_id']}", headers=customer.bearer)
    assert one.json() == {
        "status": 1,
        "message": "OK",
        "token": {
            "name": "scoped",
            "api_token_id": int(created["token_id"]),
            "created_at": "2026-01-15 10:00:00",
            "expired_at": "2026-01-15 11:00:00",
            "ttl": 3600,
            "is_active": "1",
            "allowed_ips": ["2a01:db8::1", "192.168.2.0/24"],
        },
    }


async def test_list_tokens_shows_only_live_tokens_of_the_account(client, customer, platform):
    first = await create(client, customer, {"name": "one"})
    second = await create(client, customer, {"name": "two", "ttl": "60"})
    other = await make_customer(platform, email="other@example.com")
    await create(client, other, {"name": "theirs"})
    await client.delete(f"/token/{first['token_id']}", headers=customer.bearer)

    listing = (await client.get("/token", headers=customer.bearer)).json()
    assert listing["status"] == 1 and listing["message"] == "OK"
    names = [t["name"] for t in listing["tokens"]]
    assert names == ["", "two"]
    entry = listing["tokens"][1]
    assert set(entry) == {
        "name",
        "api_token_id",
        "created_at",
        "expired_at",
        "ttl",
        "is_active",
        "allowed_ips",
    }
    assert entry["api_token_id"] == int(second["token_id"])
    assert entry["ttl"] == 60 and entry["is_active"] == "1" and entry["allowed_ips"] is None
    datetime.strptime(entry["created_at"], "%Y-%m-%d %H:%M:%S")
    assert listing["tokens"][0]["expired_at"] is None and listing["tokens"][0]["ttl"] is None


async def test_token_of_another_account_is_minus_5(client, customer, platform):
    other = await make_customer(platform, email="other@example.com")
    theirs = await create(client, other, {"name": "theirs"})
    for path in (f"/token/{theirs['token_id']}", "/token/999999", "/token/abc"):
        assert (await client.get(path, headers=customer.bearer)).json()["status"] == -5, path
        assert (await client.delete(path, headers=customer.bearer)).json()["status"] == -5, path
    listing = (await client.get("/token", headers=customer.bearer)).json()
    assert theirs["token_id"] not in [str(t["api_token_id"]) for t in listing["tokens"]]
    still = await client.get("/credits", headers=bearer(theirs["token"]))
    assert still.json()["status"] == 1


async def test_delete_token_takes_effect_at_once(client, customer, platform):
    created = await create(client, customer, {"name": "short-lived"})
    token = created["token"]
    assert (await client.get("/credits", headers=bearer(token))).json()["status"] == 1
    assert platform.tokens.entries  # the token is cached now
    reply = await client.delete(f"/token/{created['token_id']}", headers=customer.bearer)
    assert reply.json() == {
        "status": 1,
        "message": "OK",
        "deleted_token": int(created["token_id"]),
    }
    refused = await client.get("/credits", headers=bearer(token))
    assert refused.json()["status"] == -1
    again = await client.delete(f"/token/{created['token_id']}", headers=customer.bearer)
    assert again.json()["status"] == -5
    gone = await client.get(f"/token/{created['token_id']}", headers=customer.bearer)
    assert gone.json()["status"] == -5


async def test_token_can_delete_itself(client, customer):
    created = await create(client, customer, {"name": "self"})
    token = created["token"]
    reply = await client.delete(f"/token/{created['token_id']}", headers=bearer(token))
    assert reply.json()["status"] == 1
    assert (await client.get("/token", headers=bearer(token))).json()["status"] == -1


async def test_token_expires_after_ttl(client, customer, platform):
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    platform.clock = lambda: now[0]
    created = await create(client, customer, {"name": "hour", "ttl": 3600})
    token = created["token"]
    now[0] += timedelta(seconds=3599)
    assert (await client.get("/credits", headers=bearer(token))).json()["status"] == 1
    now[0] += timedelta(seconds=1)
    expired = (await client.get("/credits", headers=bearer(token))).json()
    assert expired["status"] == -1
    listing = (await client.get("/token", headers=customer.bearer)).json()
    [entry] = [t for t in listing["tokens"] if t["name"] == "hour"]
    assert entry["is_active"] == "0" and entry["expired_at"] == "2026-03-01 14:00:00"


@pytest.mark.parametrize(
    ("allowed", "inside", "outside"),
    [
        (["10.1.2.3"], "10.1.2.3", "10.1.2.4"),
        (["192.168.2.0/24"], "192.168.2.77", "192.168.3.1"),
        (["2a01:db8::/32"], "2a01:db8::5", "2a02:db8::5"),
        (["2a01:db8::5"], "2a01:db8::5", "10.1.2.3"),
    ],
)
async def test_allowed_ips_restrict_the_caller_address(
    client, customer, platform, allowed, inside, outside
):
    created = await create(client, customer, {"name": "ip", "allowed_ips": allowed})
    token = created["token"]
    send = {"sms": {"message": {"text": "Hi"}, "recipients": {"gsm": [{"value": MOBILE}]}}}
    async with client_from(platform, outside) as stranger:
        refused = (await stranger.post("/send", json=send, headers=bearer(token))).json()
    assert refused["status"] == -1
    assert outside in refused["details"] and "allowed_ips" in refused["details"]
    assert await campaign_count(platform) == 0
    async with client_from(platform, inside) as friend:
        sent = (await friend.post("/send", json=send, headers=bearer(token))).json()
    assert sent["status"] == 1
    assert await campaign_count(platform) == 1


async def test_allowed_ips_do_not_limit_other_tokens(client, customer, platform):
    await create(client, customer, {"name": "ip", "allowed_ips": ["10.0.0.1"]})
    async with client_from(platform, "203.0.113.9") as anywhere:
        reply = await anywhere.get("/credits", headers=customer.bearer)
    assert reply.json()["status"] == 1


async def test_trusted_proxy_forwarded_for_names_the_caller(client, customer, platform):
    platform.settings = dataclasses.replace(platform.settings, trusted_proxies=("10.0.0.0/8",))
    token = (await create(client, customer, {"allowed_ips": ["198.51.100.7"]}))["token"]
    async with client_from(platform, "10.0.0.2") as proxy:
        # right-most untrusted hop wins; the left-most entry is client-controlled
        forwarded = {"X-Forwarded-For": "203.0.113.1, 198.51.100.7, 10.0.0.3"}
        ok = await proxy.get("/credits", headers={**bearer(token), **forwarded})
        assert ok.json()["status"] == 1
        spoofed = {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"}
        refused = await proxy.get("/credits", headers={**bearer(token), **spoofed})
        assert refused.json()["status"] == -1
        assert (await proxy.get("/credits", headers=bearer(token))).json()["status"] == -1
    async with client_from(platform, "192.0.2.1") as untrusted:
        forged = {"X-Forwarded-For": "198.51.100.7"}
        refused = await untrusted.get("/credits", headers={**bearer(token), **forged})
        assert refused.json()["status"] == -1


async def test_forwarded_for_is_ignored_without_trusted_proxies(client, customer, platform):
    token = (await create(client, customer, {"allowed_ips": ["198.51.100.7"]}))["token"]
    forged = {"X-Forwarded-For": "198.51.100.7"}
    async with client_from(platform, "10.0.0.2") as peer:
        refused = await peer.get("/credits", headers={**bearer(token), **forged})
    assert refused.json()["status"] == -1


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"name": "x", "ttl": "abc"}, "ttl"),
        ({"name": "x", "ttl": -5}, "ttl"),
        ({"name": "x", "ttl": 0}, "ttl"),
        ({"name": "x", "ttl": 1.5}, "ttl"),
        ({"name": "x", "allowed_ips": ["999.1.1.1"]}, "999.1.1.1"),
        ({"name": "x", "allowed_ips": ["10.0.0.0/33"]}, "10.0.0.0/33"),
        ({"name": "x", "allowed_ips": ["10.0.0.1", "nope"]}, "nope"),
        ({"name": "x", "allowed_ips": [12]}, "12"),
        ({"name": "x" * 201}, "name"),
    ],
)
async def test_create_token_with_bad_input_is_minus_7(client, customer, platform, spec, named):
    before = await token_count(platform)
    reply = await create(client, customer, spec)
    assert reply["status"] == -7
    assert named in reply["details"]
    assert await token_count(platform) == before


async def test_create_token_with_malformed_json_is_minus_6(client, customer, platform):
    before = await token_count(platform)
    reply = await client.post(
        "/token",
        content=b'{"token": {"name": ',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert reply.json()["status"] == -6
    assert await token_count(platform) == before


async def test_token_endpoints_in_xml(client, customer, platform):
    body = (
        "<token><name>xml token</name><ttl>2678400</ttl>"
        "<allowed_ips>2a01:db8::1</allowed_ips><allowed_ips>192.168.2.0/24</allowed_ips>"
        "</token>"
    )
    reply = await client.post(
        "/token",
        content=body,
        headers={**customer.bearer, **XML, "Content-Type": "application/xml"},
    )
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("status") == "1"
    token_id = root.findtext("token_id")
    assert root.findtext("token").startswith("rl_")
    assert [e.text for e in root.findall("allowed_ips")] == ["2a01:db8::1", "192.168.2.0/24"]

    one = ElementTree.fromstring(
        (await client.get(f"/token/{token_id}", headers={**customer.bearer, **XML})).content
    )
    assert one.findtext("token/name") == "xml token"
    assert one.findtext("token/ttl") == "2678400"
    assert [e.text for e in one.findall("token/allowed_ips")] == ["2a01:db8::1", "192.168.2.0/24"]
    listing = ElementTree.fromstring(
        (await client.get("/token", headers={**customer.bearer, **XML})).content
    )
    assert [t.findtext("api_token_id") for t in listing.findall("tokens")][-1] == token_id

    bad = await client.post(
        "/token",
        content="<token><name>x</name><allowed_ips>10.0.0.0/33</allowed_ips></token>",
        headers={**customer.bearer, **XML, "Content-Type": "application/xml"},
    )
    assert ElementTree.fromstring(bad.content).findtext("status") == "-7"
    deleted = ElementTree.fromstring(
        (await client.delete(f"/token/{token_id}", headers={**customer.bearer, **XML})).content
    )
    assert deleted.findtext("deleted_token") == token_id
    assert await token_count(platform) == 2


async def test_token_for_own_sub_account_acts_for_that_sub_account(client, customer, platform):
    from relais.services import accounts, sub_accounts

    await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    child = await accounts.find_account(platform, email="branch@example.com")
    reply = await client.post(
        f"/token/account/{child.id}", json={"token": {"name": "branch"}}, headers=customer.bearer
    )
    body = reply.json()
    assert body["status"] == 1 and body["token"].startswith("rl_")
    me = await client.get("/account", headers=bearer(body["token"]))
    assert me.json()["account"]["email"] == "branch@example.com"
    # The sub-account's token cannot mint tokens for its parent, nor can another account.
    up = await client.post(
        f"/token/account/{customer.account.id}", json={"token": {}}, headers=bearer(body["token"])
    )
    assert up.json()["status"] == -5
    stranger = await make_customer(platform, email="stranger@example.com")
    across = await client.post(
        f"/token/account/{child.id}", json={"token": {}}, headers=stranger.bearer
    )
    assert across.json()["status"] == -5
    bad = await client.post(
        f"/token/account/{child.id}", json={"token": {"ttl": -1}}, headers=customer.bearer
    )
    assert bad.json()["status"] == -7
    assert await token_count(platform) == 3  # customer, stranger, and the one branch token
