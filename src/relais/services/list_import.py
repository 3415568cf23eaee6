"""Putting contacts into the account's lists: a new list with its contacts, contacts added by
the API (one transaction each), and imports streamed from any iterable such as the CSV
reader of `relais list import` (a batch per transaction).

Numbers are normalized as sends do (`normalize_recipient` with the account's country): an
invalid one is counted in `invalid` and not stored; a number already in the list, or seen
earlier in the same request or file, is counted in `duplicates` and not stored. `contacts`
counts every entry submitted. docs/lists.md has the whole policy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from relais.core.errors import InvalidField
from relais.core.instant import from_ms, to_ms
from relais.core.phone import normalize_recipient
from relais.core.schedule import format_paris
from relais.core.text import (
    has_control_characters,
    refuse_control_characters,
    strip_control_characters,
)
from relais.services.lists import delete_list, list_not_found, on_own_list
from relais.services.platform import AccountRef, Platform
from relais.store import lists as store
from relais.store.lists import INFOS, MAX_INFO, MAX_NAME

# Contacts per transaction when importing: ~25 ms on SQLite, ~70 ms on PostgreSQL, so other
# writers queued behind a batch wait little.
BATCH_SIZE = 5000
# Contacts one API request may add (all in one transaction); more go through several
# requests or `relais list import`.
MAX_REQUEST_CONTACTS = 100_000
# Rows prepared between two turns of the event loop during an import (~2 ms of work).
SLICE = 500


class NewContact(NamedTuple):
    """A contact as submitted: the number as typed and up to four merge fields."""

    value: str
    info1: str | None = None
    info2: str | None = None
    info3: str | None = None
    info4: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What one addition did: `contacts` submitted, of which `invalid` and `duplicates`
    were not stored."""

    list_id: int
    contacts: int = 0
    invalid: int = 0
    duplicates: int = 0

    @property
    def added(self) -> int:
        return self.contacts - self.invalid - self.duplicates


class _Batcher:
    """Submitted rows to insertable tuples: numbers normalized, infos emptied to None, and
    numbers already seen in this addition left out. Pure Python, run before the unit of
    work, so a work that runs twice inserts the same rows."""

    def __init__(self, *, list_id: int, country: str, now_ms: int) -> None:
        self.list_id = list_id
        self.country = country
        self.now_ms = now_ms
        # Numbers as ints: a million of them take ~70 MB as a set of ints, ~110 MB as str.
        self.seen: set[int] = set()

    def prepare(self, rows: Iterable[Sequence[str | None]]) -> tuple[list[tuple], int, int, int]:
        """(rows to insert, submitted, invalid, duplicates) for one batch."""
        out: list[tuple] = []
        seen, country, list_id, now_ms = self.seen, self.country, self.list_id, self.now_ms
        normalize = normalize_recipient
        submitted = invalid = duplicates = 0
        for value, info1, info2, info3, info4 in rows:
            submitted += 1
            found = normalize(value, country) if value else None
            if found is None:
                invalid += 1
                continue
            key = int(found.msisdn)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            out.append(
                (
                    list_id,
                    found.msisdn,
                    found.country,
                    _info(info1),
                    _info(info2),
                    _info(info3),
                    _info(info4),
                    now_ms,
                )
            )
        return out, submitted, invalid, duplicates


def _info(value: str | None) -> str | None:
    """A contact's info as stored: a file's stray control characters are dropped (the API
    refuses them before they get here)."""
    if not value:
        return None
    return strip_control_characters(value) if has_control_characters(value) else value


def _checked(contacts: Sequence[NewContact]) -> Sequence[NewContact]:
    if len(contacts) > MAX_REQUEST_CONTACTS:
        raise InvalidField(
            f"At most {MAX_REQUEST_CONTACTS} contacts per request; send several requests "
            "or use `relais list import`"
        )
    for contact in contacts:
        for name, info in zip(INFOS, contact[1:], strict=True):
            if info is not None and len(info) > MAX_INFO:
                raise InvalidField(f"{name} is longer than {MAX_INFO} characters")
    return contacts


def _list_name(name: str | None, now_ms: int) -> str:
    """The name as given, or, as SMSFactor does, the creation date when none is given."""
    name = refuse_control_characters((name or "").strip(), "The list name")
    if len(name) > MAX_NAME:
        raise InvalidField(f"The list name is longer than {MAX_NAME} characters")
    return name or format_paris(from_ms(now_ms))


async def create_list(
    platform: Platform, *, account: AccountRef, name: str | None, contacts: Sequence[NewContact]
) -> ImportReport:
    """A new list of the account with `contacts`, in one transaction."""
    now_ms = to_ms(platform.clock())
    name = _list_name(name, now_ms)
    contacts = _checked(contacts)
    batcher = _Batcher(list_id=0, country=account.country, now_ms=now_ms)
    rows, submitted, invalid, duplicates = batcher.prepare(contacts)

    def work(conn) -> int:
        list_id = store.insert_list(conn, account_id=account.id, name=name, now_ms=now_ms)
        store.add_batch(
            conn,
            list_id=list_id,
            rows=[(list_id, *row[1:]) for row in rows],
            check_existing=False,
        )
        return list_id

    list_id = await platform.db.write(work)
    return ImportReport(list_id, submitted, invalid, duplicates)


async def add_contacts(
    platform: Platform, *, account: AccountRef, list_id: int, contacts: Sequence[NewContact]
) -> ImportReport:
    """Add `contacts` to one of the account's lists, in one transaction; NotFound (nothing
    stored) when the list is not the account's."""
    contacts = _checked(contacts)
    batcher = _Batcher(list_id=list_id, country=account.country, now_ms=to_ms(platform.clock()))
    rows, submitted, invalid, duplicates = batcher.prepare(contacts)

    present = await on_own_list(
        platform, account, list_id, lambda conn: store.add_batch(conn, list_id=list_id, rows=rows)
    )
    return ImportReport(list_id, submitted, invalid, duplicates + present)


async def import_contacts(
    platform: Platform,
    *,
    account: AccountRef,
    rows: Iterable[Sequence[str | None]],
    list_id: int | None = None,
    name: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Stream `rows` (value, info1..info4) into a new list named `name` (list_id None) or
    into one of the account's lists, `batch_size` contacts per transaction, never holding
    more than two batches in memory. The next batch is read and prepared while the current
    one is written. `progress` is called after each committed batch. `rows` is iterated on
    the event loop (a file is read in 8 kB blocks): meant for the CLI and batch jobs.

    A failure stops the import; the batches committed before it stay (the error says how
    many). Batches are checked against the numbers the list already holds only when
    importing into an existing list: the check costs 15-20 % of the import's CPU, and a list
    this import creates holds only what it imported (a concurrent addition to it by id is
    the one way to a duplicate, which PUT /list/deduplicate removes)."""
    if batch_size <= 0:
        raise InvalidField("batch_size must be positive")
    now_ms = to_ms(platform.clock())
    existing = list_id is not None
    if list_id is None:
        list_name = _list_name(name, now_ms)
        list_id = await platform.db.write(
            lambda conn: store.insert_list(
                conn, account_id=account.id, name=list_name, now_ms=now_ms
            )
        )
    elif not await platform.db.read(
        lambda conn: store.owned_list(conn, account_id=account.id, list_id=list_id) is not None
    ):
        raise list_not_found(list_id)
    report = ImportReport(list_id)
    batcher = _Batcher(list_id=list_id, country=account.country, now_ms=now_ms)
    source = iter(rows)

    async def next_batch() -> tuple[list[tuple], int, int, int]:
        """Read and prepare the next batch, SLICE rows at a time, giving the event loop a
        turn between slices so the batch being written keeps moving: on PostgreSQL the
        server inserts it while this prepares the next. (A thread did no better: the GIL
        handoffs cost what the overlap gained; docs/lists.md, "Import speed".)"""
        out: list[tuple] = []
        totals = [0, 0, 0]
        left = batch_size
        while left > 0:
            chunk = [row for _, row in zip(range(min(SLICE, left)), source, strict=False)]
            if not chunk:
                break
            prepared, submitted, invalid, duplicates = batcher.prepare(chunk)
            out += prepared
            totals = [a + b for a, b in zip(totals, (submitted, invalid, duplicates), strict=True)]
            left -= len(chunk)
            await asyncio.sleep(0)
        return out, totals[0], totals[1], totals[2]

    def write(batch: list[tuple]) -> Awaitable[int]:
        return platform.db.write(
            lambda conn: store.add_batch(conn, list_id=list_id, rows=batch, check_existing=existing)
        )

    try:
        batch, submitted, invalid, duplicates = await next_batch()
        while submitted:
            writing = asyncio.ensure_future(write(batch))
            reading = asyncio.ensure_future(next_batch())
            try:
                present = await writing
            except BaseException:
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
                raise
            report.contacts += submitted
            report.invalid += invalid
            report.duplicates += duplicates + present
            if progress is not None:
                progress(report)
            batch, submitted, invalid, duplicates = await reading
    except InvalidField as exc:
        if not existing and report.contacts == 0:
            # Nothing committed into the list this import created: leave no empty list.
            await delete_list(platform, account=account, list_id=list_id)
            raise
        raise InvalidField(
            f"{exc.detail} ({report.added} contacts were imported into list {list_id} before this)"
        ) from exc
    return report
