"""Credits per SMS part by destination country; "*" is the price everywhere else."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from relais.store.tables import prices


def price_table(conn: Connection) -> dict[str, int]:
    return {row.country: row.credits_per_part for row in conn.execute(select(prices))}


def set_price(conn: Connection, *, country: str, credits_per_part: int) -> None:
    updated = conn.execute(
        update(prices).where(prices.c.country == country).values(credits_per_part=credits_per_part)
    ).rowcount
    if not updated:
        conn.execute(insert(prices).values(country=country, credits_per_part=credits_per_part))


def remove_price(conn: Connection, *, country: str) -> bool:
    return bool(conn.execute(delete(prices).where(prices.c.country == country)).rowcount)
