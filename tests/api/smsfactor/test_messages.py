"""GET /messages: the per-message log, out (sms_mt) and in (sms_mo), over a required
period; its filters (destination, message, type, country, status), paging and sorting, the
delivery categories, JSON and XML, and never another account's messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from tests.services.test_opt_outs import list_campaign, receipts, submit
from tests.support import make_customer

from relais.core.status import MessageStatus
from relais.services import account_policy, moderation, tokens
from relais.services.delivery_reports import record_inbound

XML = {"Accept": "application/xml"}
ALL_TIME = {"date_start": "2000-01-01 00:00:00", "date_end": "2099-12-31 23:59:59"}
NOON = datetime(2031, 3, 4, 11, 0, tzinfo=UTC)  # 12:00 in Paris
NOON_MS = int(NOON.timestamp() * 1000)


@dataclass(frozen=True)
class Caller:
    bearer: dict[str, str]


DELIVERED = "33611000001"
SENT = "33611000002"
WAITING = "33611000003"
MODERATED = "33611000004"
DENIED = "33611000005"
CANCELLED = "33611000006"
REFUSED = "33611000007"  # the carrier refused the submit
UNDELIVERED = "33611000008"
EXPIRED = "33611000009"

EXPECTED = {
    "delivered": {DELIVERED},
    "sent": {SENT},
    "waiting": {WAITING},
    "moderation": {MODERATED},
    "denied": {DENIED},
    "not_sent": {CANCELLED, REFUSED},
    "undelivered": {UNDELIVERED, EXPIRED},
}


async def log(client, customer, **params) -> dict:
    reply = await client.get("/messages", params={**ALL_TIME, **params}, headers=customer.bearer)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == 1, body
    return body


async def send(client, customer, numbers, text="Hello", **message) -> str:
    body = {
        "sms": {
            "message": {"text": text, **message},
            "recipients": {"gsm": [{"value": n} for n in numbers]},
        }
    }
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["status"] in (1, -8), reply.json()
    return reply.json()["ticket"]


@pytest.fixture
async def every_state(client, customer, platform) -> dict[str, str]:
    """One message in each delivery state, and two replies; the tickets by name."""
    tickets = {
        "bulk": await send(client, customer, [DELIVERED, SENT, REFUSED, UNDELIVERED, EXPIRED])
    }
    ids = await submit(platform, failures={REFUSED: MessageStatus.REJECTED})
    await receipts(
        platform,
        ids,
        {
            DELIVERED: MessageStatus.DELIVERED,
            UNDELIVERED: MessageStatus.NOT_DELIVERED,
            EXPIRED: MessageStatus.EXPIRED,
        },
    )
    tickets["waiting"] = await send(client, customer, [WAITING], "Wait")
    await account_policy.add_moderation_rule(
        platform, actor="op:test", account_id=customer.account.id, kind="word", value="casino"
    )
    tickets["moderated"] = await send(client, customer, [MODERATED], "casino night")
    tickets["denied"] = await send(client, customer, [DENIED], "casino again")
    await moderation.refuse(platform, actor="op:test", campaign_id=int(tickets["denied"]))
    tickets["cancelled"] = await send(
        client, customer, [CANCELLED], "Later", delay="2098-01-01 10:00:00"
    )
    cancel = await client.delete(f"/send/{tickets['cancelled']}", headers=customer.bearer)
    assert cancel.json()["status"] == 1
    await record_inbound(
        platform,
        messages=[
            ("simulator", DELIVERED, "36000", "Merci", NOON_MS),
            ("simulator", SENT, "36000", "STOP", NOON_MS + 1000),
        ],
    )
    return tickets


# --- the period and bad parameters ------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"date_start": "2024-01-01 00:00:00"},
        {"date_end": "2024-01-01 00:00:00"},
        {"date_start": "01/01/2024", "date_end": "2024-01-02 00:00:00"},
        {"date_start": "2024-01-02 00:00:00", "date_end": "2024-01-01 00:00:00"},
        {**ALL_TIME, "type": "messages-all"},
        {**ALL_TIME, "status": "lost"},
        {**ALL_TIME, "country": "FRA"},
        {**ALL_TIME, "length": 1001},
        {**ALL_TIME, "length": 0},
        {**ALL_TIME, "start": -1},
        {**ALL_TIME, "sort": "cost"},
        {**ALL_TIME, "sort": "--date"},
    ],
)
async def test_bad_parameters_are_status_minus_7(client, customer, params):
    reply = await client.get("/messages", params=params, headers=customer.bearer)
    assert reply.status_code == 200
    assert reply.json()["status"] == -7


async def test_without_credentials_nothing_is_read(client):
    reply = await client.get("/messages", params=ALL_TIME)
    assert reply.json()["status"] == -1


# --- rows --------------------------------------------------------------------------------------


async def test_an_outbound_message_in_the_reference_shape(client, customer, platform):
    platform.clock = lambda: NOON
    body = {
        "sms": {
            "message": {"text": "Bonjour", "sender": "SHOP"},
            "recipients": {"gsm": [{"value": "0612345678", "gsmsmsid": "my id"}]},
        }
    }
    ticket = (await client.post("/send", json=body, headers=customer.bearer)).json()["ticket"]
    answer = await log(client, customer)
    assert (answer["totalRecords"], answer["totalDisplayRecords"]) == (1, 1)
    [row] = answer["messages"]
    assert row == {
        "campaign_id": int(ticket),
        "client_id": customer.account.id,
        "client_message_id": "my id",
        "contact_list_id": "",
        "message": "Bonjour",
        "message_length": 7,
        "cost": 1,
        "country": "FR",
        "destination": "33612345678",
        "message_id": row["message_id"],
        "sender": "SHOP",
        "date": "2031-03-04 12:00:00",
        "dlr_date": None,
        "status": "WAITING",
        "status_details": "QUEUED",
        "type": "sms_mt",
    }
    assert isinstance(row["message_id"], int)


async def test_a_reply_in_the_reference_shape(client, customer, platform, every_state):
    answer = await log(client, customer, type="messages-in")
    assert answer["totalRecords"] == 2
    merci, stop = answer["messages"][1], answer["messages"][0]
    assert merci == {
        "campaign_id": int(every_state["bulk"]),
        "client_id": customer.account.id,
        "client_message_id": "",
        "contact_list_id": "",
        "message": "Merci",
        "message_length": 5,
        "cost": 0,
        "country": "FR",
        "destination": DELIVERED,
        "message_id": merci["message_id"],
        "sender": "36000",
        "date": "2031-03-04 12:00:00",
        "dlr_date": None,
        "status": "RECEIVED",
        "status_details": "RECEIVED",
        "type": "sms_mo",
    }
    assert (stop["destination"], stop["status_details"]) == (SENT, "STOP")


async def test_final_messages_carry_their_receipt_date(client, customer, every_state):
    rows = (await log(client, customer, status="delivered"))["messages"]
    assert [r["destination"] for r in rows] == [DELIVERED]
    assert rows[0]["dlr_date"] is not None and len(rows[0]["dlr_date"]) == 19
    assert rows[0]["status_details"] == "DELIVERED"


async def test_a_list_message_names_its_contact_list(client, customer, platform):
    ticket, _ = await list_campaign(platform, customer, {DELIVERED: ("Ada", None, None, None)})
    [row] = (await log(client, customer))["messages"]
    details = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert row["contact_list_id"] == details["campaign"][0]["lists"][0]["id"]


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(EXPECTED))
async def test_each_status_keeps_its_delivery_category(client, customer, every_state, category):
    answer = await log(client, customer, status=category)
    assert {r["destination"] for r in answer["messages"]} == EXPECTED[category]
    assert {r["status"] for r in answer["messages"]} == {category.upper()}
    assert {r["type"] for r in answer["messages"]} == {"sms_mt"}  # replies have no status
    assert answer["totalRecords"] == len(EXPECTED[category])


async def test_status_details_name_the_precise_status(client, customer, every_state):
    rows = (await log(client, customer, type="messages-out"))["messages"]
    details = {r["destination"]: (r["status"], r["status_details"]) for r in rows}
    assert details == {
        DELIVERED: ("DELIVERED", "DELIVERED"),
        SENT: ("SENT", "SENT"),
        WAITING: ("WAITING", "QUEUED"),
        MODERATED: ("MODERATION", "HELD"),
        DENIED: ("DENIED", "CANCELLED"),
        CANCELLED: ("NOT_SENT", "CANCELLED"),
        REFUSED: ("NOT_SENT", "REJECTED"),
        UNDELIVERED: ("UNDELIVERED", "NOT_DELIVERED"),
        EXPIRED: ("UNDELIVERED", "EXPIRED"),
    }


async def test_type_chooses_the_direction(client, customer, every_state):
    out = await log(client, customer, type="messages-out")
    assert {r["type"] for r in out["messages"]} == {"sms_mt"} and out["totalRecords"] == 9
    replies = await log(client, customer, type="messages-in")
    assert {r["type"] for r in replies["messages"]} == {"sms_mo"} and replies["totalRecords"] == 2
    both = await log(client, customer)
    assert both["totalRecords"] == 11


async def test_destination_finds_both_directions_in_any_form(client, customer, every_state):
    for form in (DELIVERED, "+" + DELIVERED, "06 11 00 00 01"):
        rows = (await log(client, customer, destination=form))["messages"]
        assert sorted(r["type"] for r in rows) == ["sms_mo", "sms_mt"], form
        assert {r["destination"] for r in rows} == {DELIVERED}
    assert (await log(client, customer, destination="nonsense"))["messages"] == []


async def test_message_filters_on_text(client, customer, every_state):
    rows = (await log(client, customer, message="casino"))["messages"]
    assert {r["destination"] for r in rows} == {MODERATED, DENIED}
    rows = (await log(client, customer, message="erc"))["messages"]
    assert [(r["type"], r["message"]) for r in rows] == [("sms_mo", "Merci")]
    assert (await log(client, customer, message="100%"))["messages"] == []


async def test_country_filters_both_directions(client, customer, platform):
    await send(client, customer, ["+32470123456", DELIVERED])
    await record_inbound(platform, messages=[("simulator", "32470123456", "36000", "Hi", NOON_MS)])
    rows = (await log(client, customer, country="be"))["messages"]
    assert sorted((r["type"], r["country"]) for r in rows) == [("sms_mo", "BE"), ("sms_mt", "BE")]
    assert {r["destination"] for r in (await log(client, customer, country="FR"))["messages"]} == {
        DELIVERED
    }


async def test_the_period_is_the_send_date_and_the_reception_time(client, customer, platform):
    platform.clock = lambda: NOON
    await send(client, customer, [DELIVERED], "now")
    await send(client, customer, [SENT], "tomorrow", delay="2031-03-05 09:00:00")
    await record_inbound(platform, messages=[("simulator", DELIVERED, "36000", "ok", NOON_MS)])
    today = {"date_start": "2031-03-04 00:00:00", "date_end": "2031-03-04 23:59:59"}
    rows = (await log(client, customer, **today))["messages"]
    assert sorted((r["type"], r["message"]) for r in rows) == [("sms_mo", "ok"), ("sms_mt", "now")]
    tomorrow = {"date_start": "2031-03-05 09:00:00", "date_end": "2031-03-05 09:00:00"}
    rows = (await log(client, customer, **tomorrow))["messages"]
    assert [(r["message"], r["date"]) for r in rows] == [("tomorrow", "2031-03-05 09:00:00")]
    later = {"date_start": "2031-03-05 09:00:01", "date_end": "2031-12-31 00:00:00"}
    assert (await log(client, customer, **later))["totalRecords"] == 0


# --- paging and sorting --------------------------------------------------------------------------


def key(row: dict):
    return (row["date"], row["type"], row["message_id"])


async def test_sorting_merges_replies_and_messages(client, customer, every_state):
    rows = (await log(client, customer, sort="date"))["messages"]
    assert rows == sorted(rows, key=key)
    rows = (await log(client, customer))["messages"]  # default: newest first
    assert rows == sorted(rows, key=key, reverse=True)
    by_destination = (await log(client, customer, sort="destination"))["messages"]
    assert [r["destination"] for r in by_destination] == sorted(
        r["destination"] for r in by_destination
    )
    by_status = (await log(client, customer, sort="-status"))["messages"]
    assert [r["status"].lower() for r in by_status] == sorted(
        (r["status"].lower() for r in by_status), reverse=True
    )
    by_sender = (await log(client, customer, sort="sender"))["messages"]
    assert [r["sender"] for r in by_sender] == sorted(r["sender"] for r in by_sender)
    assert {r["sender"] for r in by_sender} == {"", "36000"}


async def test_pages_by_date_follow_each_other_across_many_send_times(client, customer, platform):
    """Campaigns of several sizes at several send times (two at the same time), and replies
    in between: every page, in both directions, is the matching slice of the full order."""
    platform.clock = lambda: NOON
    sizes = {"2031-03-05 10:00:00": 4, "2031-03-06 10:00:00": 1, "2031-03-07 10:00:00": 3}
    for delay, size in sizes.items():
        await send(client, customer, [f"3361200{i:04d}" for i in range(size)], delay=delay)
    await send(client, customer, ["33698765432", "33698765431"], delay="2031-03-06 10:00:00")
    day = 86_400_000
    await record_inbound(
        platform,
        messages=[
            *(
                ("simulator", "33612000000", "36000", f"r{n}", NOON_MS + day * n + 3_600_000)
                for n in range(1, 4)
            ),
            # At the very send time of the two campaigns of the 6th: replies sort first.
            ("simulator", "33612000001", "36000", "tie", NOON_MS + 2 * day - 2 * 3_600_000),
        ],
    )
    for sort in ("date", "-date"):
        full = (await log(client, customer, sort=sort))["messages"]
        assert len(full) == 14
        assert full == sorted(full, key=key, reverse=sort.startswith("-"))
        for length in (1, 2, 3, 5):
            paged = []
            for start in range(0, 15, length):
                page = await log(client, customer, sort=sort, start=start, length=length)
                assert page["totalRecords"] == 14
                paged.extend(page["messages"])
            assert paged == full, (sort, length)
        out_only = (await log(client, customer, sort=sort, type="messages-out", length=4))[
            "messages"
        ]
        assert out_only == [r for r in full if r["type"] == "sms_mt"][:4]


async def test_a_page_past_the_end_is_empty_with_the_total(client, customer, every_state):
    answer = await log(client, customer, start=50, length=10)
    assert (answer["messages"], answer["totalRecords"]) == ([], 11)


# --- formats and accounts -------------------------------------------------------------------------


async def test_xml_repeats_messages_elements(client, customer, every_state):
    reply = await client.get(
        "/messages", params={**ALL_TIME, "status": "not_sent"}, headers={**customer.bearer, **XML}
    )
    root = ElementTree.fromstring(reply.content)
    assert root.find("status").text == "1"
    rows = root.findall("messages")
    assert sorted(r.find("destination").text for r in rows) == [CANCELLED, REFUSED]
    assert {r.find("type").text for r in rows} == {"sms_mt"}
    assert root.find("totalRecords").text == "2"


async def test_other_accounts_see_none_of_these_messages(client, customer, platform, every_state):
    other = await make_customer(platform, email="other@example.com")
    await send(client, other, [DELIVERED], "theirs")
    theirs = await log(client, other)
    assert [(r["message"], r["type"]) for r in theirs["messages"]] == [("theirs", "sms_mt")]
    mine = await log(client, customer, destination=DELIVERED)
    assert {r["message"] for r in mine["messages"]} == {"Hello", "Merci"}


async def test_parent_and_sub_account_each_see_only_their_own_log(client, customer, platform):
    created = await client.post(
        "/account",
        json={
            "account": {
                "email": "child@example.com",
                "password": "test987654",
                "isChild": 1,
                "unlimited": 1,
            }
        },
        headers=customer.bearer,
    )
    token = await tokens.create_token(platform, account_id=created.json()["id"])
    child = Caller({"Authorization": f"Bearer {token.value}"})
    await send(client, child, [SENT], "from the child")
    await send(client, customer, [DELIVERED], "from the parent")
    assert [r["message"] for r in (await log(client, child))["messages"]] == ["from the child"]
    assert [r["message"] for r in (await log(client, customer))["messages"]] == ["from the parent"]
