"""Sending and simulating campaigns to explicit numbers.

A send is stored as one transaction: the campaign, its messages (the outbound queue), the
debit of its cost and the account's monthly country counters, or nothing at all.

Recipients are filtered in this order, each counted once in the reply: invalid numbers,
duplicates, countries the account may not send to (`not_allowed`), blacklisted numbers, and
the monthly cap per country (`country_limit`). Filtered recipients are neither stored nor
charged. A campaign a moderation rule matches is stored with its messages held for review
(services.moderation) and the reply carries status -8."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from relais.core.encoding import segment_count
from relais.core.instant import to_ms
from relais.core.phone import normalize_number
from relais.core.schedule import parse_delay
from relais.core.sender import validate_sender
from relais.core.status import CampaignStatus, MessageStatus, PushType
from relais.errors import InsufficientCredits, InvalidField, MissingField
from relais.services.account_policy import AccountPolicy, account_policy
from relais.services.accounts import refuse_debit, refuse_suspended_sub_account
from relais.services.credits import balance, price_table, unit_price
from relais.services.platform import AccountRef, Platform
from relais.services.routing import current_table
from relais.store import account_policy as policy_store
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import moderation as moderation_store
from relais.store.inbound import blacklisted_among

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
    try:
        pushtype = PushType.parse(submission.pushtype)
    except ValueError:
        raise InvalidField("pushtype must be alert or marketing") from None
    policy = await account_policy(platform, account.id)
    sender = validate_sender(submission.sender) or policy.default_sender
    send_at = parse_delay(submission.delay, now=now)
    encoding, parts = segment_count(text, force_unicode=submission.force_unicode)
    if parts > platform.settings.max_parts:
        raise InvalidField(
            f"The text needs {parts} SMS parts; at most {platform.settings.max_parts} are allowed"
        )
    prices = await price_table(platform)
    routes = await current_table(platform)
    due_ms = to_ms(send_at) if send_at is not None else now_ms

    seen: set[str] = set()
    rows: list[dict] = []
    invalid = duplicated = not_allowed = cost = 0
    allowed = policy.allowed_countries
    default_country = account.country
    queued = MessageStatus.QUEUED.value
    unroutable = MessageStatus.ROUTE_NOT_AVAILABLE.value
    for recipient in submission.recipients:
        destination = normalize_number(recipient.number, default_country)
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

    if simulate:

        def look(conn) -> tuple[set[str], dict[tuple[int, str], int]]:
            refused = blacklisted_among(conn, account_id=account.id, numbers=numbers)
            keys = _usage_keys(policy, rows)
            return refused, policy_store.read_usage(conn, keys=keys, month=month)

        refused, used = await platform.db.read(look)
        _filter(report, rows, refused, policy, used)
        report.credits = await balance(platform, account_id=account.billing_account_id)
        if report.credits < report.cost:
            raise InsufficientCredits()
        return report

    campaign_status = (CampaignStatus.SCHEDULED if send_at else CampaignStatus.QUEUED).value
    campaign = {
        "account_id": account.id,
        "kind": submission.kind,
        "text": text,
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
        # STOPs can arrive at any moment, so the blacklist is read in the same transaction;
        # the country counters are locked here too, so concurrent sends cannot pass a cap.
        refused = blacklisted_among(conn, account_id=account.id, numbers=numbers)
        used = {}
        if policy.cap_scopes:
            used = policy_store.lock_usage(conn, keys=_usage_keys(policy, rows), month=month)
        kept, usage = _filter(report, rows, refused, policy, used)
        if usage:
            policy_store.add_usage(conn, amounts=usage, month=month)
        report.moderation_reason = _moderation_reason(conn, policy, account.id, text, kept)
        if report.moderated:
            held = MessageStatus.HELD.value
            kept = [{**row, "status": held} if row["status"] == queued else row for row in kept]
        campaign.update(
            cost=report.cost,
            sent=report.sent,
            blacklisted=report.counters["blacklisted"],
            country_limit=report.counters["country_limit"],
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


def _usage_keys(policy: AccountPolicy, rows: list[dict]) -> list[tuple[int, str]]:
    """The counters a send touches: (scope account, country) for each capped country sent to."""
    if not policy.cap_scopes:
        return []
    countries = {row["country"] for row in rows}
    return [
        (scope.account_id, country)
        for scope in policy.cap_scopes
        for country in scope.limits
        if country in countries
    ]


def _filter(
    report: SendReport,
    rows: list[dict],
    refused: set[str],
    policy: AccountPolicy,
    used: dict[tuple[int, str], int],
) -> tuple[list[dict], dict[tuple[int, str], int]]:
    """Drop blacklisted recipients, then those beyond a monthly country cap, and recount the
    report; the kept rows and what they add to each counter.

    Idempotent: a work may run twice (group commit re-runs works after a neighbour fails),
    so the counters are recomputed from the original rows, never decremented."""
    kept = [row for row in rows if row["destination"] not in refused]
    report.counters["blacklisted"] = len(rows) - len(kept)
    usage: dict[tuple[int, str], int] = {}
    limited = 0
    if policy.cap_scopes:
        capped = policy.capped_countries
        room: dict[str, int] = {}
        for scope in policy.cap_scopes:
            for country, limit in scope.limits.items():
                left = max(limit - used.get((scope.account_id, country), 0), 0)
                room[country] = min(room.get(country, left), left)
        within = []
        counts: dict[str, int] = {}
        queued = MessageStatus.QUEUED.value
        for row in kept:
            country = row["country"]
            # Only messages that will go out use the cap (an unroutable one fails at once).
            if country in capped and row["status"] == queued:
                if counts.get(country, 0) >= room[country]:
                    limited += 1
                    continue
                counts[country] = counts.get(country, 0) + 1
            within.append(row)
        kept = within
        for scope in policy.cap_scopes:
            for country in scope.limits:
                if counts.get(country):
                    usage[scope.account_id, country] = counts[country]
    report.counters["country_limit"] = limited
    report.sent = len(kept)
    report.cost = sum(row["cost"] for row in kept)
    return kept, usage


def _moderation_reason(
    conn, policy: AccountPolicy, account_id: int, text: str, kept: list[dict]
) -> str | None:
    """Why this campaign must be reviewed, or None. A campaign with nothing to send is never
    held; the first-campaigns rule counts the account's earlier campaigns with recipients."""
    rules = policy.rules
    if rules.empty or not any(row["status"] == MessageStatus.QUEUED.value for row in kept):
        return None
    reason = rules.reason(text)
    if reason is None and rules.first_campaigns:
        earlier = moderation_store.campaigns_sent(
            conn, account_id=account_id, up_to=rules.first_campaigns
        )
        if earlier < rules.first_campaigns:
            reason = f"first_campaigns: {earlier + 1} of {rules.first_campaigns}"
    return reason
