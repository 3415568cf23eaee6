"""List campaigns below the API: money across the paged write, screening again at write
time, recovery of a campaign a dead process left preparing, caps and moderation, on both
backends."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from tests.services.sending.scenarios import (
    TUESDAY,
    A,
    add_opt_outs,
    at,
    balance_and_ledger,
    submission,
)
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InsufficientCredits
from relais.services import moderation
from relais.services.account_policy import add_moderation_rule
from relais.services.sending import lists as list_sending
from relais.services.sending import recovery, survey
from relais.services.sending.lists import ListSubmission
from relais.services.sending.numbers import send
from relais.store import list_campaigns as list_store
from relais.store.tables import (
    audit_log,
    campaigns,
    contacts,
    credit_ledger,
    messages,
)

# --- list campaigns: money across the chunked write ------------------------------------------


async def make_list(platform, customer, *contacts_: tuple) -> int:
    from relais.services import list_import
    from relais.services.list_import import NewContact

    report = await list_import.create_list(
        platform, account=customer.account, name="L", contacts=[NewContact(*c) for c in contacts_]
    )
    return report.list_id


async def campaign_money(platform, campaign_id: int) -> tuple[int, int, int]:
    """(campaign cost, sum of its messages' costs, net credits its ledger rows took)."""
    cost = await fetch_value(
        platform, select(campaigns.c.cost).where(campaigns.c.id == campaign_id)
    )
    stored = await fetch_value(
        platform,
        select(func.coalesce(func.sum(messages.c.cost), 0)).where(
            messages.c.campaign_id == campaign_id
        ),
    )
    taken = await fetch_value(
        platform,
        select(-func.coalesce(func.sum(credit_ledger.c.amount), 0)).where(
            credit_ledger.c.campaign_id == campaign_id
        ),
    )
    return cost, stored, taken


def list_send(*list_ids: int, text: str = "Hi [info1]") -> ListSubmission:
    return ListSubmission(text=text, list_ids=list_ids)


async def test_list_send_written_in_pages_keeps_every_money_invariant(
    platform, customer, monkeypatch
):
    monkeypatch.setattr(survey, "PAGE_SIZE", 2)
    first = await make_list(platform, customer, *((f"3361234560{i}", f"n{i}") for i in range(5)))
    second = await make_list(platform, customer, ("33612345601", "dup"), ("33612345699", "z" * 200))
    report = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(first, second)
    )
    assert (report.total, report.sent, report.counters["duplicated"], report.cost) == (7, 6, 1, 7)
    assert await campaign_money(platform, report.ticket) == (7, 7, 7)
    assert await balance_and_ledger(platform, customer.account.id) == (93, 93)
    assert await fetch_value(platform, select(campaigns.c.status)) == "queued"


async def test_recipients_filtered_while_the_campaign_is_written_are_refunded(
    platform, customer, monkeypatch
):
    list_id = await make_list(platform, customer, ("33612345601", "a"), ("33612345602", "b"))
    survey_pass = survey.survey

    async def survey_then_stop_arrives(*args, **kwargs):
        found = await survey_pass(*args, **kwargs)
        await add_opt_outs(platform, customer, "blacklist", "33612345602")
        return found

    monkeypatch.setattr(survey, "survey", survey_then_stop_arrives)
    report = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(list_id)
    )
    assert (report.sent, report.cost, report.counters["blacklisted"]) == (1, 1, 1)
    assert await campaign_money(platform, report.ticket) == (1, 1, 1)
    reasons = await fetch_all(
        platform,
        select(credit_ledger.c.reason, credit_ledger.c.amount).order_by(credit_ledger.c.id),
    )
    assert [tuple(r) for r in reasons][1:] == [("campaign", -2), ("refund", 1)]
    assert await balance_and_ledger(platform, customer.account.id) == (99, 99)


async def test_a_contact_edited_after_pricing_is_sent_as_it_was_priced(platform, monkeypatch):
    """The campaign is the lists as they were priced: an edit made while it is written can
    neither change its texts nor make it cost more than its debit."""
    poor = await make_customer(platform, email="poor@example.com", credits=2)
    list_id = await make_list(platform, poor, ("33612345601", "a"), ("33612345602", "b"))
    survey_pass = survey.survey

    async def survey_then_contact_grows(*args, **kwargs):
        found = await survey_pass(*args, **kwargs)
        await platform.db.write(
            lambda conn: conn.execute(
                update(contacts)
                .where(contacts.c.destination == "33612345602")
                .values(info1="x" * 200)
            )
        )
        return found

    monkeypatch.setattr(survey, "survey", survey_then_contact_grows)
    report = await list_sending.send_lists(
        platform, account=poor.account, submission=list_send(list_id)
    )
    assert (report.sent, report.cost, report.credits) == (2, 2, 0)
    texts = await fetch_all(platform, select(messages.c.text).order_by(messages.c.destination))
    assert [r[0] for r in texts] == ["Hi a", "Hi b"]
    assert await campaign_money(platform, report.ticket) == (2, 2, 2)
    assert await balance_and_ledger(platform, poor.account.id) == (0, 0)


async def test_recovery_closes_a_campaign_a_dead_process_left_preparing(
    platform, customer, monkeypatch
):
    at(platform, TUESDAY)
    monkeypatch.setattr(survey, "PAGE_SIZE", 2)
    list_id = await make_list(platform, customer, *((f"3361234560{i}", "n") for i in range(4)))
    insert = list_store.insert_message_rows
    calls = []

    def crash_on_second_page(conn, **kwargs):
        calls.append(1)
        if len(calls) >= 2:  # the group commit's retry of the work fails too
            raise RuntimeError("process killed")
        insert(conn, **kwargs)

    async def never_finishes(*args, **kwargs):
        raise RuntimeError("process killed")

    monkeypatch.setattr(list_store, "insert_message_rows", crash_on_second_page)
    monkeypatch.setattr(list_sending, "_finish", never_finishes)
    with pytest.raises(RuntimeError):
        await list_sending.send_lists(
            platform, account=customer.account, submission=list_send(list_id)
        )
    ticket = await fetch_value(platform, select(campaigns.c.id))
    assert await fetch_value(platform, select(campaigns.c.status)) == "preparing"
    assert await campaign_money(platform, ticket) == (2, 2, 4)
    assert await recovery.recover_preparing(platform) == 0  # not stale yet
    at(platform, TUESDAY + timedelta(hours=2))
    assert await recovery.recover_preparing(platform) == 1
    assert await recovery.recover_preparing(platform) == 0  # closed once, refunded once
    assert await fetch_value(platform, select(campaigns.c.status)) == "queued"
    assert await campaign_money(platform, ticket) == (2, 2, 2)
    assert await balance_and_ledger(platform, customer.account.id) == (98, 98)


async def test_concurrent_list_and_single_sends_keep_the_balance_equal_to_the_ledger(
    platform, customer, monkeypatch
):
    monkeypatch.setattr(survey, "PAGE_SIZE", 3)
    list_id = await make_list(platform, customer, *((f"336123457{i:02d}", "n") for i in range(30)))
    jobs = [
        list_sending.send_lists(platform, account=customer.account, submission=list_send(list_id))
        for _ in range(3)
    ]
    jobs += [
        send(platform, account=customer.account, submission=submission(f"336123458{i:02d}"))
        for i in range(20)
    ]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    spent = sum(r.cost for r in results if not isinstance(r, BaseException))
    assert all(isinstance(r, InsufficientCredits) for r in results if isinstance(r, BaseException))
    balance, ledger_total = await balance_and_ledger(platform, customer.account.id)
    assert balance == ledger_total == 100 - spent
    assert await fetch_value(platform, select(func.sum(messages.c.cost))) == spent


async def test_a_stop_arriving_after_a_page_was_read_is_honoured_when_it_is_written(
    platform, customer, monkeypatch
):
    list_id = await make_list(platform, customer, ("33612345601", "a"), ("33612345602", "b"))
    pages = survey.pages

    async def stop_arrives_before_the_write(*args, **kwargs):
        async for page in pages(*args, **kwargs):
            if kwargs["build"]:
                await add_opt_outs(platform, customer, "blacklist", "33612345602")
            yield page

    monkeypatch.setattr(survey, "pages", stop_arrives_before_the_write)
    report = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(list_id)
    )
    assert (report.sent, report.cost, report.counters["blacklisted"]) == (1, 1, 1)
    assert [r[0] for r in await fetch_all(platform, select(messages.c.destination))] == [
        "33612345601"
    ]
    assert await campaign_money(platform, report.ticket) == (1, 1, 1)
    assert await balance_and_ledger(platform, customer.account.id) == (99, 99)


async def test_list_send_stops_at_the_monthly_country_cap(platform, customer, monkeypatch):
    from relais.services.account_policy import set_country_cap

    monkeypatch.setattr(survey, "PAGE_SIZE", 2)
    await set_country_cap(
        platform, actor="test", account_id=customer.account.id, country="FR", monthly_limit=3
    )
    list_id = await make_list(platform, customer, *((f"3361234560{i}", "n") for i in range(5)))
    simulated = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(list_id), simulate=True
    )
    report = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(list_id)
    )
    assert (simulated.sent, simulated.counters["country_limit"]) == (3, 2)
    assert (report.sent, report.cost, report.counters["country_limit"]) == (3, 3, 2)
    again = await send(platform, account=customer.account, submission=submission(A))
    assert again.counters["country_limit"] == 1


async def held_list_campaign(platform, customer) -> int:
    """A two-contact list campaign (one part each, 2 credits) a word rule holds."""
    await add_moderation_rule(
        platform, actor="test", account_id=customer.account.id, kind="word", value="casino"
    )
    list_id = await make_list(platform, customer, ("33612345601", "a"), ("33612345602", "b"))
    report = await list_sending.send_lists(
        platform, account=customer.account, submission=list_send(list_id, text="Casino [info1]")
    )
    assert report.moderated and report.ticket is not None
    assert (report.sent, report.cost) == (2, 2)
    return report.ticket


async def message_statuses(platform) -> list[str]:
    rows = await fetch_all(platform, select(messages.c.status).order_by(messages.c.id))
    return [row[0] for row in rows]


async def test_a_moderated_list_campaign_holds_its_messages(platform, customer):
    await held_list_campaign(platform, customer)
    assert await fetch_value(platform, select(campaigns.c.status)) == "moderation"
    assert await message_statuses(platform) == ["held", "held"]
    assert await balance_and_ledger(platform, customer.account.id) == (98, 98)


async def test_an_approved_list_campaign_goes_out_and_stays_paid(platform, customer):
    ticket = await held_list_campaign(platform, customer)
    decision = await moderation.approve(platform, actor="cli:alice", campaign_id=ticket)
    assert (decision.status, decision.messages) == ("queued", 2)
    assert await message_statuses(platform) == ["queued", "queued"]
    assert await balance_and_ledger(platform, customer.account.id) == (98, 98)
    assert (
        await fetch_value(
            platform, select(audit_log.c.actor).where(audit_log.c.action == "moderation.approve")
        )
        == "cli:alice"
    )


async def test_a_refused_list_campaign_is_cancelled_and_refunded_in_full(platform, customer):
    ticket = await held_list_campaign(platform, customer)
    decision = await moderation.refuse(platform, actor="cli:alice", campaign_id=ticket)
    assert (decision.status, decision.messages, decision.refunded) == ("refused", 2, 2)
    assert await message_statuses(platform) == ["cancelled", "cancelled"]
    assert await balance_and_ledger(platform, customer.account.id) == (100, 100)
    reasons = await fetch_all(
        platform,
        select(credit_ledger.c.reason, credit_ledger.c.amount).order_by(credit_ledger.c.id),
    )
    assert [tuple(r) for r in reasons][1:] == [("campaign", -2), ("refund", 2)]
    details = await fetch_value(
        platform, select(audit_log.c.details).where(audit_log.c.action == "moderation.refuse")
    )
    assert json.loads(details)["refunded"] == 2
