"""The list use cases below the API: streamed imports (batches, de-duplication across batches
and against the list, failures), batched list deletion, and the retention purge of lists
not used since the account's list retention. The CSV reader is tested with the command, in
tests/cli/test_list_commands.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InvalidField, NotFound
from relais.core.schedule import PARIS
from relais.services import list_import, lists, retention
from relais.services.list_import import NewContact
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import campaign_lists, contact_lists, contacts

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)


async def stored(platform, list_id: int) -> list[tuple]:
    c = contacts.c
    rows = await fetch_all(
        platform,
        select(c.destination, c.info1, c.info2, c.info3, c.info4)
        .where(c.list_id == list_id)
        .order_by(c.id),
    )
    return [tuple(r) for r in rows]


async def list_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(contact_lists))


# --- import_contacts ---------------------------------------------------------------------------


async def test_import_commits_one_transaction_per_batch_and_reports_progress(platform, customer):
    rows = [(f"3361234{i:04d}", f"n{i}", None, None, None) for i in range(23)]
    seen: list[tuple[int, int]] = []
    report = await list_import.import_contacts(
        platform,
        account=customer.account,
        rows=iter(rows),
        name="Batches",
        batch_size=5,
        progress=lambda r: seen.append((r.contacts, r.added)),
    )
    assert (report.contacts, report.invalid, report.duplicates, report.added) == (23, 0, 0, 23)
    assert seen == [(5, 5), (10, 10), (15, 15), (20, 20), (23, 23)]
    assert [r[0] for r in await stored(platform, report.list_id)] == [r[0] for r in rows]


async def test_import_counts_duplicates_across_batches_and_invalid_numbers(platform, customer):
    rows = [
        ("33612345678", "a", None, None, None),
        ("+33612345677", None, None, None, None),
        ("garbage", None, None, None, None),
        ("", None, None, None, None),
        ("0612345678", "again", None, None, None),  # same as the first, in another batch
        ("+80012345678", None, None, None, None),  # non-geographic: no two-letter country
    ]
    report = await list_import.import_contacts(
        platform, account=customer.account, rows=rows, name="Mixed", batch_size=2
    )
    assert (report.contacts, report.invalid, report.duplicates) == (6, 3, 1)
    assert await stored(platform, report.list_id) == [
        ("33612345678", "a", None, None, None),
        ("33612345677", None, None, None, None),
    ]


async def test_import_into_an_existing_list_skips_numbers_it_holds(platform, customer):
    created = await list_import.create_list(
        platform,
        account=customer.account,
        name="Existing",
        contacts=[NewContact("33612345678", "first")],
    )
    rows = [("33612345678", "second", None, None, None), ("33612345677", None, None, None, None)]
    report = await list_import.import_contacts(
        platform, account=customer.account, rows=rows, list_id=created.list_id, batch_size=1
    )
    assert (report.list_id, report.contacts, report.duplicates) == (created.list_id, 2, 1)
    assert await stored(platform, created.list_id) == [
        ("33612345678", "first", None, None, None),
        ("33612345677", None, None, None, None),
    ]


async def test_import_into_another_accounts_list_is_not_found(platform, customer):
    created = await list_import.create_list(
        platform, account=customer.account, name="Mine", contacts=[NewContact("33612345678")]
    )
    other = await make_customer(platform, email="other@example.com")
    with pytest.raises(NotFound):
        await list_import.import_contacts(
            platform,
            account=other.account,
            rows=[("33612345677", None, None, None, None)],
            list_id=created.list_id,
        )
    assert await stored(platform, created.list_id) == [("33612345678", None, None, None, None)]


def rows_then_error(good: int):
    """`good` rows, then the error a reader raises on a line it cannot read."""
    for i in range(good):
        yield (f"3361234{i:04d}", None, None, None, None)
    raise InvalidField(f"line {good + 2}: unreadable")


async def test_import_that_fails_midway_keeps_committed_batches_and_says_so(platform, customer):
    with pytest.raises(InvalidField, match=r"line 12: unreadable \(8 contacts were imported into"):
        await list_import.import_contacts(
            platform, account=customer.account, rows=rows_then_error(10), name="H", batch_size=4
        )
    ((list_id,),) = await fetch_all(platform, select(contact_lists.c.id))
    assert len(await stored(platform, list_id)) == 8


async def test_import_that_fails_before_any_commit_leaves_no_new_list(platform, customer):
    with pytest.raises(InvalidField, match=r"^line 5: unreadable$"):
        await list_import.import_contacts(
            platform, account=customer.account, rows=rows_then_error(3), name="N", batch_size=4
        )
    assert await list_count(platform) == 0


async def test_import_into_an_existing_list_that_fails_keeps_the_list(platform, customer):
    created = await list_import.create_list(
        platform, account=customer.account, name="Kept", contacts=[NewContact("33612345678")]
    )
    with pytest.raises(InvalidField, match="0 contacts were imported"):
        await list_import.import_contacts(
            platform, account=customer.account, rows=rows_then_error(0), list_id=created.list_id
        )
    assert len(await stored(platform, created.list_id)) == 1


# --- deleting ------------------------------------------------------------------------------------


async def test_delete_list_goes_in_batches_and_finishes(platform, customer, monkeypatch):
    monkeypatch.setattr(lists, "DELETE_BATCH", 3)
    created = await list_import.create_list(
        platform,
        account=customer.account,
        name="Big",
        contacts=[NewContact(f"3361234{i:04d}") for i in range(7)],
    )
    other = await make_customer(platform, email="other@example.com")
    with pytest.raises(NotFound):
        await lists.delete_list(platform, account=other.account, list_id=created.list_id)
    assert len(await stored(platform, created.list_id)) == 7
    assert await lists.delete_list(platform, account=customer.account, list_id=created.list_id) == 7
    assert await list_count(platform) == 0
    assert await fetch_value(platform, select(func.count()).select_from(contacts)) == 0


# --- retention -----------------------------------------------------------------------------------


async def list_at(platform, account, moment: datetime, name: str, *numbers: str) -> int:
    platform.clock = lambda: moment
    created = await list_import.create_list(
        platform, account=account, name=name, contacts=[NewContact(n) for n in numbers]
    )
    return created.list_id


async def test_retention_deletes_lists_not_used_since_the_cutoff(platform, customer, monkeypatch):
    monkeypatch.setattr(retention, "MESSAGE_BATCH", 2)  # several transactions per list
    account = customer.account
    old = NOW - timedelta(days=70)
    expired = await list_at(
        platform, account, old, "Expired", *(f"3361234560{i}" for i in range(5))
    )
    empty = await list_at(platform, account, old, "Empty")
    recent = await list_at(platform, account, NOW - timedelta(days=10), "Recent", "33612345670")
    grown = await list_at(platform, account, old, "Grown", "33612345671")
    platform.clock = lambda: NOW - timedelta(days=5)
    await list_import.add_contacts(
        platform, account=account, list_id=grown, contacts=[NewContact("33612345672")]
    )
    used = await list_at(platform, account, old, "Used", "33612345673")
    platform.clock = lambda: NOW - timedelta(days=3)
    report = await send(
        platform,
        account=account,
        submission=Submission(text="Hello", recipients=[Recipient("33612345673")]),
    )
    await platform.db.write(
        lambda conn: conn.execute(
            insert(campaign_lists).values(campaign_id=report.ticket, list_id=used)
        )
    )
    other = await make_customer(platform, email="other@example.com")
    foreign = await list_at(platform, other.account, old, "Foreign", "33612345674")
    await retention.set_retention(platform, account_id=account.id, changes={"list": "1m"})

    purged = await retention.purge_expired(platform, now=NOW)

    assert (purged.lists, purged.failures) == (2, 0)
    left = await fetch_all(platform, select(contact_lists.c.id).order_by(contact_lists.c.id))
    assert [r[0] for r in left] == [recent, grown, used, foreign]
    assert await stored(platform, expired) == [] and await stored(platform, empty) == []
    assert len(await stored(platform, grown)) == 2
    again = await retention.purge_expired(platform, now=NOW)
    assert again.lists == 0


async def test_retention_of_endless_lists_deletes_nothing(platform, customer):
    list_id = await list_at(
        platform, customer.account, NOW - timedelta(days=4000), "Old", "33612345678"
    )
    await retention.set_retention(
        platform, account_id=customer.account.id, changes={"message": "1d"}
    )
    report = await retention.purge_expired(platform, now=NOW)
    assert report.lists == 0
    assert len(await stored(platform, list_id)) == 1


async def test_npai_flag_survives_until_cleared(platform, customer):
    created = await list_import.create_list(
        platform,
        account=customer.account,
        name="N",
        contacts=[NewContact("33612345678"), NewContact("33612345677")],
    )
    await platform.db.write(
        lambda conn: conn.execute(
            update(contacts).where(contacts.c.destination == "33612345678").values(npai=True)
        )
    )
    assert await lists.clear_npai(platform, account=customer.account, list_id=created.list_id) == 1
    assert await lists.clear_npai(platform, account=customer.account, list_id=created.list_id) == 0
    assert [r[0] for r in await stored(platform, created.list_id)] == ["33612345677"]
