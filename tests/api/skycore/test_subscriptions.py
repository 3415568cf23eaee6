"""`subscribe` / `unsubscribe` and the account's Enforce Campaign Check: when on, a
`sendsms` needs a `campaign-ref` its recipient is subscribed to; a STOP or STOP ALL from the
handset ends every subscription of that number (and blacklists it, as in every dialect)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.api.skycore.support import MOBILE, MSISDN, OTHER, call, sms, stored
from tests.support import fetch_all

from relais.core.instant import to_ms
from relais.services import skycore_settings
from relais.services.delivery_reports import record_inbound
from relais.store.tables import blacklist, campaign_subscriptions


def subscription(action: str = "subscribe", **fields) -> dict:
    return {"action": action, "campaign-ref": "spring", "mobile": MOBILE, **fields}


async def enforce(platform, customer, on: bool = True) -> None:
    await skycore_settings.set_settings(
        platform, actor="test", account_id=customer.account.id, enforce_campaign_check=on
    )


async def rows(platform) -> list[tuple]:
    c = campaign_subscriptions.c
    return await fetch_all(
        platform,
        select(c.campaign_ref, c.mobile, c.subscriber_ref, c.active, c.ended_by).order_by(c.id),
    )


async def test_subscribe_answers_and_stores_the_subscription(client, customer, platform):
    reply = await call(client, customer.token, subscription(**{"subscriber-ref": "cust-7"}))
    assert reply == {
        "status": "Success",
        "campaign-ref": "spring",
        "subscriber-ref": "cust-7",
        "mobile": MOBILE,
    }
    assert await rows(platform) == [("spring", MSISDN, "cust-7", True, None)]


async def test_subscribe_twice_keeps_one_row_and_the_reference(client, customer, platform):
    await call(client, customer.token, subscription(**{"subscriber-ref": "cust-7"}))
    again = await call(client, customer.token, subscription(action="SUBSCRIBE"))
    assert again["status"] == "Success" and again["subscriber-ref"] == "cust-7"
    assert await rows(platform) == [("spring", MSISDN, "cust-7", True, None)]


async def test_unsubscribe_ends_it_and_a_second_one_fails_e115(client, customer, platform):
    await call(client, customer.token, subscription())
    ended = await call(client, customer.token, subscription(action="Unsubscribe"))
    assert ended["status"] == "Success" and ended["mobile"] == MOBILE
    assert await rows(platform) == [("spring", MSISDN, None, False, "api")]
    again = await call(client, customer.token, subscription(action="unsubscribe"))
    assert again["status"] == "Failure" and again["error-code"] == "E115"
    assert again["mobile"] == MSISDN
    # Unsubscribed through the API: may be subscribed again through it.
    back = await call(client, customer.token, subscription())
    assert back["status"] == "Success"
    assert await rows(platform) == [("spring", MSISDN, None, True, None)]


BAD_FIELDS = [
    ({"campaign-ref": None}, "E100"),
    ({"mobile": None}, "E100"),
    ({"mobile": "+10000000001"}, "E112"),
    ({"campaign-ref": " "}, "E121"),
    ({"campaign-ref": "c" * 101}, "E121"),
]


@pytest.mark.parametrize(
    ("action", "changes", "code"),
    [
        *(("subscribe", *case) for case in BAD_FIELDS),
        *(("unsubscribe", *case) for case in BAD_FIELDS),
        ("subscribe", {"subscriber-ref": "s" * 101}, "E121"),
    ],
)
async def test_bad_subscription_fields_fail_and_store_nothing(
    client, customer, platform, action, changes, code
):
    reply = await call(client, customer.token, subscription(action=action, **changes))
    assert reply["status"] == "Failure" and reply["error-code"] == code, reply
    assert set(reply) == {"status", "error-code", "error-info", "mobile"}
    assert await rows(platform) == []


async def test_subscriptions_need_a_valid_key(client, customer, platform):
    reply = await call(client, "wrong", subscription())
    assert reply["error-code"] == "E104" and reply["mobile"] == MSISDN
    assert await rows(platform) == []


async def test_subscriptions_belong_to_their_account(client, customer, platform):
    from tests.support import make_customer

    other = await make_customer(platform, email="other@example.com")
    await enforce(platform, other)
    await call(client, customer.token, subscription())
    reply = await call(client, other.token, sms(**{"campaign-ref": "spring"}))
    assert reply["error-code"] == "E115"


# --- Enforce Campaign Check ------------------------------------------------------------


async def test_with_the_check_off_campaign_ref_is_optional(client, customer):
    assert (await call(client, customer.token, sms()))["status"] == "Success"
    other = await call(client, customer.token, sms(**{"campaign-ref": "unknown"}))
    assert other["status"] == "Success"


async def test_with_the_check_on_campaign_ref_is_required_e114(client, customer, platform):
    await enforce(platform, customer)
    before = await stored(platform)
    reply = await call(client, customer.token, sms())
    assert reply["status"] == "Failure" and reply["error-code"] == "E114"
    assert await stored(platform) == before


async def test_with_the_check_on_the_recipient_must_be_subscribed_e115(client, customer, platform):
    await enforce(platform, customer)
    await call(client, customer.token, subscription())
    before = await stored(platform)
    for body in (sms(**{"campaign-ref": "autumn"}), sms(to=OTHER, **{"campaign-ref": "spring"})):
        reply = await call(client, customer.token, body)
        assert reply["status"] == "Failure" and reply["error-code"] == "E115", reply
    assert await stored(platform) == before
    ok = await call(client, customer.token, sms(**{"campaign-ref": "spring"}))
    assert ok["status"] == "Success"


async def test_with_the_check_on_an_unsubscribed_number_is_refused(client, customer, platform):
    await enforce(platform, customer)
    await call(client, customer.token, subscription())
    await call(client, customer.token, subscription(action="unsubscribe"))
    reply = await call(client, customer.token, sms(**{"campaign-ref": "spring"}))
    assert reply["error-code"] == "E115"


async def test_turning_the_check_off_lets_any_send_through(client, customer, platform):
    await enforce(platform, customer)
    assert (await call(client, customer.token, sms()))["error-code"] == "E114"
    await enforce(platform, customer, on=False)
    assert (await call(client, customer.token, sms()))["status"] == "Success"


# --- STOP from the handset -------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop all", "Stop All."])
async def test_stop_from_the_handset_unsubscribes_and_blacklists(client, customer, platform, word):
    await enforce(platform, customer)
    await call(client, customer.token, subscription())
    await call(client, customer.token, subscription(**{"campaign-ref": "autumn"}))
    sent = await call(client, customer.token, sms(**{"campaign-ref": "spring"}))
    assert sent["status"] == "Success"
    at = to_ms(datetime.now(UTC))
    await record_inbound(platform, messages=[("simulator", MSISDN, "00000", word, at)])
    assert [r[3:] for r in await rows(platform)] == [(False, "stop"), (False, "stop")]
    listed = await fetch_all(platform, select(blacklist.c.destination, blacklist.c.origin))
    assert listed == [(MSISDN, "stop")]
    # Neither a send nor a subscribe through the API gets past the STOP.
    again = await call(client, customer.token, sms(**{"campaign-ref": "spring"}))
    assert again["error-code"] == "E115"
    resubscribed = await call(client, customer.token, subscription())
    assert resubscribed["error-code"] == "E116"


async def test_a_reply_that_is_not_a_stop_keeps_the_subscription(client, customer, platform):
    await call(client, customer.token, subscription())
    await call(client, customer.token, sms(**{"campaign-ref": "spring"}))
    at = to_ms(datetime.now(UTC))
    await record_inbound(platform, messages=[("simulator", MSISDN, "00000", "Thanks!", at)])
    assert [r[3] for r in await rows(platform)] == [True]
