"""Opt-outs: the blacklist (STOP list) and the NPAI list of an account, and the STOPs and
NPAI of one of its campaigns.

Both lists hold numbers a send skips. The blacklist is fed by STOP replies (with the
campaign they answered) and by the API; the NPAI list by the API, by PUT /campaign/:id/npai
(the campaign's invalid destinations) and by the list owner clearing a list's NPAI contacts.
Every account sees and changes only its own lists and campaigns: a sub-account's lists are
its own, and a parent does not see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.instant import to_ms
from relais.core.phone import normalize_recipient
from relais.services.platform import AccountRef, Platform
from relais.store import campaigns as campaign_store
from relais.store import opt_outs as opt_out_store
from relais.store import screening as screening_store
from relais.store.opt_outs import OptOutRow

Kind = Literal["blacklist", "npai"]
KINDS: tuple[Kind, ...] = ("blacklist", "npai")
MAX_PAGE = 1000
MAX_CONTACTS = 10_000
INFO_LENGTH = 255  # blacklist.info1..4 and npai.info1..4 are String(255)


@dataclass(frozen=True, slots=True)
class OptOutContact:
    """A number as the client gave it, with up to four details."""

    number: str
    info1: str | None = None
    info2: str | None = None
    info3: str | None = None
    info4: str | None = None


@dataclass(frozen=True, slots=True)
class OptOutPage:
    rows: list[OptOutRow]
    total: int


@dataclass(frozen=True, slots=True)
class Added:
    """What an addition did: `added` numbers were new on the list; `invalid` entries were
    not phone numbers and were skipped; the rest were already listed (or repeated in the
    request) and left as they were."""

    added: int
    invalid: int


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(kind)


async def list_opt_outs(
    platform: Platform, *, account: AccountRef, kind: Kind, start: int = 0, length: int = 100
) -> OptOutPage:
    """One page of the account's list, in the order the numbers were added."""
    _check_kind(kind)
    if start < 0 or not 1 <= length <= MAX_PAGE:
        raise InvalidField(f"start must be >= 0 and length between 1 and {MAX_PAGE}")
    rows, total = await platform.db.read(
        lambda conn: opt_out_store.list_page(
            conn, kind=kind, account_id=account.id, start=start, length=length
        )
    )
    return OptOutPage(rows, total)


async def add_opt_outs(
    platform: Platform, *, account: AccountRef, kind: Kind, contacts: Sequence[OptOutContact]
) -> Added:
    """Add numbers to the account's list, normalized like send recipients (the account's
    country for national forms). Invalid numbers are counted and skipped; a number already
    listed keeps its entry. A request with no entry, too many, or an info longer than the
    column is refused whole, before anything is stored."""
    _check_kind(kind)
    if not contacts:
        raise MissingField("There is no contact to add")
    if len(contacts) > MAX_CONTACTS:
        raise InvalidField(f"At most {MAX_CONTACTS} contacts per request")
    entries: dict[str, dict[str, str | None]] = {}
    invalid = 0
    for contact in contacts:
        infos = {
            "info1": contact.info1,
            "info2": contact.info2,
            "info3": contact.info3,
            "info4": contact.info4,
        }
        for name, value in infos.items():
            if value is not None and len(value) > INFO_LENGTH:
                raise InvalidField(f"{name} is longer than {INFO_LENGTH} characters")
        found = normalize_recipient(contact.number, account.country)
        if found is None:
            invalid += 1
            continue
        entries.setdefault(found.msisdn, {"destination": found.msisdn, **infos})
    now_ms = to_ms(platform.clock())
    rows = list(entries.values())

    def work(conn) -> int:
        return opt_out_store.add_entries(
            conn, kind=kind, account_id=account.id, entries=rows, now_ms=now_ms
        )

    added = await platform.db.write(work) if rows else 0
    return Added(added=added, invalid=invalid)


async def delete_opt_out(
    platform: Platform, *, account: AccountRef, kind: Kind, entry_id: int
) -> None:
    """Remove one entry (by its id) from the account's list; NotFound for an entry that
    does not exist or belongs to another account."""
    _check_kind(kind)

    def work(conn) -> bool:
        return opt_out_store.delete_entry(conn, kind=kind, account_id=account.id, entry_id=entry_id)

    if not await platform.db.write(work):
        raise NotFound(f"No {kind} entry {entry_id}")


def _own_campaign(conn, account: AccountRef, campaign_id: int) -> None:
    if not campaign_store.campaign_exists(conn, account_id=account.id, campaign_id=campaign_id):
        raise NotFound("Campaign not found")


async def campaign_stops(
    platform: Platform, *, account: AccountRef, campaign_id: int
) -> list[OptOutRow]:
    """The blacklist entries STOP replies to the campaign created."""

    def work(conn) -> list[OptOutRow]:
        _own_campaign(conn, account, campaign_id)
        return opt_out_store.campaign_stops(conn, account_id=account.id, campaign_id=campaign_id)

    return await platform.db.read(work)


async def campaign_npai(
    platform: Platform, *, account: AccountRef, campaign_id: int
) -> list[OptOutRow]:
    """The campaign's numbers whose destination proved invalid, whether or not they were
    moved to the NPAI list yet; `created_at` is when each got that status."""

    def work(conn) -> list[OptOutRow]:
        _own_campaign(conn, account, campaign_id)
        return opt_out_store.campaign_npai(conn, campaign_id=campaign_id)

    return await platform.db.read(work)


async def add_campaign_npai(platform: Platform, *, account: AccountRef, campaign_id: int) -> int:
    """Put the campaign's invalid destinations on the account's NPAI list (once: numbers
    already there keep their entry); how many were added."""
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        _own_campaign(conn, account, campaign_id)
        return opt_out_store.add_campaign_npai(
            conn, account_id=account.id, campaign_id=campaign_id, now_ms=now_ms
        )

    return await platform.db.write(work)


async def blacklisted_among(
    platform: Platform, *, account: AccountRef, numbers: Sequence[str]
) -> set[str]:
    """Which of `numbers` (normalized msisdns) are on the account's blacklist: lets a dialect
    refuse a send whose every recipient opted out before anything is stored."""
    if not numbers:
        return set()
    listed, _ = await platform.db.read(
        lambda conn: screening_store.listed_among(conn, account_id=account.id, numbers=numbers)
    )
    return listed


async def opt_out_entry(
    platform: Platform, *, account: AccountRef, kind: Kind, number: str
) -> OptOutRow | None:
    """The account's entry for `number` (as the client wrote it) on a list, or None."""
    _check_kind(kind)
    found = normalize_recipient(number, account.country)
    if found is None:
        return None
    return await platform.db.read(
        lambda conn: opt_out_store.entry_of(
            conn, kind=kind, account_id=account.id, destination=found.msisdn
        )
    )
