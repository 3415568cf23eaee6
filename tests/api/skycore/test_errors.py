"""Every Skycore error code a request can trigger, with the failure body of §3.1, HTTP 200,
and nothing stored and no credit taken."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.api.skycore.support import MOBILE, MSISDN, PATH, call, key, sms, stored

from relais.api.app import create_app
from relais.services import account_policy, credits, suspension, tokens


def assert_failure(reply: dict, code: str, to: str = MSISDN) -> None:
    assert list(reply) == ["status", "error-code", "error-info", "to"], reply
    assert reply["status"] == "Failure"
    assert reply["error-code"] == code, reply
    assert reply["error-info"]
    assert reply["to"] == to


async def refused(client, platform, token: str, body, code: str, to: str = MSISDN) -> dict:
    before = await stored(platform)
    reply = await call(client, token, body)
    assert_failure(reply, code, to)
    assert await stored(platform) == before
    return reply


# --- E100 invalid request -------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[1, 2]", b'"sendsms"', b"\xff\xfe", b"action=sendsms&to=1"],
)
async def test_a_body_that_is_not_a_json_object_is_e100(client, customer, platform, content):
    before = await stored(platform)
    reply = await client.post(PATH, content=content, headers=key(customer.token))
    assert reply.status_code == 200
    assert_failure(reply.json(), "E100", to="")
    assert reply.json()["error-info"].startswith(
        "Invalid request. Please make a valid JSON POST request with all the required variables."
    )
    assert await stored(platform) == before


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"action": None}, "action is required"),
        ({"action": 7}, "action is required"),
        ({"message-text": None}, "message-text is required"),
        ({"message-text": ""}, "message-text is required"),
        ({"message-text": {"a": 1}}, "message-text must be a string"),
        ({"from": None}, "from is required"),
        ({"from": ["00000"]}, "from must be a string"),
        ({"click-tracking": "maybe"}, "click-tracking must be true or false"),
        ({"click-tracking": [True]}, "click-tracking must be true or false"),
    ],
)
async def test_missing_or_mistyped_fields_are_e100(client, customer, platform, changes, cause):
    reply = await refused(client, platform, customer.token, sms(**changes), "E100")
    assert cause in reply["error-info"]


async def test_missing_to_is_e100_with_an_empty_to(client, customer, platform):
    body = sms()
    del body["to"]
    reply = await refused(client, platform, customer.token, body, "E100", to="")
    assert "to is required" in reply["error-info"]


# --- E103-E109 authentication ----------------------------------------------------------


async def test_no_key_is_e103(client, customer, platform):
    before = await stored(platform)
    reply = await client.post(PATH, json=sms())
    assert reply.status_code == 200
    assert_failure(reply.json(), "E103")
    blank = await client.post(PATH, json=sms(), headers={"x-api-key": " "})
    assert_failure(blank.json(), "E103")
    assert await stored(platform) == before


async def test_a_wrong_key_is_e104_even_with_a_bad_body(client, customer, platform):
    await refused(client, platform, "not-a-token", sms(), "E104")
    reply = await client.post(PATH, content=b"{", headers=key("not-a-token"))
    assert_failure(reply.json(), "E104", to="")


async def test_the_key_is_case_sensitive(client, customer, platform):
    await refused(client, platform, customer.token.swapcase(), sms(), "E104")


async def test_an_expired_key_is_e105(client, customer, platform):
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    platform.clock = lambda: now[0]
    token = await tokens.create_token(platform, account_id=customer.account.id, ttl=60)
    now[0] += timedelta(seconds=61)
    await refused(client, platform, token.value, sms(), "E105")


async def test_a_key_from_an_address_it_does_not_allow_is_e106(client, customer, platform):
    token = await tokens.create_token(
        platform, account_id=customer.account.id, allowed_ips=["10.1.2.3"]
    )
    transport = httpx.ASGITransport(app=create_app(platform), client=("10.9.9.9", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as stranger:
        await refused(stranger, platform, token.value, sms(), "E106")
    transport = httpx.ASGITransport(app=create_app(platform), client=("10.1.2.3", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as friend:
        assert (await call(friend, token.value, sms()))["status"] == "Success"


async def test_a_suspended_account_is_e109(client, customer, platform):
    await suspension.suspend(platform, actor="test", account_id=customer.account.id)
    await refused(client, platform, customer.token, sms(), "E109")


# --- E110 and the others of this dialect ----------------------------------------------


async def test_an_unknown_action_is_e110(client, customer, platform):
    reply = await refused(client, platform, customer.token, sms(action="sendmms"), "E110")
    assert "sendmms" in reply["error-info"]


@pytest.mark.parametrize(
    "changes",
    [
        {"from": "no!such sender"},
        {"from": "12"},
        {"from-mask": "Mask*Shop"},
    ],
)
async def test_an_invalid_sender_or_mask_is_e111(client, customer, platform, changes):
    reply = await refused(client, platform, customer.token, sms(**changes), "E111")
    assert reply["error-info"] == "Invalid Sender."


@pytest.mark.parametrize("to", ["+10000000001", "0612345678", "+1202555", "12025550123x", True])
async def test_a_number_no_plan_allows_is_e112(client, customer, platform, to):
    echo = "" if to is True else str(to).removeprefix("+")
    code = "E100" if to is True else "E112"
    await refused(client, platform, customer.token, sms(to=to), code, to=echo)


async def test_a_text_beyond_the_allowed_parts_is_e113(client, customer, platform):
    await refused(client, platform, customer.token, sms(**{"message-text": "x" * 1531}), "E113")


async def test_a_tracked_link_that_cannot_be_tracked_is_e113(client, customer, platform):
    body = sms(**{"message-text": "See https://" + "a" * 2000 + ".example", "click-tracking": 1})
    await refused(client, platform, customer.token, body, "E113")


async def test_a_campaign_ref_too_long_is_e121(client, customer, platform):
    await refused(client, platform, customer.token, sms(**{"campaign-ref": "c" * 101}), "E121")


async def test_insufficient_credits_is_e713(client, platform):
    from tests.support import make_customer

    poor = await make_customer(platform, email="poor@example.com", credits=0)
    before = await stored(platform)
    reply = await call(client, poor.token, sms())
    assert_failure(reply, "E713")
    assert reply["error-info"] == "There is billing problem on your account."
    assert await stored(platform) == before


# --- recipients screened out: no message, no credit ------------------------------------


async def screened(client, customer, platform, code: str) -> None:
    before = await credits.balance(platform, account_id=customer.account.id)
    _, messages_before, _ = await stored(platform)
    reply = await call(client, customer.token, sms())
    assert_failure(reply, code)
    _, messages_after, _ = await stored(platform)
    assert messages_after == messages_before
    assert await credits.balance(platform, account_id=customer.account.id) == before


async def test_a_blacklisted_number_is_e116(client, customer, platform):
    listed = await client.post(
        "/blacklist",
        json={"blacklist": {"contacts": {"gsm": [MSISDN]}}},
        headers=customer.bearer,
    )
    assert listed.json()["status"] == 1
    await screened(client, customer, platform, "E116")


async def test_a_number_on_the_npai_list_is_e117(client, customer, platform):
    await client.post(
        "/npai", json={"npai": {"contacts": {"gsm": [MSISDN]}}}, headers=customer.bearer
    )
    await screened(client, customer, platform, "E117")


async def test_too_many_messages_to_one_number_is_e118(client, customer, platform):
    platform.settings = replace(platform.settings, flood_per_hour=1, flood_same_text_per_hour=0)
    assert (await call(client, customer.token, sms()))["status"] == "Success"
    await screened(client, customer, platform, "E118")


async def test_a_country_the_account_may_not_send_to_is_e119(client, customer, platform):
    await account_policy.set_allowed_countries(
        platform, actor="test", account_id=customer.account.id, countries=["FR"]
    )
    await screened(client, customer, platform, "E119")
    ok = await call(client, customer.token, sms(to="+33612345678"))
    assert ok["status"] == "Success"


async def test_a_country_over_its_monthly_cap_is_e120(client, customer, platform):
    await account_policy.set_country_cap(
        platform, actor="test", account_id=customer.account.id, country="US", monthly_limit=1
    )
    assert (await call(client, customer.token, sms()))["status"] == "Success"
    await screened(client, customer, platform, "E120")


async def test_failures_echo_the_number_without_plus(client, customer, platform):
    reply = await call(client, customer.token, sms(to=MOBILE, **{"from": "!"}))
    assert reply["to"] == MOBILE.removeprefix("+")
