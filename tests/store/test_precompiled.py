"""Precompiled statements on both backends: the same rows and errors as conn.execute."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from tests.support import campaign_row

from relais.core.errors import StorageError
from relais.store import precompiled
from relais.store.precompiled import Precompiled
from relais.store.tables import campaigns, prices

_ADD_PRICE = Precompiled(insert(prices))
_INSERT_CAMPAIGN = Precompiled(insert(campaigns).returning(campaigns.c.id, campaigns.c.tag))
# "FR" is a literal of the statement, not a parameter the caller gives.
_REPRICE_FRANCE = Precompiled(
    update(prices)
    .where(prices.c.country == "FR")
    .values(credits_per_part=prices.c.credits_per_part + bindparam("step"))
    .returning(prices.c.credits_per_part)
)


def _prices(conn) -> dict[str, int]:
    return dict(conn.execute(select(prices.c.country, prices.c.credits_per_part)).all())


async def test_many_inserts_one_row_per_mapping(platform):
    rows = [{"country": c, "credits_per_part": n} for n, c in enumerate(["FR", "DE", "IT"], 1)]
    await platform.db.write(lambda conn: _ADD_PRICE.many(conn, rows))
    assert await platform.db.read(_prices) == {"FR": 1, "DE": 2, "IT": 3}


async def test_an_insert_returns_its_row_and_names_only_the_columns_given(platform, customer):
    account_id = customer.account.id

    def insert_two(conn):
        plain = _INSERT_CAMPAIGN.first(conn, campaign_row(account_id))
        tagged = _INSERT_CAMPAIGN.first(conn, campaign_row(account_id, tag="promo"))
        stored = conn.execute(
            select(campaigns.c.id, campaigns.c.tag, campaigns.c.blacklisted).where(
                campaigns.c.id.in_([plain[0], tagged[0]])
            )
        ).all()
        return tuple(plain), tuple(tagged), sorted(tuple(row) for row in stored)

    plain, tagged, stored = await platform.db.write(insert_two)
    assert plain[1] is None and tagged[1] == "promo"
    assert tagged[0] > plain[0]
    # Columns left out take their server defaults (blacklisted: 0), as with conn.execute.
    assert stored == [(plain[0], None, 0), (tagged[0], "promo", 0)]


async def test_a_literal_of_the_statement_keeps_its_value(platform):
    rows = [{"country": "FR", "credits_per_part": 5}, {"country": "DE", "credits_per_part": 5}]
    await platform.db.write(lambda conn: _ADD_PRICE.many(conn, rows))
    returned = await platform.db.write(lambda conn: _REPRICE_FRANCE.rows(conn, {"step": 2}))
    assert [tuple(row) for row in returned] == [(7,)]
    assert await platform.db.read(_prices) == {"FR": 7, "DE": 5}


async def test_a_statement_without_a_match_returns_no_row(platform):
    assert await platform.db.write(lambda conn: _REPRICE_FRANCE.first(conn, {"step": 1})) is None


async def test_driver_errors_leave_as_sqlalchemy_errors(platform):
    await platform.db.write(
        lambda conn: _ADD_PRICE.rows(conn, {"country": "FR", "credits_per_part": 1})
    )
    with pytest.raises(StorageError) as raised:
        await platform.db.write(
            lambda conn: _ADD_PRICE.rows(conn, {"country": "FR", "credits_per_part": 2})
        )
    assert isinstance(raised.value.__cause__, IntegrityError)  # as from conn.execute
    assert await platform.db.read(_prices) == {"FR": 1}


async def test_many_inserts_past_one_statements_parameter_bound_keep_every_row(
    platform, monkeypatch
):
    # On SQLite the rows go in as multi-row INSERTs, as many rows each as the bound allows:
    # two parameters a row, five rows a statement here, so seven rows take two statements.
    monkeypatch.setattr(precompiled, "_SQLITE_VARIABLES", 10)
    rows = [{"country": f"C{n}", "credits_per_part": n} for n in range(7)]
    assert await platform.db.write(lambda conn: _ADD_PRICE.many(conn, rows)) in (7, -1)
    assert await platform.db.read(_prices) == {f"C{n}": n for n in range(7)}


def test_only_a_plain_insert_is_split_before_its_row_of_values():
    plain = "INSERT INTO prices (country, credits_per_part) VALUES (?, ?)"
    assert precompiled._values_clause(plain) == (
        "INSERT INTO prices (country, credits_per_part)",
        "(?, ?)",
    )
    upsert = plain + " ON CONFLICT (country) DO NOTHING"
    from_select = "INSERT INTO prices (country, credits_per_part) SELECT country, 1 FROM t"
    assert precompiled._values_clause(upsert) == (upsert, "")
    assert precompiled._values_clause(from_select) == (from_select, "")
