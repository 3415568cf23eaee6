"""The messages table as the outbound queue: what a connector's worker claims to send.

Claims are leases: a worker that dies mid-batch leaves rows in `sending` whose
`claimed_until` passes, and the next claim takes them again. Each message carries the
connector the router chose; only that connector's owner claims it. On PostgreSQL the claim
skips rows another worker has locked, and returns its messages' campaign columns in the same
statement (a round trip less); on SQLite the single writer already serialises claims.

What comes back (submits, receipts, expiry) is store.outbound."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, bindparam, literal_column, or_, select, update

from relais.core.connector import OutboundMessage
from relais.core.short_links import ShortLinks
from relais.core.status import MessageStatus
from relais.store.json_rows import as_json_rows, json_rows
from relais.store.precompiled import Precompiled
from relais.store.short_links import link_count
from relais.store.tables import campaigns, messages

_QUEUED = MessageStatus.QUEUED.value
_SENDING = MessageStatus.SENDING.value

_DUE = (
    select(messages.c.id)
    .where(
        messages.c.connector == bindparam("connector"),
        # Literals, not parameters: the planner must see that the partial queue index
        # (status IN ('queued', 'sending')) covers this query.
        messages.c.status.in_([literal_column(f"'{_QUEUED}'"), literal_column(f"'{_SENDING}'")]),
        messages.c.due_at <= bindparam("now"),
        or_(messages.c.status == _QUEUED, messages.c.claimed_until < bindparam("now")),
    )
    .order_by(messages.c.due_at, messages.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIMED_COLUMNS = (
    messages.c.id,
    messages.c.campaign_id,
    messages.c.account_id,
    messages.c.destination,
    messages.c.text,
    messages.c.parts,
    messages.c.gsmsmsid,
    messages.c.attempts,
)
_CAMPAIGN_COLUMNS = (campaigns.c.text, campaigns.c.sender, campaigns.c.encoding, campaigns.c.links)


def _claim(*, with_campaigns: bool) -> Precompiled:
    """The claim; `with_campaigns` (PostgreSQL), with what the messages' campaigns give them
    (UPDATE ... FROM campaigns), in the same statement."""
    claim = update(messages).where(messages.c.id.in_(_DUE.scalar_subquery()))
    columns: tuple[ColumnElement[Any], ...] = _CLAIMED_COLUMNS
    if with_campaigns:
        claim = claim.where(campaigns.c.id == messages.c.campaign_id)
        columns += _CAMPAIGN_COLUMNS
    return Precompiled(
        claim.values(
            status=_SENDING,
            claimed_until=bindparam("until"),
            attempts=messages.c.attempts + 1,
        ).returning(*columns)
    )


_CLAIM = _claim(with_campaigns=False)
_CLAIM_WITH_CAMPAIGNS = _claim(with_campaigns=True)
# SQLite (its RETURNING names only the updated table): the claimed messages' campaigns, the
# ids as one JSON text (store.json_rows).
_CAMPAIGN_IDS = json_rows("rows", "id")
_CLAIMED_CAMPAIGNS = Precompiled(
    select(campaigns.c.id, *_CAMPAIGN_COLUMNS).where(campaigns.c.id.in_(select(_CAMPAIGN_IDS.c.id)))
)


class _Campaign(NamedTuple):
    text: str
    sender: str | None
    encoding: str
    links: str | None


class _Claimed(NamedTuple):
    id: int
    campaign_id: int
    account_id: int
    destination: str
    text: str | None
    parts: int
    gsmsmsid: str | None
    attempts: int


def claim_due(
    conn: Connection,
    *,
    connector: str,
    now_ms: int,
    limit: int,
    lease_ms: int,
    short_links: ShortLinks | None = None,
) -> list[OutboundMessage]:
    """Lease up to `limit` due messages routed to `connector`, with their texts as they go
    out (tracked links put in by `short_links`)."""
    params = {"connector": connector, "now": now_ms, "limit": limit, "until": now_ms + lease_ms}
    by_campaign: dict[int, _Campaign] = {}
    if conn.dialect.name == "postgresql":
        claimed = []
        for row in _CLAIM_WITH_CAMPAIGNS.rows(conn, params):
            claimed.append(_Claimed(*row[:8]))
            by_campaign[row[1]] = _Campaign(*row[8:])
    else:
        claimed = [_Claimed(*row) for row in _CLAIM.rows(conn, params)]
        if claimed:
            ids = as_json_rows((campaign_id,) for campaign_id in {r.campaign_id for r in claimed})
            by_campaign = {
                row[0]: _Campaign(*row[1:]) for row in _CLAIMED_CAMPAIGNS.rows(conn, {"rows": ids})
            }
    if not claimed:
        return []
    link_counts = {cid: link_count(c.links) for cid, c in by_campaign.items() if c.links}
    if link_counts and short_links is None:
        raise ValueError("claiming messages with tracked links needs the instance's short links")
    batch = []
    for row in sorted(claimed, key=lambda r: r.id):
        campaign = by_campaign[row.campaign_id]
        text = row.text if row.text is not None else campaign.text
        links = link_counts.get(row.campaign_id)
        if links and short_links is not None:
            text = short_links.render(text, row.id, links)
        batch.append(
            OutboundMessage(
                id=row.id,
                campaign_id=row.campaign_id,
                account_id=row.account_id,
                destination=row.destination,
                text=text,
                sender=campaign.sender,
                encoding=campaign.encoding,
                parts=row.parts,
                gsmsmsid=row.gsmsmsid,
                attempts=row.attempts,
            )
        )
    return batch
