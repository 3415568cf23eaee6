"""Per-account sending policy, as the operator sets it and as sending reads it.

* Allowed countries: recipients elsewhere are counted in `not_allowed`, never stored or charged.
* Monthly caps per country (calendar month, Europe/Paris): recipients beyond the cap are
  counted in `country_limit`, never stored or charged.
* Default sender: used when a send names none.
* Moderation rules (services.moderation): a matching campaign is held for review.

A sub-account is bound by its parent's restrictions as well as its own (so a restricted
account cannot escape them through a sub-account): it may send only where both allow, the
parent's caps count the whole family, and the parent's moderation rules apply to it. Its
default sender is its own only.

Every operator change is audited in its own transaction and bumps the operator tables'
cache epoch; sending reads the policy through `account_policy`, cached per account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from relais.core.errors import InvalidField, NotFound
from relais.core.moderation import TextRules, validate_rule
from relais.core.screening import CapScope
from relais.core.sender import validate_sender
from relais.services.accounts import validate_country
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import account_policy as policy_store
from relais.store import cache_epochs
from relais.store import moderation as moderation_store
from relais.store.moderation import RuleRow

ModerationRule = RuleRow

MAX_MONTHLY_LIMIT = 10**12


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """What sending needs to know about one account, loaded once and cached."""

    account_id: int
    allowed_countries: frozenset[str] | None = None  # None: every country
    cap_scopes: tuple[CapScope, ...] = ()
    default_sender: str | None = None
    rules: TextRules = field(default_factory=TextRules)


def _key(account_id: int) -> str:
    return f"policy:{account_id}"


def _load(conn, account_id: int) -> AccountPolicy | None:
    own = policy_store.get_settings(conn, account_id)
    if own is None:
        return None
    chain = [own]
    if own.parent_id is not None:
        parent = policy_store.get_settings(conn, own.parent_id)
        if parent is not None:
            chain.append(parent)
    allowed: frozenset[str] | None = None
    for settings in chain:
        if settings.allowed_countries is not None:
            mine = frozenset(settings.allowed_countries)
            allowed = mine if allowed is None else allowed & mine
    ids = [settings.id for settings in chain]
    caps = policy_store.caps_of(conn, ids)
    scopes = tuple(CapScope(i, caps[i]) for i in ids if caps[i])
    rules = TextRules.compile(moderation_store.list_rules(conn, account_ids=ids))
    return AccountPolicy(account_id, allowed, scopes, own.sender or None, rules)


async def account_policy(platform: Platform, account_id: int) -> AccountPolicy:
    """The account's policy, cached until an operator changes a policy (or the accounts)."""

    async def load() -> AccountPolicy:
        policy = await platform.db.read(lambda conn: _load(conn, account_id))
        if policy is None:
            raise NotFound(f"No account {account_id}")
        return policy

    return await platform.settings_cache.get_or_load(_key(account_id), AccountPolicy, load)


def _require_account(conn, account_id: int) -> policy_store.AccountSettings:
    settings = policy_store.get_settings(conn, account_id)
    if settings is None:
        raise NotFound(f"No account {account_id}")
    return settings


def _account_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NotFound(f"No account {value!r}")
    return value


async def set_allowed_countries(
    platform: Platform, *, actor: str, account_id: int, countries: Sequence[str] | None
) -> tuple[str, ...] | None:
    """Restrict the account to `countries` (None or empty: every country); the stored list."""
    account_id = _account_id(account_id)
    if isinstance(countries, str) or any(not isinstance(c, str) for c in countries or ()):
        raise InvalidField("countries is a list of ISO 3166 alpha-2 codes, like ['FR', 'BE']")
    codes = tuple(sorted({validate_country(c) for c in countries or ()})) or None

    def change(conn, now_ms):
        if not policy_store.set_allowed_countries(conn, account_id=account_id, countries=codes):
            raise NotFound(f"No account {account_id}")
        return codes

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.allowed_countries",
        account_id=account_id,
        details={"countries": list(codes) if codes else None},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def set_country_cap(
    platform: Platform, *, actor: str, account_id: int, country: str, monthly_limit: int | None
) -> int | None:
    """Cap the account's messages to `country` per calendar month (None removes the cap).

    A new cap counts the whole current month: the counter is recounted from the messages
    already accepted. The account's messages this month (None when the cap was removed)."""
    account_id = _account_id(account_id)
    code = validate_country(country)
    if monthly_limit is not None and (
        isinstance(monthly_limit, bool)
        or not isinstance(monthly_limit, int)
        or not 0 <= monthly_limit <= MAX_MONTHLY_LIMIT
    ):
        raise InvalidField("monthly_limit is a whole number of messages, 0 or more")

    def change(conn, now_ms):
        _require_account(conn, account_id)
        month = policy_store.month_of(now_ms)
        if monthly_limit is None:
            if not policy_store.remove_cap(conn, account_id=account_id, country=code, month=month):
                raise NotFound(f"Account {account_id} has no cap on {code}")
            return None
        policy_store.set_cap(conn, account_id=account_id, country=code, monthly_limit=monthly_limit)
        return policy_store.recount_usage(
            conn,
            account_id=account_id,
            country=code,
            month=month,
            month_start_ms=policy_store.month_start_ms(now_ms),
        )

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.country_cap",
        account_id=account_id,
        details={"country": code, "monthly_limit": monthly_limit},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def set_default_sender(
    platform: Platform, *, actor: str, account_id: int, sender: str | None
) -> str | None:
    """The sender used when a send names none (None or empty: the platform's default)."""
    account_id = _account_id(account_id)
    value = validate_sender(sender)

    def change(conn, now_ms):
        if not policy_store.set_default_sender(conn, account_id=account_id, sender=value or ""):
            raise NotFound(f"No account {account_id}")
        return value

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.default_sender",
        account_id=account_id,
        details={"sender": value},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def add_moderation_rule(
    platform: Platform, *, actor: str, account_id: int | None, kind: str, value: str
) -> int:
    """A rule that holds matching campaigns of one account (None: of every account); its id.

    kind `word`: the word or phrase, whole and case-insensitive; `link`: "*" for any link or
    a domain (its sub-domains match too); `first_campaigns`: N holds the account's first N
    campaigns with recipients."""
    if account_id is not None:
        account_id = _account_id(account_id)
    stored = validate_rule(kind, str(value) if value is not None else "")

    def change(conn, now_ms):
        if account_id is not None:
            _require_account(conn, account_id)
        return moderation_store.add_rule(
            conn, account_id=account_id, kind=kind, value=stored, now_ms=now_ms
        )

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="moderation.rule_add",
        account_id=account_id,
        details={"kind": kind, "value": stored},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def remove_moderation_rule(platform: Platform, *, actor: str, rule_id: int) -> None:
    rule = await platform.db.read(lambda conn: moderation_store.get_rule(conn, rule_id))
    if rule is None:
        raise NotFound(f"No moderation rule {rule_id}")

    def change(conn, now_ms):
        if not moderation_store.remove_rule(conn, rule_id):
            raise NotFound(f"No moderation rule {rule_id}")

    await operator_write(
        platform,
        change,
        actor=actor,
        action="moderation.rule_remove",
        account_id=rule.account_id,
        details={"rule_id": rule_id, "kind": rule.kind, "value": rule.value},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def list_moderation_rules(
    platform: Platform, *, account_id: int | None = None
) -> list[ModerationRule]:
    """Every rule; with `account_id`, the rules that apply to that account (the global ones,
    its parent's and its own)."""
    if account_id is None:
        return await platform.db.read(moderation_store.list_rules)

    def work(conn):
        settings = _require_account(conn, account_id)
        ids = [account_id] if settings.parent_id is None else [account_id, settings.parent_id]
        return moderation_store.list_rules(conn, account_ids=ids)

    return await platform.db.read(work)
