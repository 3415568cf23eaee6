"""Every lookup of messages by number reads the one index on the destination
(ix_messages_destination_account_due): the anti-flood counts of a send, the last message sent
to a number (a reply's account), the campaigns sent to a number. On PostgreSQL sequential
scans are turned off for the plan, so the test asks whether the index can serve the query,
not whether an empty table's statistics prefer it."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from relais.store.inbound import _LAST_MESSAGE
from relais.store.screening import _SCREEN_ONE_FLOOD
from relais.store.tables import campaigns, messages

INDEX = "ix_messages_destination_account_due"


def _plan(conn: Connection, statement) -> str:
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(conn.exec_driver_sql(f"EXPLAIN {sql}").scalars())
    return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


async def test_a_sends_flood_counts_read_the_destination_index(platform):
    statement = _SCREEN_ONE_FLOOD.statement.params(
        account=1, number="33600000004", text="Hello", since=1_000, until=5_000
    )
    assert INDEX in await platform.db.read(lambda conn: _plan(conn, statement))


async def test_the_last_message_to_a_number_reads_the_destination_index(platform):
    statement = _LAST_MESSAGE.params(destination="33600000004")
    assert INDEX in await platform.db.read(lambda conn: _plan(conn, statement))


async def test_the_campaigns_sent_to_a_number_read_the_destination_index(platform):
    sent_to = select(messages.c.campaign_id).where(
        messages.c.destination == "33600000004", messages.c.account_id == 1
    )
    statement = select(campaigns.c.id).where(campaigns.c.id.in_(sent_to))
    assert INDEX in await platform.db.read(lambda conn: _plan(conn, statement))
