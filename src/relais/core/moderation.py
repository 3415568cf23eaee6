"""The moderation rules that read a campaign's text: words and links that hold it for review.

A `word` rule matches the word or phrase whole and in any case; a `link` rule matches any
link ("*") or a domain and its sub-domains, with or without a scheme, and the tracked-link
placeholder `<-short->`; `first_campaigns` (N) holds an account's first N campaigns with
recipients, which only the store can count (services.sending.common.moderation_reason)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

import phonenumbers

from relais.core.errors import InvalidField
from relais.core.templates import SHORT_LINK_PLACEHOLDER

__all__ = ["RULE_KINDS", "Rule", "TextRules", "links_in", "validate_rule"]

RULE_KINDS: Final = ("word", "link", "first_campaigns")


class Rule(Protocol):
    """A moderation rule as stored: its kind (one of RULE_KINDS) and value."""

    @property
    def kind(self) -> str: ...

    @property
    def value(self) -> str: ...


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
    | (?P<short>{re.escape(SHORT_LINK_PLACEHOLDER)})  # a tracked link put in place at sending
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
    def compile(cls, rules: Iterable[Rule]) -> TextRules:
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
                        return f"link: {host or SHORT_LINK_PLACEHOLDER}"
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
