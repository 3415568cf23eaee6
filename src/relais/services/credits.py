"""Balances, top-ups and the per-country price table."""

from __future__ import annotations

from relais.core.instant import to_ms
from relais.errors import InvalidField, NotFound
from relais.services.accounts import validate_country
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import audit, cache_epochs, ledger
from relais.store import prices as price_store

_PRICE_KEY = "prices"


async def balance(platform: Platform, *, account_id: int) -> int:
    return await platform.db.read(lambda conn: account_store.get_balance(conn, account_id))


async def add_credits(
    platform: Platform, *, actor: str, account_id: int, amount: int, note: str = ""
) -> int:
    """The operator adds (or, negative, removes) credits as one ledger row; the new
    balance. Audited as `actor`."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidField("The amount must be a non-zero number of credits")
    if len(note) > 200:
        raise InvalidField("The note has at most 200 characters")
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        if amount < 0 and account_store.get_balance(conn, account_id) < -amount:
            raise InvalidField("The balance cannot go below zero")
        new_balance = ledger.credit(
            conn,
            account_id=account_id,
            amount=amount,
            reason=ledger.LedgerReason.TOPUP,
            note=note,
            now_ms=now_ms,
        )
        audit.record(
            conn,
            actor=actor,
            action="account.credits",
            now_ms=now_ms,
            account_id=account_id,
            details={"amount": amount, "note": note, "balance": new_balance},
        )
        return new_balance

    return await platform.db.write(work)


async def price_table(platform: Platform) -> dict[str, int]:
    """Credits per part by country, cached until an edit moves the operator tables' epoch."""
    return await platform.settings_cache.get_or_load(  # type: ignore[return-value]
        _PRICE_KEY, lambda: platform.db.read(price_store.price_table)
    )


def unit_price(table: dict[str, int], country: str) -> int:
    price = table.get(country)
    if price is None:
        price = table.get("*", price_store.DEFAULT_PRICE)
    return price


async def set_price(platform: Platform, *, actor: str, country: str, credits_per_part: int) -> None:
    if isinstance(credits_per_part, bool) or not isinstance(credits_per_part, int):
        raise InvalidField("A price is a whole number of credits per part")
    if not 0 <= credits_per_part <= 1_000_000:
        raise InvalidField("A price is 0 to 1,000,000 credits per part")
    code = "*" if country == "*" else validate_country(country)
    now_ms = to_ms(platform.clock())

    def work(conn) -> None:
        price_store.set_price(conn, country=code, credits_per_part=credits_per_part)
        cache_epochs.bump(conn, cache_epochs.OPERATOR_TABLES)
        audit.record(
            conn,
            actor=actor,
            action="price.set",
            now_ms=now_ms,
            details={"country": code, "credits_per_part": credits_per_part},
        )

    await platform.db.write(work)
    platform.forget_cached(cache_epochs.OPERATOR_TABLES)


async def remove_price(platform: Platform, *, actor: str, country: str) -> bool:
    code = "*" if country == "*" else validate_country(country)
    now_ms = to_ms(platform.clock())

    def work(conn) -> bool:
        removed = price_store.remove_price(conn, country=code)
        if removed:
            cache_epochs.bump(conn, cache_epochs.OPERATOR_TABLES)
            audit.record(
                conn, actor=actor, action="price.remove", now_ms=now_ms, details={"country": code}
            )
        return removed

    removed = await platform.db.write(work)
    platform.forget_cached(cache_epochs.OPERATOR_TABLES)
    return removed
