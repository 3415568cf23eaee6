"""The write pass of a list campaign: the pages its survey planned, spooled to a temporary
file, read back and written each in its own transaction.

Each page is screened again in its transaction (core.screening, with the opt-out lists, the
flood counts and the country caps as they are now): a STOP that arrived since the survey is
honoured. A page can only lose messages, so the campaign never costs more than its up-front
debit."""

from __future__ import annotations

import asyncio
from operator import itemgetter
from typing import Any, BinaryIO

from sqlalchemy import Connection

from relais.core.screening import COUNTRY_LIMIT
from relais.core.status import MessageStatus
from relais.services.platform import Platform
from relais.services.sending.spool import spooled
from relais.services.sending.survey import ListSend
from relais.store import account_policy as policy_store
from relais.store import list_campaigns as list_store
from relais.store import screening as screening_store

# Where a planned message (a tuple in list_store.MESSAGE_COLUMNS order) keeps these.
_DESTINATION = list_store.MESSAGE_COLUMNS.index("destination")
_COUNTRY = list_store.MESSAGE_COLUMNS.index("country")
_TEXT = list_store.MESSAGE_COLUMNS.index("text")
_COST = list_store.MESSAGE_COLUMNS.index("cost")
_STATUS = list_store.MESSAGE_COLUMNS.index("status")


class _Closed(Exception):
    """The campaign was closed (by the recovery sweep) while it was being written."""


def screen_again(
    conn: Connection,
    ctx: ListSend,
    messages: list[tuple],
    counters: dict[str, int],
    *,
    campaign_id: int,
    month: str,
) -> tuple[list[tuple], dict[str, int], dict[tuple[int, str], int]]:
    """In the page's transaction: drop the planned messages whose number was blacklisted or
    put on the NPAI list since the page was read, those a concurrent send now floods, and
    those beyond a monthly country cap. (kept messages, counters, usage per cap counter).
    Pure but for its reads: the same page gives the same result twice."""
    counts = dict(counters)
    account_id, window, screening = ctx.account_id, ctx.window, ctx.plan.screening
    numbers = [message[_DESTINATION] for message in messages]
    listed, unreachable = screening_store.listed_among(conn, account_id=account_id, numbers=numbers)
    recent: dict[str, dict[str, int]] = {}
    # Read under the account's flood lock, which write_pages declares for the page's write.
    if (
        window is not None
        and numbers
        and screening_store.flood_possible(
            conn,
            account_id=account_id,
            window=window,
            reach_ms=ctx.plan.reach_ms,
            exclude_campaign=campaign_id,
        )
    ):
        recent = screening_store.recent_texts(
            conn, account_id=account_id, numbers=numbers, window=window
        )
    kept = messages
    if listed or unreachable or recent:
        kept = []
        verdict, floods_texts = screening.verdict, screening.limits.floods_texts
        template_text = ctx.template.text
        for message in messages:
            destination = message[_DESTINATION]
            dropped = verdict(
                message[_COUNTRY],
                destination in listed,
                destination in unreachable,
                True,
                floods_texts(recent.get(destination), message[_TEXT] or template_text),
            )
            if dropped is None:
                kept.append(message)
            else:
                counts[dropped] += 1
                counts["sent"] -= 1
    usage: dict[tuple[int, str], int] = {}
    if screening.cap_scopes:
        keys = screening.usage_keys(message[_COUNTRY] for message in kept)
        used = policy_store.lock_usage(conn, keys=keys, month=month)
        # Planned messages are queued unless unroutable: only those use a cap.
        kept, usage, limited = screening.apply_country_caps(
            kept, used, country_of=itemgetter(_COUNTRY), status_of=itemgetter(_STATUS)
        )
        counts[COUNTRY_LIMIT] += limited
        counts["sent"] -= limited
    if ctx.status != MessageStatus.QUEUED.value:  # held for moderation
        queued = MessageStatus.QUEUED.value
        kept = [
            (*m[:_STATUS], ctx.status, *m[_STATUS + 1 :]) if m[_STATUS] == queued else m
            for m in kept
        ]
    return kept, counts, usage


async def write_pages(
    platform: Platform,
    ctx: ListSend,
    spool: BinaryIO,
    *,
    campaign_id: int,
    due_ms: int,
    month: str,
) -> None:
    """Write the spooled pages, each in its own transaction; the next page is loaded while
    the previous one is written. Stops, without error, when the recovery sweep closed the
    campaign meanwhile."""

    def writer(messages: list[tuple], counters: dict[str, int]) -> asyncio.Future[Any]:
        def write(conn: Connection) -> None:
            kept, counts, usage = screen_again(
                conn, ctx, messages, counters, campaign_id=campaign_id, month=month
            )
            cost = sum(message[_COST] for message in kept)
            if not list_store.add_to_preparing(
                conn, campaign_id=campaign_id, amounts={**counts, "cost": cost}
            ):
                raise _Closed()
            list_store.insert_message_rows(
                conn, campaign_id=campaign_id, account_id=ctx.account_id, due_at=due_ms, rows=kept
            )
            if usage:
                policy_store.add_usage(conn, amounts=usage, month=month)

        locks = screening_store.flood_locks(ctx.account_id) if ctx.window is not None else ()
        return asyncio.ensure_future(platform.db.write(write, locks=locks))

    in_flight = None
    try:
        for messages, counters in spooled(spool):
            if in_flight is not None:
                await in_flight
            in_flight = writer(messages, counters)
        if in_flight is not None:
            await in_flight
        in_flight = None
    except _Closed:
        in_flight = None
    finally:
        if in_flight is not None:
            await asyncio.gather(in_flight, return_exceptions=True)
