"""What feeds the opt-out lists: a STOP answering a campaign blacklists its sender with that
campaign and the list contact's details; a receipt saying the destination is invalid marks
the list contact NPAI; additions by the API are counted once, even when they race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from tests.support import fetch_all, make_customer

from relais.core.connector import Receipt
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.services import opt_outs
from relais.services.delivery_reports import record_inbound
from relais.services.opt_outs import OptOutContact
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import claims, outbound
from relais.store import receipts as receipt_store
from relais.store.tables import (
    blacklist,
    campaign_lists,
    contact_lists,
    contacts,
    messages,
    npai,
)

ANNA = "33612345678"
BRUNO = "33612345677"
CHLOE = "33612345676"


async def list_campaign(platform, customer, people: dict[str, tuple]) -> tuple[int, dict]:
    """A campaign sent to list contacts {number: (info1, info2, info3, info4)}, as a list
    send stores it (messages.contact_id, campaign_lists); its ticket and contact ids."""
    report = await send(
        platform,
        account=customer.account,
        submission=Submission("Hi [info1]", [Recipient(n) for n in people]),
    )

    def work(conn) -> dict[str, int]:
        list_id = conn.execute(
            insert(contact_lists)
            .values(account_id=customer.account.id, name="clients", created_at=0)
            .returning(contact_lists.c.id)
        ).scalar_one()
        ids = {}
        for number, infos in people.items():
            ids[number] = conn.execute(
                insert(contacts)
                .values(
                    list_id=list_id,
                    destination=number,
                    country="FR",
                    created_at=0,
                    **dict(zip(("info1", "info2", "info3", "info4"), infos, strict=True)),
                )
                .returning(contacts.c.id)
            ).scalar_one()
            conn.execute(
                update(messages)
                .where(messages.c.campaign_id == report.ticket, messages.c.destination == number)
                .values(contact_id=ids[number])
            )
        conn.execute(insert(campaign_lists).values(campaign_id=report.ticket, list_id=list_id))
        return ids

    return report.ticket, await platform.db.write(work)


async def submit(platform, *, failures: dict[str, MessageStatus] | None = None) -> dict[str, int]:
    """Claim every waiting message and record the carrier's answer: accepted (carrier id
    c<id>) unless `failures` names a final status for its destination. {number: id}."""
    failures = failures or {}
    now = to_ms(datetime.now(UTC))
    claimed = await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=now, limit=1000, lease_ms=60_000
        )
    )
    outcomes = [
        outbound.SubmitOutcome(m.id, "simulator", failures[m.destination], error="refused")
        if m.destination in failures
        else outbound.SubmitOutcome(m.id, "simulator", MessageStatus.SENT, (f"c{m.id}",))
        for m in claimed
    ]
    await platform.db.write(lambda conn: outbound.record_submits(conn, outcomes, now_ms=now))
    return {m.destination: m.id for m in claimed}


async def receipts(platform, ids: dict[str, int], statuses: dict[str, MessageStatus]) -> None:
    batch = [
        Receipt("simulator", (f"c{ids[number]}",), status, 1_000)
        for number, status in statuses.items()
    ]
    await platform.db.write(lambda conn: receipt_store.apply_receipts(conn, batch))


async def npai_flags(platform) -> dict[str, bool]:
    rows = await fetch_all(platform, select(contacts.c.destination, contacts.c.npai))
    return {number: bool(flag) for number, flag in rows}


# --- STOP ------------------------------------------------------------------------------


async def test_stop_to_a_list_message_blacklists_with_campaign_and_contact_infos(platform):
    shop = await make_customer(platform)
    ticket, _ = await list_campaign(
        platform,
        shop,
        {ANNA: ("Anna", "Arendt", None, "Paris"), BRUNO: ("Bruno", None, None, None)},
    )
    await record_inbound(platform, messages=[("simulator", ANNA, "36000", "STOP", 1_000)])
    rows = await fetch_all(platform, select(blacklist))
    assert [
        (r.account_id, r.destination, r.origin, r.campaign_id, r.info1, r.info2, r.info3, r.info4)
        for r in rows
    ] == [(shop.account.id, ANNA, "stop", ticket, "Anna", "Arendt", None, "Paris")]
    assert rows[0].created_at == 1_000


async def test_stop_to_a_plain_send_records_the_campaign_without_infos(platform):
    shop = await make_customer(platform)
    report = await send(
        platform, account=shop.account, submission=Submission("Hi", [Recipient(ANNA)])
    )
    await record_inbound(platform, messages=[("simulator", ANNA, "36000", "Stop", 5)])
    rows = await fetch_all(platform, select(blacklist.c.campaign_id, blacklist.c.info1))
    assert [tuple(r) for r in rows] == [(report.ticket, None)]


async def test_stop_answers_the_latest_message_to_the_number(platform):
    shop = await make_customer(platform)
    first = await send(
        platform, account=shop.account, submission=Submission("A", [Recipient(ANNA)])
    )
    second = await send(
        platform, account=shop.account, submission=Submission("B", [Recipient(ANNA)])
    )
    await record_inbound(platform, messages=[("simulator", ANNA, "36000", "STOP", 5)])
    rows = await fetch_all(platform, select(blacklist.c.campaign_id))
    assert first.ticket != second.ticket
    assert [r[0] for r in rows] == [second.ticket]


async def test_second_stop_keeps_the_first_entry(platform):
    shop = await make_customer(platform)
    await send(platform, account=shop.account, submission=Submission("A", [Recipient(ANNA)]))
    added = await opt_outs.add_opt_outs(
        platform, account=shop.account, kind="blacklist", contacts=[OptOutContact(ANNA, "Api")]
    )
    assert added.added == 1
    await record_inbound(
        platform,
        messages=[("simulator", ANNA, "36000", "STOP", 5), ("simulator", ANNA, "36000", "STOP", 6)],
    )
    rows = await fetch_all(platform, select(blacklist.c.origin, blacklist.c.info1))
    assert [tuple(r) for r in rows] == [("api", "Api")]


async def test_stops_of_one_batch_for_the_same_number_make_one_entry(platform):
    shop = await make_customer(platform)
    await send(platform, account=shop.account, submission=Submission("A", [Recipient(ANNA)]))
    await record_inbound(
        platform,
        messages=[
            ("simulator", ANNA, "36000", "STOP", 5),
            ("simulator", ANNA, "36000", "ARRET", 6),
        ],
    )
    rows = await fetch_all(platform, select(blacklist.c.destination))
    assert [r[0] for r in rows] == [ANNA]


# --- receipts mark list contacts NPAI -----------------------------------------------------


async def test_invalid_destination_receipt_marks_only_that_contact_npai(platform):
    shop = await make_customer(platform)
    await list_campaign(platform, shop, {ANNA: ("A",) * 4, BRUNO: ("B",) * 4, CHLOE: ("C",) * 4})
    ids = await submit(platform)
    await receipts(
        platform,
        ids,
        {
            ANNA: MessageStatus.INVALID_DESTINATION,
            BRUNO: MessageStatus.DELIVERED,
            CHLOE: MessageStatus.NOT_DELIVERED,
        },
    )
    assert await npai_flags(platform) == {ANNA: True, BRUNO: False, CHLOE: False}


async def test_submit_refused_for_an_invalid_destination_marks_the_contact(platform):
    shop = await make_customer(platform)
    await list_campaign(platform, shop, {ANNA: ("A",) * 4, BRUNO: ("B",) * 4})
    await submit(platform, failures={BRUNO: MessageStatus.INVALID_DESTINATION})
    assert await npai_flags(platform) == {ANNA: False, BRUNO: True}


async def test_late_invalid_receipt_after_delivery_marks_nothing(platform):
    shop = await make_customer(platform)
    await list_campaign(platform, shop, {ANNA: ("A",) * 4})
    ids = await submit(platform)
    await receipts(platform, ids, {ANNA: MessageStatus.DELIVERED})
    await receipts(platform, ids, {ANNA: MessageStatus.INVALID_DESTINATION})
    assert await npai_flags(platform) == {ANNA: False}
    rows = await fetch_all(platform, select(messages.c.status))
    assert [r[0] for r in rows] == ["delivered"]


async def test_invalid_receipt_without_a_contact_touches_no_contact(platform):
    shop = await make_customer(platform)
    await list_campaign(platform, shop, {ANNA: ("A",) * 4})
    await send(platform, account=shop.account, submission=Submission("Hi", [Recipient(BRUNO)]))
    ids = await submit(platform)
    await receipts(platform, ids, {BRUNO: MessageStatus.INVALID_DESTINATION})
    assert await npai_flags(platform) == {ANNA: False}
    # Marking never fills the NPAI list itself: the list owner clears contacts into it.
    assert await fetch_all(platform, select(npai)) == []


# --- additions ---------------------------------------------------------------------------


async def test_racing_additions_store_each_number_once_and_count_it_once(platform):
    shop = await make_customer(platform)
    people = [OptOutContact(f"3361234{i:04d}") for i in range(40)]

    async def add(part):
        return await opt_outs.add_opt_outs(
            platform, account=shop.account, kind="npai", contacts=part
        )

    results = await asyncio.gather(*(add(people[i : i + 20]) for i in range(0, 40, 10)))
    assert sum(r.added for r in results) == 40
    rows = await fetch_all(platform, select(npai.c.destination))
    assert sorted(r[0] for r in rows) == sorted(p.number for p in people)


async def test_numbers_are_normalized_with_the_account_country(platform):
    belgian = await make_customer(platform, email="be@example.com", country="BE")
    added = await opt_outs.add_opt_outs(
        platform,
        account=belgian.account,
        kind="blacklist",
        contacts=[OptOutContact("0470 12 34 56"), OptOutContact("+32470123456")],
    )
    assert (added.added, added.invalid) == (1, 0)
    rows = await fetch_all(platform, select(blacklist.c.destination))
    assert [r[0] for r in rows] == ["32470123456"]
