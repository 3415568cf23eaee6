"""Credits spent on messages, per account and destination country, over a time window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from relais.core.status import MessageStatus
from relais.store.tables import campaigns, messages


def consumption_by_country(
    conn: Connection,
    *,
    account_ids: Sequence[int],
    start_ms: int,
    end_ms: int,
    countries: Sequence[str] | None = None,
) -> dict[int, dict[str, int]]:
    """{account_id: {country: credits}} for the messages of campaigns whose send time is in
    [start_ms, end_ms); cancelled messages (refunded) do not count. Accounts and countries
    without spending are absent."""
    if not account_ids:
        return {}
    spent = func.sum(messages.c.cost)
    query = (
        select(messages.c.account_id, messages.c.country, spent)
        .select_from(messages.join(campaigns, campaigns.c.id == messages.c.campaign_id))
        .where(
            campaigns.c.account_id.in_(list(account_ids)),
            messages.c.account_id.in_(list(account_ids)),
            campaigns.c.send_at >= start_ms,
            campaigns.c.send_at < end_ms,
            messages.c.status != MessageStatus.CANCELLED.value,
        )
        .group_by(messages.c.account_id, messages.c.country)
    )
    if countries is not None:
        query = query.where(messages.c.country.in_(list(countries)))
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for account_id, country, credits in conn.execute(query):
        if credits:
            result[account_id][country] = int(credits)
    return dict(result)
