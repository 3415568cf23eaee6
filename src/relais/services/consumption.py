"""Consumption metrics (SMSFactor GET /metrics/consumption): credits spent on messages by
destination country, for the caller and (later) its sub-accounts.

"Spent" is the cost of the messages of campaigns whose send date falls within the asked days
(Europe/Paris, both ends included); cancelled messages were refunded and do not count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.services.platform import AccountRef, Platform
from relais.store import accounts as account_store
from relais.store import consumption as consumption_store

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True, slots=True)
class Conso:
    account_id: int
    company: str
    total: int
    by_country: dict[str, int]


@dataclass(frozen=True, slots=True)
class ConsumptionReport:
    total: int
    by_country: dict[str, int]
    my_account: Conso
    sub_accounts: tuple[Conso, ...]


def parse_day(raw: str | None, name: str) -> date:
    """A required `Y-m-d` day."""
    if raw is None or raw == "":
        raise MissingField(f"{name} is required (Y-m-d)")
    if not _DAY.fullmatch(raw):
        raise InvalidField(f"{name} must be a day like 2024-06-27")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidField(f"{name} must be a day like 2024-06-27") from None


def parse_countries(raw: str | None) -> tuple[str, ...] | None:
    """A comma-separated list of ISO 3166 alpha-2 codes; None (no filter) when absent."""
    if raw is None or raw.strip() == "":
        return None
    codes = [code.strip() for code in raw.split(",") if code.strip()]
    for code in codes:
        if not _COUNTRY.fullmatch(code):
            raise InvalidField(f"country: {code!r} is not an ISO 3166 alpha-2 country code")
    return tuple(dict.fromkeys(code.upper() for code in codes))


async def consumption(
    platform: Platform,
    *,
    account: AccountRef,
    date_start: date,
    date_end: date,
    countries: Sequence[str] | None = None,
    sub_account_id: int | None = None,
) -> ConsumptionReport:
    if date_start > date_end:
        raise InvalidField("date_start must not be after date_end")
    start_ms = to_ms(datetime.combine(date_start, time(0), tzinfo=PARIS))
    end_ms = to_ms(datetime.combine(date_end + timedelta(days=1), time(0), tzinfo=PARIS))
    companies = await _companies(platform, account=account, sub_account_id=sub_account_id)
    sub_ids = [i for i in companies if i != account.id]
    account_ids = [account.id, *sub_ids]
    spent = await platform.db.read(
        lambda conn: consumption_store.consumption_by_country(
            conn,
            account_ids=account_ids,
            start_ms=start_ms,
            end_ms=end_ms,
            countries=countries,
        )
    )
    mine = _conso(account.id, companies[account.id], spent.get(account.id, {}))
    subs = tuple(_conso(i, companies[i], spent.get(i, {})) for i in sub_ids)
    by_country: dict[str, int] = {}
    for conso in (mine, *subs):
        for country, credits in conso.by_country.items():
            by_country[country] = by_country.get(country, 0) + credits
    return ConsumptionReport(
        total=sum(by_country.values()),
        by_country=dict(sorted(by_country.items())),
        my_account=mine,
        sub_accounts=subs,
    )


def _conso(account_id: int, company: str, by_country: dict[str, int]) -> Conso:
    return Conso(account_id, company, sum(by_country.values()), dict(sorted(by_country.items())))


async def _companies(
    platform: Platform, *, account: AccountRef, sub_account_id: int | None
) -> dict[int, str]:
    """The caller and the sub-accounts whose consumption it sees (only `sub_account_id`
    when given), each with its company name."""

    def work(conn) -> dict[int, str] | None:
        me = account_store.get_details(conn, account.id)
        children = account_store.list_children(conn, account.id)
        if sub_account_id is not None:
            children = [c for c in children if c.id == sub_account_id]
            if not children:
                return None
        names = {account.id: me.profile.get("company", "") if me else ""}
        names.update({c.id: c.profile.get("company", "") for c in children})
        return names

    companies = await platform.db.read(work)
    if companies is None:
        raise NotFound(f"No sub-account with id {sub_account_id}")
    return companies
