"""The webhooks a send's own callback URLs go through (SMSPartner `urlDlr`, `urlResponse`;
core.smspartner_callbacks): one hidden webhook per account, type, URL and signing key, found
or made in the send's transaction and named by its campaign, so the outbox delivers, signs and
retries their events as any webhook's. Only sends with a callback URL come here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, text, update

from relais.core.smspartner_callbacks import DLR_TYPE, RESPONSE_TYPE
from relais.store import webhooks as webhook_store
from relais.store.tables import campaigns, webhooks
from relais.store.tables.webhooks import CALLBACK_TYPES
from relais.store.webhooks import LIVE

# Written as the partial index ix_webhooks_callback_url is, so both backends use it.
_IS_CALLBACK = text(CALLBACK_TYPES)


def callback_webhook(
    conn: Connection, *, account_id: int, type: str, url: str, signature: str | None, now_ms: int
) -> int:
    """The account's hidden webhook of `type` for `url` and `signature`, made if there is
    none; a paused one (its endpoint answered 410) is live again: a send names it anew."""
    found = conn.execute(
        select(webhooks.c.id, webhooks.c.status)
        .where(
            _IS_CALLBACK,
            webhooks.c.account_id == account_id,
            webhooks.c.type == type,
            webhooks.c.url == url,
            webhooks.c.signature.is_(None)
            if signature is None
            else webhooks.c.signature == signature,
        )
        .order_by(webhooks.c.id)
        .limit(1)
    ).first()
    if found is None:
        return webhook_store.insert_webhook(
            conn, account_id=account_id, type=type, url=url, signature=signature, now_ms=now_ms
        )
    if found.status != LIVE:
        conn.execute(update(webhooks).where(webhooks.c.id == found.id).values(status=LIVE))
    return found.id


def campaign_callbacks(
    conn: Connection,
    *,
    account_id: int,
    dlr_url: str | None,
    reply_url: str | None,
    signature: str | None,
    now_ms: int,
) -> dict[str, int]:
    """The campaign columns naming the webhooks of a send's callback URLs."""
    columns = {}
    for column, kind, url in (
        ("dlr_webhook_id", DLR_TYPE, dlr_url),
        ("reply_webhook_id", RESPONSE_TYPE, reply_url),
    ):
        if url:
            columns[column] = callback_webhook(
                conn, account_id=account_id, type=kind, url=url, signature=signature, now_ms=now_ms
            )
    return columns


def reply_webhooks(conn: Connection, campaign_ids: Sequence[int]) -> dict[int, int]:
    """The live `urlResponse` webhook of each of these campaigns that has one."""
    if not campaign_ids:
        return {}
    rows = conn.execute(
        select(campaigns.c.id, campaigns.c.reply_webhook_id)
        .join(webhooks, webhooks.c.id == campaigns.c.reply_webhook_id)
        .where(campaigns.c.id.in_(set(campaign_ids)), webhooks.c.status == LIVE)
    )
    return {row.id: row.reply_webhook_id for row in rows}
