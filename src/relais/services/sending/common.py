"""What sends to numbers (numbers.py) and to contact lists (lists.py) share: the reply, the
rules a send settles before it looks at its recipients, its account's screening
(core.screening), moderation's verdict on a campaign, the campaign stored with its debit, and
the balance check of a simulation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from relais.core.encoding import Encoding, segment_count
from relais.core.errors import InsufficientCredits
from relais.core.instant import to_ms
from relais.core.routing import RoutingTable
from relais.core.schedule import parse_delay
from relais.core.screening import COUNTERS, HOUR_MS, FloodLimits, Screening
from relais.core.send_rules import check_parts, parse_pushtype, release_time
from relais.core.sender import validate_sender
from relais.core.short_links import check_links, fill_placeholders
from relais.core.status import PushType
from relais.core.templates import with_stop_notice
from relais.services.account_policy import AccountPolicy, account_policy
from relais.services.accounts import refuse_debit, refuse_suspended_sub_account
from relais.services.connectors import current_table
from relais.services.credits import balance, price_table
from relais.services.platform import AccountRef, Platform
from relais.services.short_links import short_links
from relais.store import moderation as moderation_store
from relais.store import paid_campaigns
from relais.store.paid_campaigns import Paid
from relais.store.short_links import links_json


@dataclass(slots=True)
class SendReport:
    ticket: int | None
    cost: int
    credits: int
    total: int
    sent: int
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    # Why the campaign is held for review, when a moderation rule matched (never simulated).
    moderation_reason: str | None = None

    @property
    def moderated(self) -> bool:
        return self.moderation_reason is not None


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a send settled before looking at its recipients."""

    now_ms: int
    pushtype: PushType
    policy: AccountPolicy
    sender: str | None
    send_at: datetime | None  # None: now
    body: str  # the text as it goes out: the customer's, with the STOP notice of marketing
    screening: Screening
    # How long after its campaign's send time a message may still be due (retries).
    reach_ms: int
    max_parts: int
    stop_notice: str
    prices: dict[str, int]
    routes: RoutingTable
    # The long URLs of the text's `<-short->` placeholders, in order (core.short_links), and
    # a short link as long as each recipient's own: what the parts are counted with.
    links: tuple[str, ...] = ()
    link_sample: str = ""

    @property
    def due_ms(self) -> int:
        return to_ms(self.send_at) if self.send_at is not None else self.now_ms

    @property
    def window(self) -> tuple[int, int] | None:
        """The anti-flood window of the send's messages (None: anti-flood off)."""
        return self.screening.limits.window(self.due_ms)

    def as_sent(self, text: str) -> str:
        """`text` as long as it goes out: each tracked link in place of its placeholder."""
        if not self.links:
            return text
        return fill_placeholders(text, [self.link_sample] * len(self.links))

    def parts(self, text: str, *, force_unicode: bool) -> tuple[Encoding, int]:
        """The encoding and SMS parts of `text` as it goes out, each tracked link in place;
        InvalidField beyond the allowed parts."""
        encoding, parts = segment_count(self.as_sent(text), force_unicode=force_unicode)
        check_parts(
            parts, max_parts=self.max_parts, pushtype=self.pushtype, notice=self.stop_notice
        )
        return encoding, parts

    def campaign(self, *, account_id: int, kind: str, encoding: Encoding, status: str) -> dict:
        """The campaign row, before its recipients are counted and priced."""
        return {
            "account_id": account_id,
            "kind": kind,
            "text": self.body,
            "sender": self.sender,
            "pushtype": self.pushtype.value,
            "encoding": encoding.value,
            "status": status,
            "send_at": self.due_ms,
            "created_at": self.now_ms,
            "cost": 0,
            "total": 0,
            "sent": 0,
            "links": links_json(self.links),
        }


async def prepare(
    platform: Platform,
    *,
    account: AccountRef,
    text: str,
    sender: str | None,
    pushtype: str | None,
    delay: str | None,
    links: Sequence[str] = (),
) -> Prepared:
    """Settle the kind, sender, send time, outgoing text and tracked links of a send
    (InvalidRequest when one cannot be used), with the account's policy, prices and routes."""
    now = platform.clock()
    kind = parse_pushtype(pushtype)
    checked = check_links(text, links)
    sample = (await short_links(platform)).sample if checked else ""
    policy = await account_policy(platform, account.id)
    chosen_sender = validate_sender(sender) or policy.default_sender
    settings = platform.settings
    send_at = release_time(now, parse_delay(delay, now=now), kind)
    limits = FloodLimits(settings.flood_per_hour, settings.flood_same_text_per_hour)
    return Prepared(
        now_ms=to_ms(now),
        pushtype=kind,
        policy=policy,
        sender=chosen_sender,
        send_at=send_at,
        body=with_stop_notice(text, pushtype=kind, notice=settings.stop_notice),
        screening=Screening(policy.allowed_countries, limits, policy.cap_scopes),
        reach_ms=settings.validity_hours * HOUR_MS,
        max_parts=settings.max_parts,
        stop_notice=settings.stop_notice,
        prices=await price_table(platform),
        routes=await current_table(platform),
        links=checked,
        link_sample=sample,
    )


def insert_paid_campaign(
    conn: Connection,
    *,
    account: AccountRef,
    campaign: dict[str, Any],
    amount: int,
    now_ms: int,
    messages: Sequence[dict[str, Any]] = (),
    defer_insert: bool = False,
) -> Paid:
    """In the send's transaction: insert the campaign with `messages` and debit `amount`
    from its payer (the account, or its parent for an unlimited sub-account); the campaign
    and the debit, whose balance is known once the write is committed (and the campaign id
    too, with `defer_insert`: store.paid_campaigns). A suspended payer or a balance that
    does not cover it rolls it all back."""
    refuse_suspended_sub_account(conn, account)
    payer = account.billing_account_id
    paid = paid_campaigns.insert_paid_campaign(
        conn,
        campaign=campaign,
        messages=messages,
        payer=payer,
        amount=amount,
        now_ms=now_ms,
        defer_insert=defer_insert,
    )
    if paid is None:
        raise refuse_debit(conn, payer)
    return paid


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
    conn: Connection, plan: Prepared, account_id: int, text: str, has_queued: bool
) -> str | None:
    """Why this campaign must be reviewed, or None. A campaign with nothing to send is never
    held; the link rules judge where tracked links lead; the first-campaigns rule counts the
    account's earlier campaigns with recipients."""
    rules = plan.policy.rules
    if rules.empty or not has_queued:
        return None
    reason = rules.reason(fill_placeholders(text, plan.links))
    if reason is None and rules.first_campaigns:
        earlier = moderation_store.campaigns_sent(
            conn, account_id=account_id, up_to=rules.first_campaigns
        )
        if earlier < rules.first_campaigns:
            reason = f"first_campaigns: {earlier + 1} of {rules.first_campaigns}"
    return reason
