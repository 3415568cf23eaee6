"""Opt-outs: the blacklist (STOP list) and the NPAI list (numbers known to reach no one), per
account; sends skip the numbers on either (store.screening reads them). Both lists have the
same shape, so the paging, adding and deleting below serve either, named by `kind`
("blacklist" or "npai").

A STOP reply puts its sender on the blacklist of the account it answers (store.inbound).
A campaign's NPAI are its messages whose final status says the destination is invalid
(MessageStatus.INVALID_DESTINATION, from a receipt or from the carrier refusing the submit);
`add_campaign_npai` copies them into the NPAI list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from relais.core.status import MessageStatus
from relais.store.lists import INFOS
from relais.store.tables import blacklist, contacts, messages, npai

LISTS: dict[str, Table] = {"blacklist": blacklist, "npai": npai}


@dataclass(frozen=True, slots=True)
class OptOutRow:
    """One number on a blacklist or NPAI list, or a campaign's STOP or NPAI."""

    id: int
    destination: str
    created_at: int
    info1: str | None
    info2: str | None
    info3: str | None
    info4: str | None
    campaign_id: int | None


def _columns(table: Table):
    return (
        table.c.id,
        table.c.destination,
        table.c.created_at,
        *(table.c[name] for name in INFOS),
        table.c.campaign_id,
    )


def list_page(
    conn: Connection, *, kind: str, account_id: int, start: int, length: int
) -> tuple[list[OptOutRow], int]:
    """One page of the account's list in the order numbers were added (so a page never
    shifts while new numbers arrive), and how many numbers the list holds."""
    table = LISTS[kind]
    rows = conn.execute(
        select(*_columns(table))
        .where(table.c.account_id == account_id)
        .order_by(table.c.id)
        .offset(start)
        .limit(length)
    ).all()
    total = conn.execute(
        select(func.count()).select_from(table).where(table.c.account_id == account_id)
    ).scalar_one()
    return [OptOutRow(*row) for row in rows], total


def add_entries(
    conn: Connection, *, kind: str, account_id: int, entries: Sequence[dict], now_ms: int
) -> int:
    """Add {destination, info1..4} entries (distinct destinations) the list does not hold
    yet; how many were added. Numbers already listed keep their entry as it was."""
    rows = [
        {
            "account_id": account_id,
            "destination": entry["destination"],
            "origin": "api",
            "created_at": now_ms,
            "campaign_id": None,
            **{name: entry.get(name) for name in INFOS},
        }
        for entry in entries
    ]
    return insert_ignoring_listed(conn, LISTS[kind], rows)


def delete_entry(conn: Connection, *, kind: str, account_id: int, entry_id: int) -> bool:
    """Remove one entry of the account's list; False when it has no such entry."""
    table = LISTS[kind]
    result = conn.execute(
        delete(table).where(table.c.id == entry_id, table.c.account_id == account_id)
    )
    return result.rowcount == 1


def campaign_stops(conn: Connection, *, account_id: int, campaign_id: int) -> list[OptOutRow]:
    """Blacklist entries STOPs answering the campaign created, oldest first."""
    return [
        OptOutRow(*row)
        for row in conn.execute(
            select(*_columns(blacklist))
            .where(blacklist.c.campaign_id == campaign_id, blacklist.c.account_id == account_id)
            .order_by(blacklist.c.id)
        )
    ]


_INVALID = MessageStatus.INVALID_DESTINATION.value


def campaign_npai(conn: Connection, *, campaign_id: int) -> list[OptOutRow]:
    """The campaign's messages whose destination proved invalid, by message id, with the
    list contact's details when the message was merged from one; `created_at` is the time
    the message got that status. One row per number."""
    rows = conn.execute(
        select(
            messages.c.id,
            messages.c.destination,
            messages.c.done_at,
            *(contacts.c[name] for name in INFOS),
            messages.c.campaign_id,
        )
        .select_from(messages.outerjoin(contacts, contacts.c.id == messages.c.contact_id))
        .where(messages.c.campaign_id == campaign_id, messages.c.status == _INVALID)
        .order_by(messages.c.id)
    ).all()
    seen: set[str] = set()
    found = []
    for row in rows:
        if row.destination not in seen:
            seen.add(row.destination)
            message_id, destination, done_at, info1, info2, info3, info4, campaign = tuple(row)
            found.append(
                OptOutRow(
                    message_id, destination, done_at or 0, info1, info2, info3, info4, campaign
                )
            )
    return found


def add_campaign_npai(conn: Connection, *, account_id: int, campaign_id: int, now_ms: int) -> int:
    """Put the campaign's invalid destinations on the account's NPAI list (origin
    "receipt", with the campaign and the contact's details); how many were new."""
    entries = campaign_npai(conn, campaign_id=campaign_id)
    rows = [
        {
            "account_id": account_id,
            "destination": entry.destination,
            "origin": "receipt",
            "created_at": now_ms,
            "campaign_id": campaign_id,
            "info1": entry.info1,
            "info2": entry.info2,
            "info3": entry.info3,
            "info4": entry.info4,
        }
        for entry in entries
    ]
    return insert_ignoring_listed(conn, npai, rows)


def insert_ignoring_listed(conn: Connection, table: Table, rows: Sequence[dict]) -> int:
    """Insert opt-out rows (blacklist or npai), skipping numbers the account already has
    there, even ones a concurrent transaction has just added; how many were added."""
    if not rows:
        return 0
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["account_id", "destination"])
        .returning(table.c.id)
    )
    return len(conn.execute(statement, list(rows)).all())


def add_to_blacklist(
    conn: Connection,
    *,
    account_id: int,
    destination: str,
    origin: str,
    now_ms: int,
    campaign_id: int | None = None,
    infos: dict[str, str | None] | None = None,
) -> bool:
    """Add a number once; False when it was already there (the first entry is kept)."""
    row = {
        "account_id": account_id,
        "destination": destination,
        "origin": origin,
        "created_at": now_ms,
        "campaign_id": campaign_id,
        **(infos or dict.fromkeys(INFOS)),
    }
    return insert_ignoring_listed(conn, blacklist, [row]) == 1


def stops_per_campaign(
    conn: Connection, *, account_id: int, campaign_ids: Sequence[int]
) -> dict[int, int]:
    """Blacklist entries a STOP answering each campaign created (ix_blacklist_campaign_id)."""
    if not campaign_ids:
        return {}
    rows = conn.execute(
        select(blacklist.c.campaign_id, func.count())
        .where(
            blacklist.c.campaign_id.in_(list(campaign_ids)),
            blacklist.c.account_id == account_id,
        )
        .group_by(blacklist.c.campaign_id)
    )
    return {campaign_id: count for campaign_id, count in rows}


def entry_of(conn: Connection, *, kind: str, account_id: int, destination: str) -> OptOutRow | None:
    """The account's entry for one number on a list, or None."""
    table = LISTS[kind]
    row = conn.execute(
        select(*_columns(table)).where(
            table.c.account_id == account_id, table.c.destination == destination
        )
    ).first()
    return OptOutRow(*row) if row else None
