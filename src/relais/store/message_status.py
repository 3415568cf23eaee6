"""Per-recipient status of an account's sends: the messages of one campaign (optionally to one
number) and of every campaign carrying a tag, for the status queries of the dialects that ask
by message id and number (SMSPartner's message-status, multi-status, bulk-status[-by-tag])."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from relais.store.tables import campaigns, messages

m, c = messages.c, campaigns.c


@dataclass(frozen=True, slots=True)
class MessageState:
    campaign_id: int
    message_id: int
    destination: str
    country: str
    status: str
    campaign_status: str
    cost: int
    due_at: int
    done_at: int | None


_COLUMNS = (
    m.campaign_id,
    m.id,
    m.destination,
    m.country,
    m.status,
    c.status,
    m.cost,
    m.due_at,
    m.done_at,
)
_FROM = messages.join(campaigns, c.id == m.campaign_id)


def campaign_messages(
    conn: Connection, *, account_id: int, campaign_id: int, destination: str | None = None
) -> list[MessageState]:
    """The messages of one of the account's campaigns, in the order they were stored."""
    statement = (
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(m.campaign_id == campaign_id, c.account_id == account_id)
        .order_by(m.id)
    )
    if destination is not None:
        statement = statement.where(m.destination == destination)
    return [MessageState(*row) for row in conn.execute(statement)]


def tagged_messages(
    conn: Connection, *, account_id: int, tag: str, offset: int, limit: int
) -> tuple[list[MessageState], int]:
    """One page of the messages of the account's campaigns tagged `tag`, and their total."""
    where = (c.account_id == account_id, c.tag == tag)
    total = conn.execute(select(func.count()).select_from(_FROM).where(*where)).scalar_one()
    rows = conn.execute(
        select(*_COLUMNS)
        .select_from(_FROM)
        .where(*where)
        .order_by(m.id)
        .offset(offset)
        .limit(limit)
    )
    return [MessageState(*row) for row in rows], total
