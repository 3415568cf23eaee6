"""Moderation: the rules that hold a campaign for review, the queue of held campaigns, and
the operator's decisions on them.

A campaign a rule matches is stored like any other (its messages, its debit) but with status
`moderation` and its messages `held`, so the dispatcher never claims them. Approving
releases the messages (they stay held while the account or its parent is suspended);
refusing cancels them, refunds the payer once and gives the messages back to the monthly
country counters. Both decisions are audited in their own transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from relais.core.status import CampaignStatus
from relais.errors import InvalidField, InvalidRequest, NotFound
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import moderation as moderation_store
from relais.store.account_policy import month_of, release_usage
from relais.store.moderation import HeldCampaign

RULE_KINDS = ("word", "link", "first_campaigns")


class NotAwaitingModeration(InvalidRequest):
    """The campaign is not held for moderation (already decided, cancelled or never held)."""


# --- matching a text ----------------------------------------------------------------------

# Top-level domains a bare "name.tld" must end with to count as a link (with or without a
# scheme it is always one): every country code, and the generic ones seen in SMS spam.
_GENERIC_TLDS = (
    "com net org info biz name pro mobi app dev page link click site online website shop store "
    "top club xyz live life today news blog email cloud digital world one fun icu vip win bid "
    "loan work space tech tel asia"
)
_TLDS = (
    frozenset(_GENERIC_TLDS.split())
    | {r.lower() for r in phonenumbers.SUPPORTED_REGIONS}
    | {"uk", "eu"}
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LINK = re.compile(
    rf"""(?ix)
    (?:https?://|(?<![\w.@-])(?=www\.))       # a scheme, or www. starting a word
        (?:[^\s/@]+@)?(?P<host>[^\s/?#:<>"'()\[\]]+)
    | (?<![\w.@/-])(?P<bare>(?:{_LABEL}\.)+(?P<tld>[a-z]{{2,24}}))(?![\w-])
    | (?P<short><-short->)                    # a tracked link put in place at sending
    """
)
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z]{{2,24}}$", re.IGNORECASE)


def links_in(text: str) -> list[str]:
    """The host of every link in `text`, lower-case ("" for a tracked-link placeholder,
    whose target is not in the text). E-mail addresses are not links."""
    hosts = []
    for match in _LINK.finditer(text):
        if match["host"] is not None:
            hosts.append(match["host"].lower().rstrip("."))
        elif match["bare"] is not None:
            if match["tld"].lower() in _TLDS:
                hosts.append(match["bare"].lower())
        else:
            hosts.append("")
    return hosts


def _word_pattern(value: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in value.split()) + r"(?!\w)"


@dataclass(frozen=True, slots=True)
class TextRules:
    """The moderation rules that apply to one account, compiled once per cached policy."""

    words: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()  # "*" for any link
    first_campaigns: int = 0  # hold the account's first N campaigns; 0: no such rule
    _words: re.Pattern[str] | None = None

    @classmethod
    def compile(cls, rules: Iterable[moderation_store.RuleRow]) -> TextRules:
        words, domains, first = [], [], 0
        for rule in rules:
            if rule.kind == "word":
                words.append(rule.value)
            elif rule.kind == "link":
                domains.append(rule.value)
            elif rule.kind == "first_campaigns":
                first = max(first, int(rule.value))
        pattern = None
        if words:
            pattern = re.compile("|".join(_word_pattern(w) for w in words), re.IGNORECASE)
        return cls(tuple(words), tuple(domains), first, pattern)

    @property
    def empty(self) -> bool:
        return not (self.words or self.domains or self.first_campaigns)

    def reason(self, text: str) -> str | None:
        """Why `text` must be reviewed (the first rule it matches), or None."""
        if self._words is not None and (hit := self._words.search(text)):
            for word in self.words:
                if re.fullmatch(_word_pattern(word), hit.group(0), re.IGNORECASE):
                    return f"word: {word}"
        if self.domains:
            for host in links_in(text):
                for domain in self.domains:
                    if domain == "*":
                        return f"link: {host or '<-short->'}"
                    if host == domain or host.endswith("." + domain):
                        return f"link: {domain}"
        return None


def validate_rule(kind: str, value: str) -> str:
    """The value to store for a rule; InvalidField when it cannot be one."""
    if kind not in RULE_KINDS:
        raise InvalidField(f"A moderation rule kind is one of {', '.join(RULE_KINDS)}")
    text = (value or "").strip()
    if kind == "word":
        if not re.search(r"\w", text) or len(text) > 200:
            raise InvalidField("A word rule is 1 to 200 characters with a letter or digit")
        return " ".join(text.split())
    if kind == "link":
        text = text.lower().rstrip(".")
        if text != "*" and not _DOMAIN.match(text):
            raise InvalidField('A link rule is "*" (any link) or a domain, like example.com')
        return text
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1000:
        raise InvalidField("A first_campaigns rule is a number of campaigns from 1 to 1000")
    return str(int(text))


# --- the queue ----------------------------------------------------------------------------


async def moderation_queue(platform: Platform, *, limit: int = 1000) -> list[HeldCampaign]:
    """Campaigns awaiting review, oldest first, with their account, text, recipients (how
    many messages are held), cost and the rule that held them."""
    return await platform.db.read(lambda conn: moderation_store.held_campaigns(conn, limit=limit))


@dataclass(frozen=True, slots=True)
class Decision:
    campaign_id: int
    account_id: int
    status: str  # the campaign's status after the decision
    messages: int  # released (approve) or cancelled (refuse)
    refunded: int = 0


def _not_held(conn, campaign_id: int) -> Exception:
    status = moderation_store.campaign_status(conn, campaign_id)
    if status is None:
        return NotFound(f"No campaign {campaign_id}")
    return NotAwaitingModeration(f"Campaign {campaign_id} is not in moderation (it is {status})")


@dataclass(frozen=True, slots=True)
class _Reviewed:
    """A decision with what its audit row records."""

    decision: Decision
    details: dict
    due: bool = False  # released messages whose send time has come


async def _review(platform: Platform, change, *, actor: str, action: str) -> _Reviewed:
    return await operator_write(
        platform,
        change,
        actor=actor,
        action=action,
        account_id=lambda reviewed: reviewed.decision.account_id,
        details=lambda reviewed: reviewed.details,
    )


async def approve(platform: Platform, *, actor: str, campaign_id: int) -> Decision:
    """Let a held campaign go: scheduled or queued by its send time, its messages released
    unless the account or its parent is suspended (then they wait for the unlock)."""

    def change(conn, now_ms: int) -> _Reviewed:
        decided = moderation_store.approve_campaign(conn, campaign_id=campaign_id, now_ms=now_ms)
        if decided is None:
            raise _not_held(conn, campaign_id)
        suspended = account_store.is_suspended(conn, decided.account_id)
        released = 0 if suspended else moderation_store.release_held(conn, campaign_id=campaign_id)
        return _Reviewed(
            Decision(campaign_id, decided.account_id, decided.status, released),
            {
                "campaign_id": campaign_id,
                "reason": decided.reason,
                "released": released,
                "held_by_suspension": suspended,
            },
            due=released > 0 and decided.send_at <= now_ms,
        )

    reviewed = await _review(platform, change, actor=actor, action="moderation.approve")
    if reviewed.due:
        platform.on_queued()
    return reviewed.decision


async def refuse(platform: Platform, *, actor: str, campaign_id: int) -> Decision:
    """Refuse a held campaign: its messages cancelled, its cost refunded once to whoever paid
    (the parent, for an unlimited sub-account), its messages given back to the counters."""

    def change(conn, now_ms: int) -> _Reviewed:
        decided = moderation_store.refuse_campaign(conn, campaign_id=campaign_id)
        if decided is None:
            raise _not_held(conn, campaign_id)
        refund, countries = campaign_store.cancel_waiting(
            conn, campaign_id=campaign_id, now_ms=now_ms
        )
        release_usage(
            conn,
            account_id=decided.account_id,
            month=month_of(decided.created_at),
            counts=countries,
        )
        payer = ledger.payer_of(conn, campaign_id)
        refunded = refund if payer is not None else 0
        if payer is not None and refunded:
            ledger.credit(
                conn,
                account_id=payer,
                amount=refunded,
                reason=ledger.LedgerReason.REFUND,
                campaign_id=campaign_id,
                note="refused by moderation",
                now_ms=now_ms,
            )
        cancelled = sum(countries.values())
        return _Reviewed(
            Decision(
                campaign_id,
                decided.account_id,
                CampaignStatus.REFUSED.value,
                cancelled,
                refunded,
            ),
            {
                "campaign_id": campaign_id,
                "reason": decided.reason,
                "cancelled": cancelled,
                "refunded": refunded,
                "payer": payer,
            },
        )

    return (await _review(platform, change, actor=actor, action="moderation.refuse")).decision
