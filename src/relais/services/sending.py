"""Sending and simulating campaigns to explicit numbers.

A send is stored as one transaction: the campaign, its messages (the outbound queue) and the
debit of its cost, or nothing at all."""

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
from relais.services.credits import balance, price_table, unit_price
from relais.services.platform import AccountRef, Platform
from relais.services.routing import current_table
from relais.store import campaigns as campaign_store
from relais.store import ledger
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
    sender = validate_sender(submission.sender)
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
    invalid = duplicated = cost = 0
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

    if simulate:
        refused = await platform.db.read(
            lambda conn: blacklisted_among(conn, account_id=account.id, numbers=list(seen))
        )
        _drop_blacklisted(report, rows, refused)
        report.credits = await balance(platform, account_id=account.billing_account_id)
        if report.credits < report.cost:
            raise InsufficientCredits()
        return report

    campaign = {
        "account_id": account.id,
        "kind": submission.kind,
        "text": text,
        "sender": sender,
        "pushtype": pushtype.value,
        "encoding": encoding.value,
        "status": (CampaignStatus.SCHEDULED if send_at else CampaignStatus.QUEUED).value,
        "send_at": due_ms,
        "created_at": now_ms,
        "cost": cost,
        "total": report.total,
        "sent": report.sent,
        **report.counters,
    }

    def store(conn) -> tuple[int, int]:
        # STOPs can arrive at any moment, so the blacklist is read in the same transaction.
        refused = blacklisted_among(conn, account_id=account.id, numbers=list(seen))
        kept = _drop_blacklisted(report, rows, refused)
        campaign.update(
            cost=report.cost, sent=report.sent, blacklisted=report.counters["blacklisted"]
        )
        campaign_id = campaign_store.insert_campaign(conn, campaign)
        # The payer: the account itself, or its parent for an unlimited sub-account.
        new_balance = ledger.debit_if_covered(
            conn,
            account_id=account.billing_account_id,
            amount=report.cost,
            campaign_id=campaign_id,
            now_ms=now_ms,
        )
        if new_balance is None:
            raise InsufficientCredits()
        for row in kept:
            row["campaign_id"] = campaign_id
        campaign_store.insert_messages(conn, kept)
        return campaign_id, new_balance

    report.ticket, report.credits = await platform.db.write(store)
    if report.sent and send_at is None:
        platform.on_queued()
    return report


def _drop_blacklisted(report: SendReport, rows: list[dict], refused: set[str]) -> list[dict]:
    """Remove blacklisted recipients from `rows` and recount the report; the kept rows.

    Idempotent: a work may run twice (group commit re-runs works after a neighbour fails),
    so the counters are recomputed from the original rows, never decremented."""
    kept = [row for row in rows if row["destination"] not in refused]
    report.counters["blacklisted"] = len(rows) - len(kept)
    report.sent = len(kept)
    report.cost = sum(row["cost"] for row in kept)
    return kept
