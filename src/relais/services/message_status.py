"""Where each message of a send stands, asked by campaign id and number or by tag, with
whether its number is on the account's blacklist (the STOP flag status replies carry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from relais.core.errors import InvalidField
from relais.services.platform import AccountRef, Platform
from relais.store import message_status as status_store
from relais.store import screening as screening_store
from relais.store.message_status import MessageState

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Status:
    message: MessageState
    stopped: bool  # the number is on the account's blacklist


def _with_stops(conn: Connection, account_id: int, rows: list[MessageState]) -> list[Status]:
    numbers = sorted({row.destination for row in rows})
    listed, _ = (
        screening_store.listed_among(conn, account_id=account_id, numbers=numbers)
        if numbers
        else (set(), set())
    )
    return [Status(row, row.destination in listed) for row in rows]


async def campaign_statuses(
    platform: Platform, *, account: AccountRef, campaign_id: int, destination: str | None = None
) -> list[Status]:
    """The messages of one of the account's campaigns (to `destination` only, if given); an
    empty list when there is none (or the campaign is another account's)."""

    def work(conn: Connection) -> list[Status]:
        rows = status_store.campaign_messages(
            conn, account_id=account.id, campaign_id=campaign_id, destination=destination
        )
        return _with_stops(conn, account.id, rows)

    return await platform.db.read(work)


async def many_statuses(
    platform: Platform, *, account: AccountRef, wanted: Sequence[tuple[int, str]]
) -> list[Status | None]:
    """For each (campaign id, msisdn), its message's status, or None when there is none."""

    def work(conn: Connection) -> list[Status | None]:
        found: list[Status | None] = []
        for campaign_id, destination in wanted:
            rows = status_store.campaign_messages(
                conn, account_id=account.id, campaign_id=campaign_id, destination=destination
            )
            found.append(_with_stops(conn, account.id, rows[:1])[0] if rows else None)
        return found

    return await platform.db.read(work)


async def tagged_statuses(
    platform: Platform, *, account: AccountRef, tag: str, page: int, per_page: int = MAX_PAGE
) -> tuple[list[Status], int]:
    """Page `page` (from 1) of the messages of the account's campaigns tagged `tag`, and how
    many there are."""
    if page < 1 or not 1 <= per_page <= MAX_PAGE:
        raise InvalidField(f"page must be >= 1 and per_page between 1 and {MAX_PAGE}")

    def work(conn: Connection) -> tuple[list[Status], int]:
        rows, total = status_store.tagged_messages(
            conn, account_id=account.id, tag=tag, offset=(page - 1) * per_page, limit=per_page
        )
        return _with_stops(conn, account.id, rows), total

    return await platform.db.read(work)
