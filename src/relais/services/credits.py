"""Balances, top-ups and the per-country price table."""

from __future__ import annotations

from relais.core.credit_amounts import credit_amount, refuse_balance_over
from relais.core.errors import InvalidField, NotFound
from relais.services.accounts import validate_country
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import cache_epochs, ledger
from relais.store import prices as price_store

_PRICE_KEY = "prices"


async def balance(platform: Platform, *, account_id: int) -> int:
    return await platform.db.read(lambda conn: account_store.get_balance(conn, account_id))


async def add_credits(
    platform: Platform, *, actor: str, account_id: int, amount: int, note: str = ""
) -> int:
    """The operator adds (or, negative, removes) credits as one ledger row; the new
    balance. Audited as `actor`."""
    credit_amount(amount)
    if len(note) > 200:
        raise InvalidField("The note has at most 200 characters")

    def change(conn, now_ms: int) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        balance = account_store.get_balance(conn, account_id)
        if amount < 0 and balance < -amount:
            raise InvalidField("The balance cannot go below zero")
        refuse_balance_over(balance + amount)
        return ledger.credit(
            conn,
            account_id=account_id,
            amount=amount,
            reason=ledger.LedgerReason.TOPUP,
            note=note,
            now_ms=now_ms,
        )

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.credits",
        account_id=account_id,
        details=lambda balance: {"amount": amount, "note": note, "balance": balance},
    )


async def price_table(platform: Platform) -> dict[str, int]:
    """Credits per part by country, cached until an edit moves the operator tables' epoch."""
    return await platform.settings_cache.get_or_load(
        _PRICE_KEY, dict, lambda: platform.db.read(price_store.price_table)
    )


async def set_price(platform: Platform, *, actor: str, country: str, credits_per_part: int) -> None:
    if isinstance(credits_per_part, bool) or not isinstance(credits_per_part, int):
        raise InvalidField("A price is a whole number of credits per part")
    if not 0 <= credits_per_part <= 1_000_000:
        raise InvalidField("A price is 0 to 1,000,000 credits per part")
    code = "*" if country == "*" else validate_country(country)
    await operator_write(
        platform,
        lambda conn, _: price_store.set_price(
            conn, country=code, credits_per_part=credits_per_part
        ),
        actor=actor,
        action="price.set",
        details={"country": code, "credits_per_part": credits_per_part},
        epoch=cache_epochs.OPERATOR_TABLES,
    )


async def remove_price(platform: Platform, *, actor: str, country: str) -> None:
    code = "*" if country == "*" else validate_country(country)

    def change(conn, _: int) -> None:
        if not price_store.remove_price(conn, country=code):
            raise NotFound(f"No price for {code}")

    await operator_write(
        platform,
        change,
        actor=actor,
        action="price.remove",
        details={"country": code},
        epoch=cache_epochs.OPERATOR_TABLES,
    )
