"""Sub-accounts: creating accounts through the API (SMSFactor POST /account), reading an
account's profile and its sub-accounts with their consumption, unlocking them, and moving
credits between a parent and its sub-account.

A sub-account belongs to one parent. An `unlimited` one has no credits of its own: its sends
are debited from its parent's balance (see AccountRef.billing_account_id). A limited one has
its own balance, filled by transfers from its parent, and never goes below zero."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from relais.core.credit_amounts import credit_amount, refuse_balance_over
from relais.core.errors import (
    AuthenticationFailed,
    InvalidField,
    InvalidRequest,
    MissingField,
    NotFound,
)
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.core.sender import validate_sender
from relais.services.accounts import (
    EMAIL,
    find_account,
    hash_password,
    refuse_debit,
    validate_country,
)
from relais.services.operator_actions import operator_write
from relais.services.platform import AccountRef, Platform
from relais.store import accounts as account_store
from relais.store import cache_epochs, ledger
from relais.store.accounts import PROFILE_FIELDS, AccountDetails
from relais.store.consumption import consumption_by_country

ACCOUNT_TYPES = ("company", "association", "administration", "private")
PASSWORD_LENGTH = (6, 25)
MAX_LENGTH = {
    "firstname": 100,
    "lastname": 100,
    "company": 100,
    "city": 100,
    "phone": 20,
    "address1": 200,
    "address2": 200,
    "zip": 20,
    "description": 500,
}
_PHONE = re.compile(r"\+?[0-9 .\-()]{3,20}")
_LANG = re.compile(r"[A-Za-z]{2}")
_FRENCH_SPEAKING = {"FR", "BE", "CH", "LU", "MC"}


@dataclass(frozen=True, slots=True)
class SubAccount:
    """A sub-account with the credits its campaigns spent this month and the previous one
    (calendar months in Europe/Paris)."""

    account: AccountDetails
    current_month_consumption: int
    previous_month_consumption: int


def language(lang: str, country: str) -> str:
    """The account's language, or for accounts created without one (by the operator), FR in
    French-speaking countries and EN elsewhere."""
    return (lang or ("FR" if country in _FRENCH_SPEAKING else "EN")).upper()


def _profile(fields: Mapping[str, str | None], country: str) -> dict[str, str]:
    """Checked profile columns; InvalidField naming the first bad field."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidField(f"Unknown account fields: {', '.join(sorted(unknown))}")
    profile: dict[str, str] = {}
    for name in PROFILE_FIELDS:
        value = (fields.get(name) or "").strip()
        limit = MAX_LENGTH.get(name)
        if limit is not None and len(value) > limit:
            raise InvalidField(f"{name}: at most {limit} characters")
        profile[name] = value
    if profile["type"] and profile["type"].lower() not in ACCOUNT_TYPES:
        raise InvalidField(f"type: must be one of {', '.join(ACCOUNT_TYPES)}")
    profile["type"] = profile["type"].lower()
    if profile["phone"] and not _PHONE.fullmatch(profile["phone"]):
        raise InvalidField("phone: 3 to 20 digits, with an optional leading +")
    if profile["lang"] and not _LANG.fullmatch(profile["lang"]):
        raise InvalidField("lang: a two-letter language code, like FR or EN")
    profile["lang"] = language(profile["lang"], country)
    try:
        profile["sender"] = validate_sender(profile["sender"]) or ""
    except InvalidRequest as exc:
        raise InvalidField(f"sender: {exc.detail}") from None
    return profile


async def open_account(
    platform: Platform,
    *,
    caller: AccountRef,
    email: str | None,
    password: str | None,
    country_code: str | None = None,
    child: bool,
    unlimited: bool | None = None,
    profile: Mapping[str, str | None] | None = None,
) -> int:
    """Create a sub-account of `caller` (child) or, when the platform allows open sign-up,
    a main account; the new id. Every field is checked before anything is stored."""
    if not child and not platform.settings.open_signup:
        raise AuthenticationFailed("Only the operator can create main accounts")
    if child and caller.parent_id is not None:
        raise AuthenticationFailed("A sub-account cannot create sub-accounts")
    email = (email or "").strip().lower()
    if not email:
        raise MissingField("email: the email address is missing")
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidField(f"email: {email!r} is not an email address")
    if not password:
        raise MissingField("password: the password is missing")
    low, high = PASSWORD_LENGTH
    if not low <= len(password) <= high:
        raise InvalidField(f"password: {low} to {high} characters")
    if country_code:
        try:
            country = validate_country(country_code)
        except InvalidField as exc:
            raise InvalidField(f"country_code: {exc.detail}") from None
    elif child:
        country = caller.country
    else:
        raise MissingField("country_code: required for a main account (ISO 3166 alpha-2)")
    if child and unlimited is None:
        raise MissingField("unlimited: required for a sub-account (0 or 1)")
    checked = _profile(profile or {}, country)
    password_hash = await hash_password(password)
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        if account_store.get_by_email(conn, email) is not None:
            raise InvalidField(f"email: an account with email {email} already exists")
        return account_store.insert_account(
            conn,
            email=email,
            password_hash=password_hash,
            country=country,
            now_ms=now_ms,
            parent_id=caller.id if child else None,
            unlimited=bool(child and unlimited),
            profile=checked,
        )

    return await platform.db.write(work)


async def get_account(platform: Platform, *, account: AccountRef) -> AccountDetails:
    found = await platform.db.read(lambda conn: account_store.get_details(conn, account.id))
    if found is None:
        raise NotFound("Account not found")
    return found


def _month_bounds(now: datetime) -> tuple[int, int, int]:
    """Starts of the previous, current and next calendar months in Paris, as Unix ms."""
    local = now.astimezone(PARIS)
    current = datetime(local.year, local.month, 1, tzinfo=PARIS)
    previous = datetime(
        local.year - (local.month == 1),
        12 if local.month == 1 else local.month - 1,
        1,
        tzinfo=PARIS,
    )
    following = datetime(
        local.year + (local.month == 12),
        1 if local.month == 12 else local.month + 1,
        1,
        tzinfo=PARIS,
    )
    return to_ms(previous), to_ms(current), to_ms(following)


def _with_consumption(conn, children: list[AccountDetails], now: datetime) -> list[SubAccount]:
    previous, current, following = _month_bounds(now)
    ids = [child.id for child in children]

    def spent(start_ms: int, end_ms: int) -> dict[int, int]:
        # The one definition of consumption, shared with GET /metrics/consumption.
        by_country = consumption_by_country(conn, account_ids=ids, start_ms=start_ms, end_ms=end_ms)
        return {account_id: sum(by_country.get(account_id, {}).values()) for account_id in ids}

    this_month, last_month = spent(current, following), spent(previous, current)
    return [SubAccount(child, this_month[child.id], last_month[child.id]) for child in children]


async def list_sub_accounts(platform: Platform, *, account: AccountRef) -> list[SubAccount]:
    now = platform.clock()
    return await platform.db.read(
        lambda conn: _with_consumption(conn, account_store.list_children(conn, account.id), now)
    )


async def get_sub_account(
    platform: Platform, *, account: AccountRef, sub_account_id: int
) -> SubAccount:
    """One of the caller's own sub-accounts; NotFound for any other account."""
    now = platform.clock()

    def work(conn) -> list[SubAccount]:
        child = account_store.get_child(conn, parent_id=account.id, child_id=sub_account_id)
        return [] if child is None else _with_consumption(conn, [child], now)

    found = await platform.db.read(work)
    if not found:
        raise NotFound("Sub-account not found")
    return found[0]


async def unlock_sub_account(
    platform: Platform, *, account: AccountRef, sub_account_id: int
) -> None:
    """Make one of the caller's sub-accounts active again."""
    await _set_sub_account_active(platform, account, sub_account_id, True)


async def lock_sub_account(platform: Platform, *, account: AccountRef, sub_account_id: int) -> None:
    """Make one of the caller's sub-accounts inactive: its tokens are refused until its
    parent unlocks it (SMSPartner's "remove"; its history and credits stay)."""
    await _set_sub_account_active(platform, account, sub_account_id, False)


async def _set_sub_account_active(
    platform: Platform, account: AccountRef, sub_account_id: int, active: bool
) -> None:
    def work(conn) -> bool:
        child = account_store.get_child(conn, parent_id=account.id, child_id=sub_account_id)
        if child is None:
            return False
        account_store.set_active(conn, child.id, active)
        cache_epochs.bump(conn, cache_epochs.ACCOUNTS)  # cached owners carry the old flag
        return True

    if not await platform.db.write(work):
        raise NotFound("Sub-account not found")
    platform.forget_cached(cache_epochs.ACCOUNTS)


async def transfer_credits(
    platform: Platform, *, actor: str, parent_id: int, child_id: int, amount: int, note: str = ""
) -> tuple[int, int]:
    """Move `amount` credits from a parent to its limited sub-account (a negative amount
    moves them back) as two ledger rows in one transaction; the new (parent, child)
    balances. InsufficientCredits when the giver's balance does not cover it. Audited as
    `actor`."""
    credit_amount(amount)
    giver, taker = (parent_id, child_id) if amount > 0 else (child_id, parent_id)
    moved = abs(amount)

    def change(conn, now_ms: int) -> tuple[int, int]:
        child = account_store.get_child(conn, parent_id=parent_id, child_id=child_id)
        if child is None:
            raise NotFound("Credits move only between an account and its own sub-account")
        if child.unlimited:
            raise InvalidField("An unlimited sub-account spends its parent's credits")
        left = ledger.debit_if_covered(
            conn,
            account_id=giver,
            amount=moved,
            campaign_id=None,
            now_ms=now_ms,
            reason=ledger.LedgerReason.TRANSFER,
            note=note or f"to account {taker}",
        )
        if left is None:
            raise refuse_debit(
                conn, giver, f"The balance of account {giver} does not cover {moved}"
            )
        refuse_balance_over(account_store.get_balance(conn, taker) + moved)
        got = ledger.credit(
            conn,
            account_id=taker,
            amount=moved,
            reason=ledger.LedgerReason.TRANSFER,
            note=note or f"from account {giver}",
            now_ms=now_ms,
        )
        return (left, got) if giver == parent_id else (got, left)

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.transfer",
        account_id=child_id,
        details={"from": giver, "to": taker, "amount": moved, "note": note},
    )


async def transfer_with_parent(
    platform: Platform, *, actor: str, child_id: int, amount: int, note: str = ""
) -> tuple[int, int]:
    """The operator's transfer: between the sub-account `child_id` and its parent, positive
    amounts to the sub-account; the new (parent, child) balances."""
    child = await platform.db.read(lambda conn: account_store.operator_view(conn, child_id))
    if child is None or child.parent_id is None:
        raise InvalidField("Credits move only between a sub-account and its parent")
    return await transfer_credits(
        platform,
        actor=actor,
        parent_id=child.parent_id,
        child_id=child_id,
        amount=amount,
        note=note,
    )


async def transfer_between(
    platform: Platform, *, actor: str, from_email: str, to_email: str, amount: int
) -> tuple[int, int]:
    """`relais credits transfer`: from a parent to its sub-account or back; the new
    (giver, receiver) balances."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidField("The amount must be a positive number of credits")
    giver = await find_account(platform, email=from_email)
    taker = await find_account(platform, email=to_email)
    if taker.parent_id == giver.id:
        parent, child = await transfer_credits(
            platform, actor=actor, parent_id=giver.id, child_id=taker.id, amount=amount
        )
        return parent, child
    if giver.parent_id == taker.id:
        parent, child = await transfer_credits(
            platform, actor=actor, parent_id=taker.id, child_id=giver.id, amount=-amount
        )
        return child, parent
    raise InvalidField("Credits move only between an account and its own sub-account")
