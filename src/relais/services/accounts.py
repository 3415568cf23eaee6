"""Creating accounts and checking who a request comes from."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from relais.core.credit_amounts import credit_amount
from relais.core.errors import (
    AccountSuspended,
    AuthenticationFailed,
    InsufficientCredits,
    InvalidField,
    LoginThrottled,
    RelaisError,
)
from relais.core.text import refuse_control_characters
from relais.services.operator_actions import operator_write
from relais.services.platform import AccountRef, Platform
from relais.store import accounts as account_store
from relais.store import ledger

_hasher = PasswordHasher()
# Password checks queue here, never on the default executor that database reads use: a flood
# of logins slows logins, not token traffic.
_argon2_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="relais-argon2")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified against nothing: a real hash, so an unknown email costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def account_ref(row: account_store.AccountRow) -> AccountRef:
    """The AccountRef of a stored account, with the account that pays for its sends."""
    pays = row.parent_id if row.parent_id is not None and row.unlimited else row.id
    return AccountRef(
        row.id,
        row.email,
        row.country,
        billing_account_id=pays,
        parent_id=row.parent_id,
        unlimited=bool(row.unlimited),
    )


def refuse_suspended(row: account_store.AccountRow) -> None:
    """Suspended accounts (and sub-accounts of one) are refused on every request."""
    if row.suspension is not None:
        raise AccountSuspended(f"Account suspended: {row.suspension}")


def refuse_debit(conn, account_id: int, shortfall: str | None = None) -> RelaisError:
    """The error for a debit that `ledger.debit_if_covered` refused: the payer is suspended
    (a suspension another process has not seen yet), or its balance is too low."""
    row = account_store.get_by_id(conn, account_id)
    if row is not None and row.suspension is not None:
        return AccountSuspended(f"Account suspended: {row.suspension}")
    return InsufficientCredits(shortfall)


def refuse_suspended_sub_account(conn, account: AccountRef) -> None:
    """In a send's transaction: a sub-account (or its parent) suspended since this process
    cached it is refused. Main accounts need no query: their own debit checks it."""
    if account.parent_id is not None:
        row = account_store.get_by_id(conn, account.id)
        if row is not None:
            refuse_suspended(row)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def validate_country(code: str) -> str:
    country = code.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidField(f"Unknown country code {code!r}: use ISO 3166 alpha-2, like FR")
    return country


async def create_account(
    platform: Platform,
    *,
    actor: str,
    email: str,
    password: str,
    country: str = "FR",
    credits: int = 0,
    company: str = "",
) -> int:
    """The operator creates a main account (with its first credits); audited as `actor`."""
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidField(f"Invalid email address {email!r}")
    if not 6 <= len(password) <= 128:
        raise InvalidField("The password must have 6 to 128 characters")
    if credit_amount(credits, zero_allowed=True) < 0:
        raise InvalidField("Credits cannot be negative")
    if len(company) > 100:
        raise InvalidField("The company name has at most 100 characters")
    refuse_control_characters(company, "The company name")
    country = validate_country(country)
    password_hash = await asyncio.to_thread(_hasher.hash, password)

    def change(conn, now_ms: int) -> int:
        if account_store.get_by_email(conn, email) is not None:
            raise InvalidField(f"An account with email {email} already exists")
        account_id = account_store.insert_account(
            conn,
            email=email,
            password_hash=password_hash,
            country=country,
            now_ms=now_ms,
            profile={"company": company} if company else None,
        )
        if credits:
            ledger.credit(
                conn,
                account_id=account_id,
                amount=credits,
                reason=ledger.LedgerReason.TOPUP,
                note="initial credits",
                now_ms=now_ms,
            )
        return account_id

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.create",
        account_id=lambda account_id: account_id,
        details={"email": email, "country": country, "credits": credits},
    )


async def find_account(platform: Platform, *, email: str) -> AccountRef:
    row = await platform.db.read(
        lambda conn: account_store.get_by_email(conn, email.strip().lower())
    )
    if row is None:
        raise InvalidField(f"No account with email {email}")
    return account_ref(row)


async def authenticate_password(
    platform: Platform, email: str, password: str, *, client_ip: str | None = None
) -> AccountRef:
    """Legacy email + password on each request; argon2 runs once per minute per login, on
    threads of its own, and not at all for an account or address locked out by wrong
    passwords (core/login_throttle.py)."""
    key = hashlib.sha256(f"{email}\0{password}".encode()).hexdigest()
    normalized = email.strip().lower()
    guarded = [f"account:{normalized}"] + ([f"address:{client_ip}"] if client_ip else [])
    throttle = platform.login_throttle
    now = time.monotonic()
    wait_s = throttle.locked_for(guarded, now)
    if wait_s > 0:
        raise LoginThrottled(
            f"Too many wrong passwords: password logins refused for {wait_s:.0f} s "
            "(API tokens still work)"
        )
    cached = platform.logins.get(key)
    if isinstance(cached, AccountRef):
        return cached
    row = await platform.db.read(lambda conn: account_store.get_by_email(conn, normalized))
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        await asyncio.get_running_loop().run_in_executor(
            _argon2_threads, _hasher.verify, stored, password
        )
    except (VerificationError, InvalidHashError):
        throttle.failed(guarded, time.monotonic())
        raise AuthenticationFailed("Utilisateur ou mot de passe incorrect") from None
    if row is None or not row.active:
        throttle.failed(guarded, time.monotonic())
        raise AuthenticationFailed("Utilisateur ou mot de passe incorrect")
    refuse_suspended(row)
    throttle.succeeded(guarded)
    ref = account_ref(row)
    platform.logins.put(key, ref)
    return ref
