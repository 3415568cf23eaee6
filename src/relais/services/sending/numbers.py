"""Sending and simulating campaigns to explicit numbers (single and bulk sends).

A send is stored as one transaction: the campaign, its messages (the outbound queue), the
debit of its cost and the account's monthly country counters, or nothing at all.

Recipients are screened as core.screening orders it, each counted once in the reply. Invalid
numbers, duplicates and countries the account may not send to are known from the request; the
opt-out lists, the flood counts and the caps are read in the send's own transaction. Screened
out recipients are neither stored nor charged. A campaign a moderation rule matches is stored
with its messages held for review (services.moderation) and the reply carries status -8.

Marketing (pushtype marketing/advertising) texts end with the STOP notice, which is priced
like the rest of the text, and are released only inside the marketing window
(core.send_rules.release_time). docs/sending-rules.md has the whole policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from sqlalchemy import Connection

from relais.core.errors import InvalidField, MissingField
from relais.core.phone import normalize_recipient
from relais.core.pricing import message_cost, unit_price
from relais.core.screening import COUNTRY_LIMIT, DUPLICATED, INVALID, FloodLimits
from relais.core.send_rules import require_text
from relais.core.status import CampaignStatus, MessageStatus
from relais.services.platform import AccountRef, Platform
from relais.services.sending.common import (
    Prepared,
    SendReport,
    insert_paid_campaign,
    moderation_reason,
    prepare,
    with_balance_check,
)
from relais.store import account_policy as policy_store
from relais.store import screening as screening_store
from relais.store import send_callbacks
from relais.store.advisory_locks import AdvisoryLock
from relais.store.paid_campaigns import Paid
from relais.store.write_groups import GroupRead

MAX_RECIPIENTS = 10_000


@dataclass(frozen=True, slots=True)
class Recipient:
    number: str
    gsmsmsid: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A send request as a dialect understood it, before any rule is applied."""

    text: str
    recipients: Sequence[Recipient]
    kind: str = "bulk"
    sender: str | None = None
    pushtype: str | None = None
    delay: str | None = None
    force_unicode: bool = False
    # The long URLs of the text's `<-short->` placeholders, in order.
    links: Sequence[str] = ()
    # A client's label of the campaign, and per-send callback URLs (SMSPartner's `tag`,
    # `urlDlr`, `urlResponse`), kept on the campaign row.
    tag: str | None = None
    dlr_url: str | None = None
    reply_url: str | None = None
    # The key the callbacks are signed with (None: unsigned; store.send_callbacks).
    callback_signature: str | None = None


@dataclass(frozen=True, slots=True)
class Screen:
    """What the database says about a send's recipients, read in its transaction: numbers on
    the blacklist and on the NPAI list, and the anti-flood counts (messages in the window,
    of them with the send's text) of the numbers that have some."""

    blacklisted: set[str]
    npai: set[str]
    recent: dict[str, tuple[int, int]]


def screen(
    conn: Connection,
    *,
    account_id: int,
    numbers: list[str],
    text: str,
    window: tuple[int, int] | None,
    reach_ms: int,
) -> Screen:
    """Read what the database says about `numbers` (see Screen); `reach_ms`: how long after
    its campaign's send time a message may still be due."""
    if len(numbers) == 1:
        # The hot path of single sends: one statement for all three lists.
        number = numbers[0]
        found = screening_store.screen_one(
            conn, account_id=account_id, number=number, text=text, window=window
        )
        return screen_of_one(number, found)
    recent = {}
    if (
        window is not None
        and numbers
        and screening_store.flood_possible(
            conn, account_id=account_id, window=window, reach_ms=reach_ms
        )
    ):
        counts = screening_store.recent_texts(
            conn, account_id=account_id, numbers=numbers, window=window
        )
        recent = {n: (sum(by.values()), by.get(text, 0)) for n, by in counts.items()}
    if not numbers:
        return Screen(set(), set(), recent)
    blacklisted, npai = screening_store.listed_among(conn, account_id=account_id, numbers=numbers)
    return Screen(blacklisted, npai, recent)


def screen_of_one(number: str, found: tuple[bool, bool, int, int]) -> Screen:
    """The Screen of a single recipient from what store.screening read of it."""
    listed, unreachable, total, same = found
    return Screen(
        {number} if listed else set(),
        {number} if unreachable else set(),
        {number: (total, same)} if total else {},
    )


def _messages(
    plan: Prepared, account: AccountRef, submission: Submission, parts: int, report: SendReport
) -> list[dict]:
    """The message rows of the recipients the request alone can screen (invalid numbers,
    duplicates, countries not allowed: counted in `report`), routed and priced."""
    verdict = plan.screening.verdict
    counters = report.counters
    seen: set[str] = set()
    rows: list[dict] = []
    due_ms = plan.due_ms
    queued = MessageStatus.QUEUED.value
    unroutable = MessageStatus.ROUTE_NOT_AVAILABLE.value
    for recipient in submission.recipients:
        destination = normalize_recipient(recipient.number, account.country)
        if destination is None:
            counters[INVALID] += 1
            continue
        msisdn, country = destination.msisdn, destination.country
        if msisdn in seen:
            counters[DUPLICATED] += 1
            continue
        seen.add(msisdn)
        dropped = verdict(country)
        if dropped is not None:
            counters[dropped] += 1
            continue
        connector = plan.routes.choose(
            destination=msisdn, country=country, account_id=account.id, sender=plan.sender
        )
        if connector is None:
            # No route: the message fails on its own, is reported, and costs nothing.
            status, cost, done = unroutable, 0, plan.now_ms
        else:
            status, cost, done = queued, message_cost(parts, unit_price(plan.prices, country)), None
        rows.append(
            {
                "account_id": account.id,
                "destination": msisdn,
                "country": country,
                "gsmsmsid": recipient.gsmsmsid,
                "text": None,
                "parts": parts,
                "cost": cost,
                "status": status,
                "due_at": due_ms,
                "connector": connector,
                "done_at": done,
                "error": None if connector else "no route",
            }
        )
    return rows


async def send(
    platform: Platform, *, account: AccountRef, submission: Submission, simulate: bool = False
) -> SendReport:
    """Screen, price and (unless simulating) store a campaign with its debit."""
    text = require_text(submission.text)
    if not submission.recipients:
        raise MissingField("There is no recipient")
    if len(submission.recipients) > MAX_RECIPIENTS:
        raise InvalidField(f"At most {MAX_RECIPIENTS} recipients per request")
    plan = await prepare(
        platform,
        account=account,
        text=text,
        sender=submission.sender,
        pushtype=submission.pushtype,
        delay=submission.delay,
        links=submission.links,
    )
    # What goes out, and is priced: the customer's text with the STOP notice of marketing.
    body = plan.body
    encoding, parts = plan.parts(body, force_unicode=submission.force_unicode)
    report = SendReport(ticket=None, cost=0, credits=0, total=len(submission.recipients), sent=0)
    rows = _messages(plan, account, submission, parts, report)
    requested = dict(report.counters)
    screening = plan.screening
    window = plan.window
    month = policy_store.month_of(plan.now_ms) if screening.cap_scopes else ""
    numbers = [row["destination"] for row in rows]

    def screened(conn: Connection) -> Screen:
        return screen(
            conn,
            account_id=account.id,
            numbers=numbers,
            text=body,
            window=window,
            reach_ms=plan.reach_ms,
        )

    if simulate:

        def look(conn: Connection) -> tuple[Screen, dict[tuple[int, str], int]]:
            found = screened(conn)
            keys = screening.usage_keys(row["country"] for row in rows)
            return found, policy_store.read_usage(conn, keys=keys, month=month)

        found, used = await platform.db.read(look)
        _filter(plan, report, requested, rows, found, used)
        return await with_balance_check(platform, account, report)

    scheduled = plan.send_at is not None
    campaign_status = (CampaignStatus.SCHEDULED if scheduled else CampaignStatus.QUEUED).value
    campaign = plan.campaign(
        account_id=account.id, kind=submission.kind, encoding=encoding, status=campaign_status
    )
    campaign.update(tag=submission.tag, dlr_url=submission.dlr_url, reply_url=submission.reply_url)
    queued = MessageStatus.QUEUED.value

    def store(conn: Connection, found_one: tuple | None = None) -> Paid:
        # STOPs can arrive at any moment, so the opt-out lists and the flood counts are read
        # in the same transaction (after the flood locks on PostgreSQL, below; a single
        # send's as its group read, `found_one`); the country counters are locked here too,
        # so concurrent sends cannot pass a cap.
        found = screened(conn) if found_one is None else screen_of_one(numbers[0], found_one)
        used = {}
        if screening.cap_scopes:
            keys = screening.usage_keys(row["country"] for row in rows)
            used = policy_store.lock_usage(conn, keys=keys, month=month)
        kept, usage = _filter(plan, report, requested, rows, found, used)
        if usage:
            policy_store.add_usage(conn, amounts=usage, month=month)
        has_queued = any(row["status"] == queued for row in kept)
        report.moderation_reason = moderation_reason(conn, plan, account.id, text, has_queued)
        if report.moderated:
            held = MessageStatus.HELD.value
            kept = [{**row, "status": held} if row["status"] == queued else row for row in kept]
        campaign.update(
            cost=report.cost,
            total=report.total,
            sent=report.sent,
            **report.counters,
            status=CampaignStatus.MODERATION.value if report.moderated else campaign_status,
            moderation_reason=report.moderation_reason,
        )
        if submission.dlr_url or submission.reply_url:  # only such sends pay for this
            campaign.update(
                send_callbacks.campaign_callbacks(
                    conn,
                    account_id=account.id,
                    dlr_url=submission.dlr_url,
                    reply_url=submission.reply_url,
                    signature=submission.callback_signature,
                    now_ms=plan.now_ms,
                )
            )
        return insert_paid_campaign(
            conn,
            account=account,
            campaign=campaign,
            amount=report.cost,
            now_ms=plan.now_ms,
            messages=kept,
            defer_insert=True,  # the ticket is read once the write is committed
        )

    locks: tuple[AdvisoryLock, ...] = ()
    if window is not None and numbers:
        one = numbers[0] if len(numbers) == 1 else None
        locks = screening_store.flood_locks(account.id, one)
    group_read = None
    if len(numbers) == 1:  # a group's single sends are screened in one statement
        key = (account.id, numbers[0], body, window)
        group_read = GroupRead(screening_store.screen_many, key)
    paid = await platform.db.write(
        store, locks=locks, group_read=group_read, row_order=account.billing_account_id
    )
    report.ticket = paid.campaign_id
    report.credits = paid.debit.balance
    if report.sent and not scheduled and not report.moderated:
        platform.on_queued()
    return report


def _filter(
    plan: Prepared,
    report: SendReport,
    requested: dict[str, int],
    rows: list[dict],
    found: Screen,
    used: dict[tuple[int, str], int],
) -> tuple[list[dict], dict[tuple[int, str], int]]:
    """Screen the rows with what the database said (blacklist, NPAI list, anti-flood, then
    the monthly country caps) and recount the report from the counters of the request; the
    kept rows and what they add to each cap counter.

    Idempotent: a work may run twice (group commit re-runs works after a neighbour fails),
    so the counters are recomputed from the request's, never decremented."""
    screening = plan.screening
    verdict = screening.verdict
    limits: FloodLimits = screening.limits
    blacklisted, npai, recent = found.blacklisted, found.npai, found.recent
    counters = dict(requested)
    kept = []
    for row in rows:
        destination = row["destination"]
        counts = recent.get(destination)
        dropped = verdict(
            row["country"],
            destination in blacklisted,
            destination in npai,
            True,
            counts is not None and limits.floods(*counts),
        )
        if dropped is None:
            kept.append(row)
        else:
            counters[dropped] += 1
    kept, usage, limited = screening.apply_country_caps(
        kept, used, country_of=itemgetter("country"), status_of=itemgetter("status")
    )
    counters[COUNTRY_LIMIT] += limited
    report.counters = counters
    report.sent = len(kept)
    report.cost = sum(row["cost"] for row in kept)
    return kept, usage
