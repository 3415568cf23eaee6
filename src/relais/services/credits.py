"""Balances, top-ups and the per-country price table."""

from __future__ import annotations

from relais.core.instant import to_ms
from relais.errors import InvalidField
from relais.services.accounts import find_account, validate_country
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import ledger
from relais.store import prices as price_store

_PRICE_KEY = "prices"


async def balance(platform: Platform, *, account_id: int) -> int:
    return await platform.db.read(lambda conn: account_store.get_balance(conn, account_id))


async def add_credits(platform: Platform, *, email: str, amount: int, note: str = "") -> int:
    """Add (or, negative, remove) credits as one ledger row; the new balance."""
    if amount == 0:
        raise InvalidField("The amount must not be zero")
    account = await find_account(platform, email=email)
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        if amount < 0 and account_store.get_balance(conn, account.id) < -amount:
            raise InvalidField("The balance cannot go below zero")
        return ledger.credit(
            conn,
            account_id=account.id,
            amount=amount,
            reason=ledger.LedgerReason.TOPUP,
            note=note,
            now_ms=now_ms,
        )

    return await platform.db.write(work)


async def price_table(platform: Platform) -> dict[str, int]:
    """Credits per part by country, cached for a few seconds (edits apply within the TTL)."""
    return await platform.settings_cache.get_or_load(  # type: ignore[return-value]
        _PRICE_KEY, lambda: platform.db.read(price_store.price_table)
    )


def unit_price(table: dict[str, int], country: str) -> int:
    price = table.get(country)
    if price is None:
        price = table.get("*", price_store.DEFAULT_PRICE)
    return price


async def set_price(platform: Platform, *, country: str, credits_per_part: int) -> None:
    if credits_per_part < 0:
        raise InvalidField("A price cannot be negative")
    code = "*" if country == "*" else validate_country(country)
    await platform.db.write(
        lambda conn: price_store.set_price(conn, country=code, credits_per_part=credits_per_part)
    )
    platform.settings_cache.forget(_PRICE_KEY)


async def remove_price(platform: Platform, *, country: str) -> bool:
    code = "*" if country == "*" else validate_country(country)
    removed = await platform.db.write(lambda conn: price_store.remove_price(conn, country=code))
    platform.settings_cache.forget(_PRICE_KEY)
    return removed
