"""Inbound SMS (replies and STOPs); a STOP feeds the blacklist (store.opt_outs).

A reply belongs to the account that last wrote to its sender, and answers that message's
campaign. A STOP puts its sender on that account's blacklist once, with the campaign it
answered and, when the message was merged from a list contact, the contact's info1..4, and
ends every campaign subscription of that number with that account (store.subscriptions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select

from relais.store.lists import INFOS
from relais.store.opt_outs import add_to_blacklist
from relais.store.subscriptions import end_all as end_subscriptions
from relais.store.tables import contacts, inbound_messages, messages


@dataclass(frozen=True, slots=True)
class InboundRow:
    connector: str
    source: str
    destination: str
    text: str
    is_stop: bool
    received_at_ms: int


@dataclass(frozen=True, slots=True)
class LastMessage:
    """The latest message sent to a number: the one a reply from that number answers."""

    id: int
    account_id: int
    campaign_id: int
    contact_id: int | None
    gsmsmsid: str | None  # the client's id of that message (MO and STOP events name it)


# Built once: it runs for every inbound SMS.
_LAST_MESSAGE = (
    select(
        messages.c.id,
        messages.c.account_id,
        messages.c.campaign_id,
        messages.c.contact_id,
        messages.c.gsmsmsid,
    )
    .where(messages.c.destination == bindparam("destination"))
    .order_by(messages.c.id.desc())
    .limit(1)
)


def last_message_to(conn: Connection, destination: str) -> LastMessage | None:
    """The latest message sent to `destination` (the newest of its rows in
    ix_messages_destination_account_due): a reply or a STOP belongs to the account that last
    wrote to that number."""
    row = conn.execute(_LAST_MESSAGE, {"destination": destination}).first()
    return LastMessage(*row) if row else None


def contact_infos(conn: Connection, contact_id: int | None) -> dict[str, str | None]:
    """info1..4 of a list contact; all None when there is none (or it was deleted since)."""
    if contact_id is None:
        return dict.fromkeys(INFOS)
    row = conn.execute(
        select(*(contacts.c[name] for name in INFOS)).where(contacts.c.id == contact_id)
    ).first()
    return dict(zip(INFOS, row, strict=True)) if row else dict.fromkeys(INFOS)


def record_inbound(conn: Connection, rows: Sequence[InboundRow]) -> list[LastMessage | None]:
    """Store each inbound SMS with the account it answers; blacklist senders of a STOP.
    Returns the message each row answers (None when no account wrote to that number)."""
    answered: list[LastMessage | None] = []
    for row in rows:
        last = last_message_to(conn, row.source)
        answered.append(last)
        conn.execute(
            insert(inbound_messages).values(
                account_id=last.account_id if last else None,
                message_id=last.id if last else None,
                connector=row.connector,
                source=row.source,
                destination=row.destination,
                text=row.text,
                is_stop=row.is_stop,
                received_at=row.received_at_ms,
            )
        )
        if row.is_stop and last is not None:
            add_to_blacklist(
                conn,
                account_id=last.account_id,
                destination=row.source,
                origin="stop",
                now_ms=row.received_at_ms,
                campaign_id=last.campaign_id,
                infos=contact_infos(conn, last.contact_id),
            )
            end_subscriptions(
                conn, account_id=last.account_id, mobile=row.source, now_ms=row.received_at_ms
            )
    return answered
