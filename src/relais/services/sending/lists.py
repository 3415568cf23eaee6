"""Campaigns to contact lists (SMSFactor POST /send/lists and /send/lists/simulate).

Each contact of the caller's lists gets the campaign text with `[info1]`..`[info4]` replaced
by its own fields (core.templates; a missing field by nothing), and is priced on that merged
text: parts can differ from one contact to the next. A number in several lists (or twice in
one) is sent once; its other entries count in `duplicated`. Contacts are screened as
core.screening orders it, `invalid` here being a merged text longer than the allowed parts,
and `npai` counting the NPAI list and the contacts a receipt flagged. Marketing gets the STOP
notice and the marketing window.

A list may hold a million contacts, so nothing holds them all: contacts are streamed by
(list_id, id) keyset pages and each page is merged, screened, priced and written on its own.
One transaction would be atomic, but on SQLite it would block every other write for the
tens of seconds it takes; instead (docs/sending-rules.md, "List campaigns"):

1. survey (survey.py): one read-only pass merges, screens and prices every page (this is the
   whole of a simulation) and spools the planned messages to a temporary file;
2. one transaction stores the campaign as `preparing` with its lists and debits that price
   up front; if the balance does not cover it nothing at all is stored;
3. each spooled page is then written in its own transaction (write_pass.py), which screens it
   again (a STOP that arrived meanwhile is honoured) and adds its cost and counters to the
   campaign row;
4. one transaction closes the campaign (queued, scheduled or moderation) and refunds what
   the debit took beyond the cost of the messages written (recipients screened out since).

A page can only lose messages between survey and write, so a campaign never costs more than
its debit. A process that dies mid-way leaves its campaign `preparing`: recovery.py closes
such campaigns the same way, so the payer is charged exactly for the messages stored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from sqlalchemy import Connection

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.instant import to_ms
from relais.core.screening import COUNTERS
from relais.core.send_rules import require_text
from relais.core.status import MessageStatus
from relais.core.templates import Template
from relais.services.platform import AccountRef, Platform
from relais.services.sending import survey as survey_pass
from relais.services.sending import write_pass
from relais.services.sending.common import (
    SendReport,
    insert_paid_campaign,
    moderation_reason,
    prepare,
    with_balance_check,
)
from relais.services.sending.recovery import closing_status
from relais.services.sending.survey import ListSend
from relais.store import account_policy as policy_store
from relais.store import accounts as account_store
from relais.store import list_campaigns as list_store

MAX_LISTS = 100


@dataclass(frozen=True, slots=True)
class ListSubmission:
    """A list send as a dialect understood it, before any rule is applied."""

    text: str
    list_ids: Sequence[int]
    sender: str | None = None
    pushtype: str | None = None
    delay: str | None = None
    force_unicode: bool = False
    # The long URLs of the text's `<-short->` placeholders, in order.
    links: Sequence[str] = ()


def _report(counts: dict[str, int]) -> SendReport:
    report = SendReport(
        ticket=None, cost=counts["cost"], credits=0, total=counts["total"], sent=counts["sent"]
    )
    for name in COUNTERS:
        report.counters[name] = counts[name]
    return report


async def send_lists(
    platform: Platform,
    *,
    account: AccountRef,
    submission: ListSubmission,
    simulate: bool = False,
) -> SendReport:
    """Merge, screen, price and (unless simulating) store a campaign to the account's lists.

    A list that is not the account's own (another account's, a sub-account's or its
    parent's) is not found: nothing is stored and nothing is taken."""
    text = require_text(submission.text)
    list_ids = list(dict.fromkeys(submission.list_ids))
    if not list_ids:
        raise MissingField("There is no list")
    if len(list_ids) > MAX_LISTS:
        raise InvalidField(f"At most {MAX_LISTS} lists per campaign")
    plan = await prepare(
        platform,
        account=account,
        text=text,
        sender=submission.sender,
        pushtype=submission.pushtype,
        delay=submission.delay,
        links=submission.links,
    )
    template = Template(plan.body)
    # The text with every field empty must fit; a contact whose fields make it too long is
    # counted invalid.
    encoding, _ = plan.parts(template.merge(("",) * 4), force_unicode=submission.force_unicode)
    lists = await platform.db.read(
        lambda conn: list_store.owned_lists(conn, account_id=account.id, list_ids=list_ids)
    )
    missing = [i for i in list_ids if i not in lists]
    if missing:
        raise NotFound(f"No list with id {missing[0]}")
    ctx = ListSend(
        account_id=account.id,
        plan=plan,
        template=template,
        force_unicode=submission.force_unicode,
        window=plan.window,
        status=MessageStatus.QUEUED.value,
    )
    bounds = [(list_id, lists[list_id]) for list_id in list_ids]
    month = policy_store.month_of(plan.now_ms)
    with tempfile.TemporaryFile(prefix="relais-list-") as spool:
        survey, queued = await survey_pass.survey(
            platform, ctx, bounds, month=month, spool=None if simulate else spool
        )
        if simulate:
            return await with_balance_check(platform, account, _report(survey))
        return await _store(
            platform,
            ctx,
            spool,
            account=account,
            survey=survey,
            queued=queued,
            campaign=plan.campaign(
                account_id=account.id,
                kind="list",
                encoding=encoding,
                status=list_store.PREPARING,
            ),
            text=text,
            list_ids=list_ids,
            month=month,
        )


async def _store(
    platform: Platform,
    ctx: ListSend,
    spool: BinaryIO,
    *,
    account: AccountRef,
    survey: dict[str, int],
    queued: int,
    campaign: dict[str, Any],
    text: str,
    list_ids: list[int],
    month: str,
) -> SendReport:
    """Create the campaign with its up-front debit, write the spooled pages, close it."""
    plan = ctx.plan

    def create(conn: Connection) -> tuple[int, str | None]:
        reason = moderation_reason(conn, plan, account.id, text, queued > 0)
        campaign_id = insert_paid_campaign(
            conn,
            account=account,
            campaign={**campaign, "moderation_reason": reason},
            amount=survey["cost"],
            now_ms=plan.now_ms,
        ).campaign_id
        list_store.add_campaign_lists(conn, campaign_id=campaign_id, list_ids=list_ids)
        return campaign_id, reason

    campaign_id, reason = await platform.db.write(create, row_order=account.billing_account_id)
    scheduled = plan.send_at is not None
    status = closing_status(reason, scheduled=scheduled)
    if reason is not None:
        ctx = replace(ctx, status=MessageStatus.HELD.value)
    try:
        await write_pass.write_pages(
            platform, ctx, spool, campaign_id=campaign_id, due_ms=plan.due_ms, month=month
        )
    finally:
        counts, credits = await _finish(
            platform, account=account, campaign_id=campaign_id, status=status
        )
    report = _report(counts)
    report.ticket = campaign_id
    report.credits = credits
    report.moderation_reason = reason
    if report.sent and not scheduled and reason is None:
        platform.on_queued()
    return report


async def _finish(
    platform: Platform, *, account: AccountRef, campaign_id: int, status: str
) -> tuple[dict[str, int], int]:
    """Close the campaign with `status`, refunding what was paid beyond its messages; its
    counters and the payer's balance."""
    now_ms = to_ms(platform.clock())

    def finish(conn: Connection) -> tuple[dict[str, int], int]:
        list_store.finish_preparing(conn, campaign_id=campaign_id, status=status, now_ms=now_ms)
        counts = list_store.campaign_counts(conn, campaign_id=campaign_id)
        return counts, account_store.get_balance(conn, account.billing_account_id)

    return await platform.db.write(finish)
