"""`sendsms` (§3.1): the success body, the seed's own examples, the action in any case,
the sender and its mask, the number with or without "+", and the message billed and
queued through the same sending path as SMSFactor's."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.api.skycore.support import MOBILE, MSISDN, PATH, call, sms
from tests.support import fetch_all

from relais.services import account_policy, credits
from relais.store.tables import campaigns, messages

SEED_EXAMPLE_1 = {
    "action": "sendsms",
    "message-text": "This message is sent for testing purposes only.",
    "to": MOBILE,
    "from": "00000",
}
SEED_EXAMPLE_2 = {
    "action": "sendsms",
    "message-text": "Visit https://www.fakeurl.com/ for more info.",
    "to": MOBILE,
    "from": "00000",
    "from-mask": "Dunder Mifflin",
    "campaign-ref": "campaign2345",
    "click-tracking": True,
}


async def test_seed_example_1_succeeds_with_the_success_body(client, customer, platform):
    reply = await call(client, customer.token, SEED_EXAMPLE_1)
    assert list(reply) == ["status", "tracking-id", "to", "from", "status-details"]
    assert reply["status"] == "Success"
    assert reply["to"] == MOBILE and reply["from"] == "00000"
    assert reply["status-details"] == "SMS request accepted and queued for delivery"
    [row] = await fetch_all(
        platform, select(messages.c.campaign_id, messages.c.destination, messages.c.status)
    )
    assert row == (int(reply["tracking-id"]), MSISDN, "queued")
    [text] = await fetch_all(platform, select(campaigns.c.text, campaigns.c.sender))
    assert text == ("This message is sent for testing purposes only.", "00000")


async def test_seed_example_2_succeeds_with_mask_and_tracked_link(client, customer, platform):
    reply = await call(client, customer.token, SEED_EXAMPLE_2)
    assert reply["status"] == "Success", reply
    [row] = await fetch_all(platform, select(campaigns.c.text, campaigns.c.sender))
    # The mask is cut to 11 characters; the link became a tracked short link.
    assert row == ("Visit <-short-> for more info.", "Dunder Miff")


SEED_EXAMPLE_2_AS_CURL_SENDS_IT = b"""
{
"action": "sendsms",
"message-text": "Visit https://www.fakeurl.com/ for more info.",
"to": "+12025550123",
"from": "00000",
"from-mask": "Dunder Mifflin",
"campaign-ref": "campaign2345",
"click-tracking": true
}"""


async def test_seed_example_2_byte_for_byte_as_curl_posts_it(client, customer):
    reply = await client.post(
        PATH,
        content=SEED_EXAMPLE_2_AS_CURL_SENDS_IT,
        headers={"x-api-key": customer.token, "content-type": "application/json"},
    )
    assert reply.status_code == 200
    assert reply.json()["status"] == "Success", reply.json()
    assert reply.json()["to"] == MOBILE


async def test_a_send_held_for_moderation_is_accepted_and_says_so(client, customer, platform):
    await account_policy.add_moderation_rule(
        platform, actor="test", account_id=customer.account.id, kind="word", value="casino"
    )
    reply = await call(client, customer.token, sms(**{"message-text": "Casino night!"}))
    assert reply["status"] == "Success"
    assert reply["status-details"] == "SMS request accepted and held for review before delivery"
    [row] = await fetch_all(platform, select(messages.c.status))
    assert row[0] == "held"


async def test_the_send_is_billed_like_any_other(client, customer, platform):
    before = await credits.balance(platform, account_id=customer.account.id)
    await call(client, customer.token, sms(**{"message-text": "x" * 161}))  # two parts
    after = await credits.balance(platform, account_id=customer.account.id)
    [cost] = await fetch_all(platform, select(campaigns.c.cost))
    assert cost[0] > 0 and before - after == cost[0]


@pytest.mark.parametrize("action", ["sendsms", "SENDSMS", "SendSms", " sendSMS "])
async def test_action_is_case_insensitive(client, customer, action):
    reply = await call(client, customer.token, sms(action=action))
    assert reply["status"] == "Success", reply


@pytest.mark.parametrize("to", [MOBILE, MSISDN, "00" + MSISDN, int(MSISDN)])
async def test_to_with_country_code_with_or_without_plus(client, customer, platform, to):
    reply = await call(client, customer.token, sms(to=to))
    assert reply["status"] == "Success", reply
    assert reply["to"] == str(to)
    [row] = await fetch_all(platform, select(messages.c.destination))
    assert row[0] == MSISDN


async def test_from_is_the_sender_without_a_mask(client, customer, platform):
    await call(client, customer.token, sms(**{"from": "+18885550100"}))
    [row] = await fetch_all(platform, select(campaigns.c.sender))
    assert row[0] == "18885550100"


async def test_a_blank_mask_keeps_the_from_number(client, customer, platform):
    await call(client, customer.token, sms(**{"from-mask": "  "}))
    [row] = await fetch_all(platform, select(campaigns.c.sender))
    assert row[0] == "00000"


async def test_extra_fields_are_ignored(client, customer):
    reply = await call(client, customer.token, sms(**{"operator-id": "0001470", "x": [1]}))
    assert reply["status"] == "Success"


async def test_the_path_is_exact(client, customer):
    reply = await client.post(PATH + "/extra", json=sms(), headers={"x-api-key": customer.token})
    assert reply.status_code == 404
    assert reply.json()["status"] == "Failure" and reply.json()["error-code"] == "E100"


async def test_other_methods_answer_405_in_skycore_form(client, customer):
    reply = await client.get(PATH, headers={"x-api-key": customer.token})
    assert reply.status_code == 405
    assert reply.json()["status"] == "Failure" and reply.json()["error-code"] == "E100"
