"""Contact lists: read with search and paging, edit a contact, de-duplicate, move NPAI
numbers out, delete. Putting contacts in (a new list, API additions, CSV imports) is
services.list_import.

An account sees and changes only its own lists; another account's list or contact is
"not found" (a parent acts on a sub-account's lists with a token of that sub-account).
A number given to edit a contact is normalized as sends do. docs/lists.md has the whole
policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.instant import to_ms
from relais.core.phone import normalize_recipient
from relais.services.platform import AccountRef, Platform
from relais.store import lists as store
from relais.store.lists import INFOS, MAX_INFO, ContactPage
from relais.store.lists import ContactRow as ContactRow  # re-exported for the API
from relais.store.lists import ListSummary as ListSummary

MAX_PAGE = 1000
DELETE_BATCH = 20_000


def list_not_found(list_id: int) -> NotFound:
    """The error for a list that is not the account's (or does not exist)."""
    return NotFound(f"No list with id {list_id}")


async def on_own_list(platform: Platform, account: AccountRef, list_id: int, change) -> int:
    """Run `change(conn)` in a write if the list is the account's; NotFound otherwise."""

    def work(conn) -> int | None:
        if store.owned_list(conn, account_id=account.id, list_id=list_id) is None:
            return None
        return change(conn)

    result = await platform.db.write(work)
    if result is None:
        raise list_not_found(list_id)
    return result


async def _on_contact(platform: Platform, account: AccountRef, contact_id: int, change) -> None:
    """Run `change(conn)` in a write if the contact is in one of the account's lists."""

    def work(conn) -> bool:
        if store.owned_contact(conn, account_id=account.id, contact_id=contact_id) is None:
            return False
        change(conn)
        return True

    if not await platform.db.write(work):
        raise NotFound(f"No contact with id {contact_id}")


# --- reading ----------------------------------------------------------------------------------


async def list_lists(platform: Platform, *, account: AccountRef) -> list[ListSummary]:
    """The account's lists in creation order, with their number of contacts."""
    return await platform.db.read(lambda conn: store.list_summaries(conn, account_id=account.id))


@dataclass(frozen=True, slots=True)
class ListPage:
    id: int
    name: str
    created_at_ms: int
    page: ContactPage


async def get_list(
    platform: Platform,
    *,
    account: AccountRef,
    list_id: int,
    search: str | None = None,
    start: int = 0,
    length: int = MAX_PAGE,
) -> ListPage:
    """A page of one of the account's lists; `search` matches part of the number or of an
    info (case-insensitive), or the whole number however it is written."""
    if start < 0 or not 1 <= length <= MAX_PAGE:
        raise InvalidField(f"start must be >= 0 and length between 1 and {MAX_PAGE}")
    search = (search or "").strip() or None
    found = normalize_recipient(search, account.country) if search else None
    number = found.msisdn if found else None

    def work(conn) -> ListPage | None:
        row = store.owned_list(conn, account_id=account.id, list_id=list_id)
        if row is None:
            return None
        page = store.contact_page(
            conn, list_id=list_id, search=search, number=number, start=start, length=length
        )
        return ListPage(row.id, row.name, row.created_at, page)

    result = await platform.db.read(work)
    if result is None:
        raise list_not_found(list_id)
    return result


async def get_contact(platform: Platform, *, account: AccountRef, contact_id: int) -> ContactRow:
    """One contact of the account's lists; NotFound for another account's or none."""
    found = await platform.db.read(
        lambda conn: store.owned_contact(conn, account_id=account.id, contact_id=contact_id)
    )
    if found is None:
        raise NotFound(f"No contact with id {contact_id}")
    return found


# --- changing -----------------------------------------------------------------------------------


async def update_contact(
    platform: Platform,
    *,
    account: AccountRef,
    contact_id: int,
    value: str | None = None,
    infos: Mapping[str, str | None] | None = None,
) -> None:
    """Change a contact of one of the account's lists: its number when `value` is given
    (normalized; an invalid one changes nothing), and the infos named in `infos` (an empty
    one is cleared)."""
    changes: dict[str, object] = {}
    if value is not None:
        found = normalize_recipient(value, account.country) if value.strip() else None
        if found is None:
            raise InvalidField(f"{value!r} is not a valid phone number")
        changes.update(destination=found.msisdn, country=found.country)
    for name, info in (infos or {}).items():
        if name not in INFOS:
            raise InvalidField(f"Unknown contact field {name}")
        if info is not None and len(info) > MAX_INFO:
            raise InvalidField(f"{name} is longer than {MAX_INFO} characters")
        changes[name] = info or None
    if not changes:
        raise MissingField("Give the contact's value or at least one of info1..info4")

    await _on_contact(
        platform,
        account,
        contact_id,
        lambda conn: store.update_contact(conn, contact_id=contact_id, changes=changes),
    )


async def delete_contact(platform: Platform, *, account: AccountRef, contact_id: int) -> None:
    await _on_contact(
        platform,
        account,
        contact_id,
        lambda conn: store.delete_contact(conn, contact_id=contact_id),
    )


async def deduplicate_list(platform: Platform, *, account: AccountRef, list_id: int) -> int:
    """Keep the first contact of each number; how many were removed."""
    return await on_own_list(
        platform, account, list_id, lambda conn: store.deduplicate(conn, list_id=list_id)
    )


async def clear_npai(platform: Platform, *, account: AccountRef, list_id: int) -> int:
    """Move the list's NPAI contacts into the account's NPAI list; how many left the list."""
    now_ms = to_ms(platform.clock())
    return await on_own_list(
        platform,
        account,
        list_id,
        lambda conn: store.clear_npai(conn, account_id=account.id, list_id=list_id, now_ms=now_ms),
    )


async def delete_list(platform: Platform, *, account: AccountRef, list_id: int) -> int:
    """Delete one of the account's lists with its contacts, DELETE_BATCH contacts per
    transaction (a list small enough goes in one); how many contacts went. Interrupted,
    the list stays with its remaining contacts, and deleting it again finishes the job."""
    total = 0
    while True:
        removed = await platform.db.write(
            lambda conn: store.delete_list_batch(
                conn, account_id=account.id, list_id=list_id, limit=DELETE_BATCH
            )
        )
        if removed is None:
            raise list_not_found(list_id)
        total += removed
        if removed < DELETE_BATCH:
            return total
