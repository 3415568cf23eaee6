"""The per-message log of an account (outbound messages and the replies it received) over
a period, and the replies to one of its campaigns. An account sees only its own messages:
a sub-account its own, a parent not its sub-accounts'."""

from __future__ import annotations

from dataclasses import dataclass, replace

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.phone import normalize_recipient
from relais.services.platform import AccountRef, Platform
from relais.services.short_links import short_links
from relais.store import campaigns as campaign_store
from relais.store import message_log as log_store
from relais.store.message_log import CATEGORIES, SORTABLE, LogFilter, LogRow, Reply
from relais.store.short_links import link_count

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: list[LogRow]
    # The list each row's contact belongs to, for rows merged from a list contact.
    list_ids: dict[int, int]
    total: int


async def list_messages(
    platform: Platform,
    *,
    account: AccountRef,
    date_start_ms: int | None,
    date_end_ms: int | None,
    destination: str | None = None,
    text: str | None = None,
    outbound: bool = True,
    inbound: bool = True,
    country: str | None = None,
    status: str | None = None,
    start: int = 0,
    length: int = 100,
    sort: str = "-date",
) -> LogPage:
    """One page of the account's messages in [date_start, date_end]: outbound ones by their
    campaign's send time (their texts as sent, tracked links in), replies by the time they
    were received.

    `outbound` and `inbound` choose the sides; `status` is one of the categories of
    store.message_log (it keeps outbound messages only); `destination` any form a send
    accepts; `sort` date, destination, sender or status, `-` first for descending."""
    if date_start_ms is None or date_end_ms is None:
        raise MissingField("date_start and date_end are required (Y-m-d H:i:s)")
    if date_end_ms < date_start_ms:
        raise InvalidField("date_end is before date_start")
    if start < 0 or not 1 <= length <= MAX_PAGE:
        raise InvalidField(f"start must be >= 0 and length between 1 and {MAX_PAGE}")
    if sort.removeprefix("-") not in SORTABLE:
        raise InvalidField("sort must be one of date, destination, sender, status (- reverses)")
    if status is not None and status not in CATEGORIES:
        raise InvalidField(f"status must be one of {', '.join(CATEGORIES)}")
    if country is not None:
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidField("country must be an ISO 3166 alpha-2 code such as FR")
    if destination is not None:
        found = normalize_recipient(destination, account.country)
        # A number no send would accept was never written to: it matches nothing.
        destination = found.msisdn if found else destination
    log_filter = LogFilter(
        account_id=account.id,
        date_start_ms=date_start_ms,
        date_end_ms=date_end_ms,
        destination=destination,
        text=text or None,
        outbound=outbound,
        inbound=inbound,
        country=country,
        category=status,
    )

    def work(conn) -> LogPage:
        rows, total = log_store.log_page(conn, log_filter, start=start, length=length, sort=sort)
        contact_ids = sorted({r.contact_id for r in rows if r.contact_id is not None})
        return LogPage(rows, log_store.list_ids_of(conn, contact_ids), total)

    page = await platform.db.read(work)
    if any(row.links for row in page.rows):
        links = await short_links(platform)
        page.rows[:] = [
            replace(row, text=links.render(row.text, row.id, link_count(row.links)))
            if row.links
            else row
            for row in page.rows
        ]
    return page


async def campaign_replies(
    platform: Platform, *, account: AccountRef, campaign_id: int
) -> list[Reply]:
    """The replies (STOPs aside: see GET /campaign/:id/blacklist) to one of the account's
    campaigns; NotFound for a campaign of another account."""

    def work(conn) -> list[Reply]:
        if not campaign_store.campaign_exists(conn, account_id=account.id, campaign_id=campaign_id):
            raise NotFound("Campaign not found")
        return log_store.campaign_replies(conn, account_id=account.id, campaign_id=campaign_id)

    return await platform.db.read(work)
