"""Sending and simulating campaigns to explicit numbers.

A send is stored as one transaction: the campaign, its messages (the outbound queue), the
debit of its cost and the account's monthly country counters, or nothing at all.

Recipients are filtered in this order, each counted once in the reply: invalid numbers,
duplicates, countries the account may not send to (`not_allowed`), blacklisted numbers,
numbers on the NPAI list (`npai`), the anti-flood limits (`flood`) and the monthly cap per
country (`country_limit`). Filtered recipients are neither stored nor charged; the opt-out
lists, the flood counts and the caps are read in the send's own transaction. A campaign a
moderation rule matches is stored with its messages held for review (services.moderation)
and the reply carries status -8.

Marketing (pushtype marketing/advertising) texts end with the STOP notice, which is priced
like the rest of the text, and are released only inside the marketing window
(core.quiet_hours): outside it the campaign is scheduled for the window's next opening.
docs/sending-rules.md has the whole policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import TypeVar

from sqlalchemy import Connection

from relais.core.encoding import segment_count
from relais.core.instant import to_ms
from relais.core.phone import normalize_recipient
from relais.core.quiet_hours import next_release
from relais.core.schedule import parse_delay
from relais.core.sender import validate_sender
from relais.core.status import CampaignStatus, MessageStatus, PushType
from relais.errors import InsufficientCredits, InvalidField, MissingField
from relais.services.account_policy import AccountPolicy, account_policy
from relais.services.accounts import refuse_debit, refuse_suspended_sub_account
from relais.services.connectors import current_table
from relais.services.credits import balance, price_table, unit_price
from relais.services.platform import AccountRef, Platform
from relais.store import account_policy as policy_store
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import list_sending as screening
from relais.store import moderation as moderation_store

MAX_RECIPIENTS = 10_000
R = TypeVar("R")
# Replaced by the STOP notice in any text (api_reference §1.4.7; Mautic appends it).
STOP_PLACEHOLDER = "<-stop->"


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


@dataclass(slots=True)
class SendReport:
    ticket: int | None
    cost: int
    credits: int
    total: int
    sent: int
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(campaign_store.COUNTERS, 0)
    )
    # Why the campaign is held for review, when a moderation rule matched (never simulated).
    moderation_reason: str | None = None

    @property
    def moderated(self) -> bool:
        return self.moderation_reason is not None


# --- delivery rules shared with list campaigns (services/list_sending.py) --------------------


def parse_pushtype(raw: str | None) -> PushType:
    try:
        return PushType.parse(raw)
    except ValueError:
        raise InvalidField("pushtype must be alert or marketing") from None


def with_stop_notice(text: str, *, pushtype: PushType, notice: str) -> str:
    """The text as it goes out: `<-stop->` replaced by the STOP notice, and for marketing the
    notice appended after a newline unless the text already carries it."""
    if STOP_PLACEHOLDER in text:
        return text.replace(STOP_PLACEHOLDER, notice)
    if pushtype is PushType.MARKETING and notice and notice.lower() not in text.lower():
        return f"{text}\n{notice}"
    return text


def check_parts(parts: int, *, max_parts: int, pushtype: PushType, notice: str) -> None:
    if parts > max_parts:
        with_notice = " with the STOP notice" if pushtype is PushType.MARKETING and notice else ""
        raise InvalidField(
            f"The text needs {parts} SMS parts{with_notice}; at most {max_parts} are allowed"
        )


def release_time(now: datetime, send_at: datetime | None, pushtype: PushType) -> datetime | None:
    """When a send goes out: its delay (None: now), moved for marketing to the next opening
    of the marketing window. None means now."""
    if pushtype is not PushType.MARKETING:
        return send_at
    due = send_at or now
    released = next_release(due)
    return send_at if released == due else released


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Anti-flood, per account and destination: messages within an hour (`per_hour`) and
    with the same text (`same_text`); 0 turns a limit off."""

    per_hour: int = 0
    same_text: int = 0

    @classmethod
    def of(cls, platform: Platform) -> FloodLimits:
        settings = platform.settings
        return cls(settings.flood_per_hour, settings.flood_same_text_per_hour)

    @property
    def on(self) -> bool:
        return bool(self.per_hour or self.same_text)

    def window(self, due_ms: int) -> tuple[int, int] | None:
        """The due times that count against a message due at `due_ms`, or None when off."""
        if not self.on:
            return None
        return due_ms - screening.HOUR_MS, due_ms + screening.HOUR_MS

    def floods(self, total: int, same: int) -> bool:
        """Whether one more message, after `total` of which `same` had its text, is too many."""
        return bool(
            (self.per_hour and total >= self.per_hour)
            or (self.same_text and same >= self.same_text)
        )


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
        listed, unreachable, total, same = screening.screen_one(
            conn, account_id=account_id, number=number, text=text, window=window
        )
        return Screen(
            {number} if listed else set(),
            {number} if unreachable else set(),
            {number: (total, same)} if total else {},
        )
    recent = {}
    if (
        window is not None
        and numbers
        and screening.flood_possible(conn, account_id=account_id, window=window, reach_ms=reach_ms)
    ):
        counts = screening.recent_texts(conn, account_id=account_id, numbers=numbers, window=window)
        recent = {n: (sum(by.values()), by.get(text, 0)) for n, by in counts.items()}
    if not numbers:
        return Screen(set(), set(), recent)
    listed, unreachable = screening.listed_among(conn, account_id=account_id, numbers=numbers)
    return Screen(listed, unreachable, recent)


# --- sending to numbers -----------------------------------------------------------------------


async def send(
    platform: Platform, *, account: AccountRef, submission: Submission, simulate: bool = False
) -> SendReport:
    """Filter, price and (unless simulating) store a campaign with its debit."""
    now = platform.clock()
    now_ms = to_ms(now)
    text = submission.text
    if text is None or text == "":
        raise MissingField("The text is missing")
    if not submission.recipients:
        raise MissingField("There is no recipient")
    if len(submission.recipients) > MAX_RECIPIENTS:
        raise InvalidField(f"At most {MAX_RECIPIENTS} recipients per request")
    pushtype = parse_pushtype(submission.pushtype)
    policy = await account_policy(platform, account.id)
    sender = validate_sender(submission.sender) or policy.default_sender
    settings = platform.settings
    send_at = release_time(now, parse_delay(submission.delay, now=now), pushtype)
    # What goes out, and is priced: the customer's text with the STOP notice of marketing.
    body = with_stop_notice(text, pushtype=pushtype, notice=settings.stop_notice)
    encoding, parts = segment_count(body, force_unicode=submission.force_unicode)
    check_parts(parts, max_parts=settings.max_parts, pushtype=pushtype, notice=settings.stop_notice)
    prices = await price_table(platform)
    routes = await current_table(platform)
    due_ms = to_ms(send_at) if send_at is not None else now_ms
    limits = FloodLimits.of(platform)
    window = limits.window(due_ms)
    reach_ms = settings.validity_hours * screening.HOUR_MS

    seen: set[str] = set()
    rows: list[dict] = []
    invalid = duplicated = not_allowed = cost = 0
    allowed = policy.allowed_countries
    default_country = account.country
    queued = MessageStatus.QUEUED.value
    unroutable = MessageStatus.ROUTE_NOT_AVAILABLE.value
    for recipient in submission.recipients:
        destination = normalize_recipient(recipient.number, default_country)
        if destination is None:
            invalid += 1
            continue
        msisdn = destination.msisdn
        if msisdn in seen:
            duplicated += 1
            continue
        seen.add(msisdn)
        if allowed is not None and destination.country not in allowed:
            not_allowed += 1
            continue
        connector = routes.choose(
            destination=msisdn, country=destination.country, account_id=account.id, sender=sender
        )
        if connector is None:
            # No route: the message fails on its own, is reported, and costs nothing.
            status, message_cost, done = unroutable, 0, now_ms
        else:
            status, message_cost, done = (
                queued,
                parts * unit_price(prices, destination.country),
                None,
            )
        cost += message_cost
        rows.append(
            {
                "account_id": account.id,
                "destination": msisdn,
                "country": destination.country,
                "gsmsmsid": recipient.gsmsmsid,
                "text": None,
                "parts": parts,
                "cost": message_cost,
                "status": status,
                "due_at": due_ms,
                "connector": connector,
                "done_at": done,
                "error": None if connector else "no route",
            }
        )

    report = SendReport(
        ticket=None, cost=cost, credits=0, total=len(submission.recipients), sent=len(rows)
    )
    report.counters["invalid"] = invalid
    report.counters["duplicated"] = duplicated
    report.counters["not_allowed"] = not_allowed
    month = policy_store.month_of(now_ms) if policy.cap_scopes else ""
    numbers = [row["destination"] for row in rows]

    def screened(conn) -> Screen:
        return screen(
            conn,
            account_id=account.id,
            numbers=numbers,
            text=body,
            window=window,
            reach_ms=reach_ms,
        )

    if simulate:

        def look(conn) -> tuple[Screen, dict[tuple[int, str], int]]:
            found = screened(conn)
            keys = usage_keys(policy, (row["country"] for row in rows))
            return found, policy_store.read_usage(conn, keys=keys, month=month)

        found, used = await platform.db.read(look)
        _filter(report, rows, found, policy, used, limits)
        return await with_balance_check(platform, account, report)

    campaign_status = (CampaignStatus.SCHEDULED if send_at else CampaignStatus.QUEUED).value
    campaign = {
        "account_id": account.id,
        "kind": submission.kind,
        "text": body,
        "sender": sender,
        "pushtype": pushtype.value,
        "encoding": encoding.value,
        "status": campaign_status,
        "send_at": due_ms,
        "created_at": now_ms,
        "cost": cost,
        "total": report.total,
        "sent": report.sent,
        **report.counters,
    }

    def store(conn) -> tuple[int, int]:
        # STOPs can arrive at any moment, so the opt-out lists and the flood counts are read
        # in the same transaction (after the account's flood lock on PostgreSQL); the
        # country counters are locked here too, so concurrent sends cannot pass a cap.
        if window is not None and numbers:
            one = numbers[0] if len(numbers) == 1 else None
            screening.lock_flood(conn, account_id=account.id, number=one)
        found = screened(conn)
        used = {}
        if policy.cap_scopes:
            keys = usage_keys(policy, (row["country"] for row in rows))
            used = policy_store.lock_usage(conn, keys=keys, month=month)
        kept, usage = _filter(report, rows, found, policy, used, limits)
        if usage:
            policy_store.add_usage(conn, amounts=usage, month=month)
        has_queued = any(row["status"] == queued for row in kept)
        report.moderation_reason = moderation_reason(conn, policy, account.id, text, has_queued)
        if report.moderated:
            held = MessageStatus.HELD.value
            kept = [{**row, "status": held} if row["status"] == queued else row for row in kept]
        campaign.update(
            cost=report.cost,
            sent=report.sent,
            **report.counters,
            status=CampaignStatus.MODERATION.value if report.moderated else campaign_status,
            moderation_reason=report.moderation_reason,
        )
        campaign_id = campaign_store.insert_campaign(conn, campaign)
        refuse_suspended_sub_account(conn, account)
        # The payer: the account itself, or its parent for an unlimited sub-account.
        new_balance = ledger.debit_if_covered(
            conn,
            account_id=account.billing_account_id,
            amount=report.cost,
            campaign_id=campaign_id,
            now_ms=now_ms,
        )
        if new_balance is None:
            raise refuse_debit(conn, account.billing_account_id)
        for row in kept:
            row["campaign_id"] = campaign_id
        campaign_store.insert_messages(conn, kept)
        return campaign_id, new_balance

    report.ticket, report.credits = await platform.db.write(store)
    if report.sent and send_at is None and not report.moderated:
        platform.on_queued()
    return report


def usage_keys(policy: AccountPolicy, countries: Iterable[str]) -> list[tuple[int, str]]:
    """The counters a send touches: (scope account, country) for each capped country sent to."""
    if not policy.cap_scopes:
        return []
    countries = set(countries)
    return [
        (scope.account_id, country)
        for scope in policy.cap_scopes
        for country in scope.limits
        if country in countries
    ]


def _filter(
    report: SendReport,
    rows: list[dict],
    found: Screen,
    policy: AccountPolicy,
    used: dict[tuple[int, str], int],
    limits: FloodLimits,
) -> tuple[list[dict], dict[tuple[int, str], int]]:
    """Drop blacklisted recipients, then those on the NPAI list, then those the anti-flood
    limits stop, then those beyond a monthly country cap, and recount the report; the kept
    rows and what they add to each counter.

    Idempotent: a work may run twice (group commit re-runs works after a neighbour fails),
    so the counters are recomputed from the original rows, never decremented."""
    kept = [row for row in rows if row["destination"] not in found.blacklisted]
    report.counters["blacklisted"] = len(rows) - len(kept)
    reachable = [row for row in kept if row["destination"] not in found.npai]
    report.counters["npai"] = len(kept) - len(reachable)
    kept = reachable
    if found.recent:
        recent = found.recent
        calm = [
            row
            for row in kept
            if row["destination"] not in recent or not limits.floods(*recent[row["destination"]])
        ]
        report.counters["flood"] = len(kept) - len(calm)
        kept = calm
    else:
        report.counters["flood"] = 0
    kept, usage, limited = apply_country_caps(kept, policy, used)
    report.counters["country_limit"] = limited
    report.sent = len(kept)
    report.cost = sum(row["cost"] for row in kept)
    return kept, usage


def cap_room(policy: AccountPolicy, used: dict[tuple[int, str], int]) -> dict[str, int]:
    """Messages each capped country may still take, the tightest of the account's scopes."""
    room: dict[str, int] = {}
    for scope in policy.cap_scopes:
        for country, limit in scope.limits.items():
            left = max(limit - used.get((scope.account_id, country), 0), 0)
            room[country] = min(room.get(country, left), left)
    return room


def usage_of(policy: AccountPolicy, counts: dict[str, int]) -> dict[tuple[int, str], int]:
    """What messages counted per country add to each of the account's cap counters."""
    return {
        (scope.account_id, country): counts[country]
        for scope in policy.cap_scopes
        for country in scope.limits
        if counts.get(country)
    }


def apply_country_caps(
    rows: list[R],
    policy: AccountPolicy,
    used: dict[tuple[int, str], int],
    *,
    country_of: Callable[[R], str] = itemgetter("country"),
    status_of: Callable[[R], str] = itemgetter("status"),
) -> tuple[list[R], dict[tuple[int, str], int], int]:
    """The rows within the account's monthly country caps, what they add to each counter,
    and how many were beyond a cap. Only messages that will go out (queued) use a cap (an
    unroutable one fails at once). Rows are message dicts unless the getters say otherwise."""
    if not policy.cap_scopes:
        return rows, {}, 0
    capped = policy.capped_countries
    room = cap_room(policy, used)
    within = []
    counts: dict[str, int] = {}
    limited = 0
    queued = MessageStatus.QUEUED.value
    for row in rows:
        country = country_of(row)
        if country in capped and status_of(row) == queued:
            if counts.get(country, 0) >= room[country]:
                limited += 1
                continue
            counts[country] = counts.get(country, 0) + 1
        within.append(row)
    return within, usage_of(policy, counts), limited


async def with_balance_check(
    platform: Platform, account: AccountRef, simulation: SendReport
) -> SendReport:
    """A simulation's report with the payer's balance; InsufficientCredits, as the send
    would answer, when it does not cover the cost."""
    simulation.credits = await balance(platform, account_id=account.billing_account_id)
    if simulation.credits < simulation.cost:
        raise InsufficientCredits()
    return simulation


def moderation_reason(
    conn, policy: AccountPolicy, account_id: int, text: str, has_queued: bool
) -> str | None:
    """Why this campaign must be reviewed, or None. A campaign with nothing to send is never
    held; the first-campaigns rule counts the account's earlier campaigns with recipients."""
    rules = policy.rules
    if rules.empty or not has_queued:
        return None
    reason = rules.reason(text)
    if reason is None and rules.first_campaigns:
        earlier = moderation_store.campaigns_sent(
            conn, account_id=account_id, up_to=rules.first_campaigns
        )
        if earlier < rules.first_campaigns:
            reason = f"first_campaigns: {earlier + 1} of {rules.first_campaigns}"
    return reason
