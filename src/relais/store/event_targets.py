"""Who hears of a change: the live webhooks of an account for an event type, and, for the
status changes of outbound messages, what their DLR events name (read in the change's own
transaction, before the update, so the change seen is the change made)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    literal_column,
    null,
    or_,
    select,
)

from relais.core.events import EventType
from relais.core.skycore_postbacks import MT_TYPE as POSTBACK_MT
from relais.core.status import PREDECESSORS, MessageStatus
from relais.store.json_rows import as_json_rows, json_rows
from relais.store.precompiled import Precompiled
from relais.store.tables import campaigns, messages, webhooks
from relais.store.webhooks import LIVE

# A send's `urlDlr` webhook, reached through its campaign (store.send_callbacks).
_callback = campaigns.alias("callback_campaign")
_callback_hook = webhooks.alias("callback_webhook")


@dataclass(frozen=True, slots=True)
class DlrTarget:
    """What a DLR event of one message names, and the live DLR webhooks it goes to."""

    account_id: int
    destination: str
    country: str | None
    gsmsmsid: str | None
    campaign_id: int
    webhook_ids: tuple[int, ...]
    # The account's postback URL (Skycore MT postbacks, core.skycore_postbacks), if live.
    postback_ids: tuple[int, ...] = ()
    # The campaign's live `urlDlr` webhook (core.smspartner_callbacks), and the message's
    # cost in credits, which its report names.
    callback_id: int | None = None
    cost: int = 0


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A message that reached a final status in this transaction, and whom to tell."""

    message_id: int
    status: str
    done_at: int
    target: DlrTarget


def _watched_query(selected: ColumnElement[bool], *, dlr: bool, postgres: bool) -> Select:
    """The current status and DLR target of the `selected` messages whose account has a live
    DLR webhook or postback URL (only the latter when not `dlr`), or, with `dlr`, whose
    campaign has a live `urlDlr` webhook; locked on PostgreSQL until commit so the change
    seen is the change made. Nothing for accounts without one: this costs one probe of the
    (small) webhooks table and a look in the partial index of campaigns with a `urlDlr`
    (hashed once per batch by PostgreSQL), which holds no other campaign: no campaigns row
    is read for a message without one (docs/smspartner.md, "Callbacks")."""
    # Literals: the statement is compiled once (store.precompiled), without expanding lists.
    types = [EventType.DLR.value, POSTBACK_MT] if dlr else [POSTBACK_MT]
    account_hooks = and_(
        webhooks.c.account_id == messages.c.account_id,
        webhooks.c.type.in_([literal_column(f"'{kind}'") for kind in types]),
        webhooks.c.status == LIVE,
    )
    columns = (
        messages.c.id,
        messages.c.status,
        messages.c.account_id,
        messages.c.destination,
        messages.c.country,
        messages.c.gsmsmsid,
        messages.c.campaign_id,
        messages.c.cost,
        webhooks.c.id.label("webhook_id"),
        webhooks.c.type.label("webhook_type"),
    )
    if dlr:
        query = (
            select(*columns, _callback_hook.c.id.label("callback_id"))
            .select_from(
                messages.outerjoin(webhooks, account_hooks)
                .outerjoin(
                    _callback,
                    and_(
                        _callback.c.id == messages.c.campaign_id,
                        _callback.c.dlr_webhook_id.is_not(None),
                    ),
                )
                .outerjoin(
                    _callback_hook,
                    and_(
                        _callback_hook.c.id == _callback.c.dlr_webhook_id,
                        _callback_hook.c.status == LIVE,
                    ),
                )
            )
            .where(selected, or_(webhooks.c.id.is_not(None), _callback_hook.c.id.is_not(None)))
        )
    else:
        query = (
            select(*columns, null().label("callback_id"))
            .select_from(messages.join(webhooks, account_hooks))
            .where(selected)
        )
    query = query.order_by(messages.c.id, webhooks.c.id)
    return query.with_for_update(of=messages) if postgres else query


def _targets(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[str, DlrTarget]]:
    """The rows of a `_watched_query`, by message: its status and DLR target."""
    found: dict[int, tuple[str, DlrTarget]] = {}
    for (
        message_id,
        status,
        account_id,
        destination,
        country,
        gsmsmsid,
        campaign_id,
        cost,
        webhook_id,
        webhook_type,
        callback_id,
    ) in rows:
        known = found.get(message_id)
        hooks = known[1].webhook_ids if known else ()
        postbacks = known[1].postback_ids if known else ()
        if webhook_id is None:
            pass
        elif webhook_type == POSTBACK_MT:
            postbacks = (*postbacks, webhook_id)
        else:
            hooks = (*hooks, webhook_id)
        target = DlrTarget(
            account_id,
            destination,
            country,
            gsmsmsid,
            campaign_id,
            hooks,
            postbacks,
            callback_id,
            cost,
        )
        found[message_id] = (status, target)
    return found


# The moves of a batch, by message id: SQLite reads the ids from one JSON text, compiled
# once; PostgreSQL from an IN list planned with the table's current size (docs/decisions.md).
_MOVED_IDS = json_rows("rows", "id")
_MOVES_SQLITE = {
    dlr: Precompiled(
        _watched_query(messages.c.id.in_(select(_MOVED_IDS.c.id)), dlr=dlr, postgres=False)
    )
    for dlr in (True, False)
}
_MOVES_PG = {
    dlr: _watched_query(messages.c.id.in_(bindparam("ids", expanding=True)), dlr=dlr, postgres=True)
    for dlr in (True, False)
}


def moves_to_report(
    conn: Connection,
    status: MessageStatus,
    rows: Sequence[tuple[int, int, str | None]],
    *,
    dlr: bool = True,
) -> list[StatusChange]:
    """Of (message id, done at, error) rows about to move to `status`, those a DLR webhook
    (unless not `dlr`) or a postback URL must hear of (watched, and in a state `status` may
    follow), with what the event names. Read before the update, in one statement."""
    if not rows:
        return []
    ids = [message_id for message_id, _, _ in rows]
    if conn.dialect.name == "postgresql":
        watched = _targets(conn.execute(_MOVES_PG[dlr], {"ids": ids}))
    else:
        watched = _targets(_MOVES_SQLITE[dlr].rows(conn, {"rows": as_json_rows((i,) for i in ids)}))
    allowed = {s.value for s in PREDECESSORS[status]}
    changes = []
    for message_id, done, _ in rows:
        current = watched.get(message_id)
        if current is not None and current[0] in allowed:
            changes.append(StatusChange(message_id, status.value, done, current[1]))
    return changes


def expiries_to_report(
    conn: Connection, overdue: ColumnElement[bool], *, now_ms: int
) -> list[StatusChange]:
    """The `overdue` messages about to expire that a DLR webhook must hear of: selected by
    the sweep's own condition, not by a list of ids (an outage can leave very many)."""
    return [
        StatusChange(message_id, MessageStatus.EXPIRED.value, now_ms, target)
        for message_id, (_, target) in _targets(
            conn.execute(
                _watched_query(overdue, dlr=True, postgres=conn.dialect.name == "postgresql")
            )
        ).items()
    ]


def campaign_senders(conn: Connection, campaign_ids: Sequence[int]) -> dict[int, str | None]:
    """The sender of each campaign (what an MT postback names as `from`)."""
    if not campaign_ids:
        return {}
    rows = conn.execute(
        select(campaigns.c.id, campaigns.c.sender).where(campaigns.c.id.in_(set(campaign_ids)))
    )
    return {row.id: row.sender for row in rows}


def live_webhooks(
    conn: Connection, *, wanted: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], list[int]]:
    """The live webhooks of each (account, event type) in `wanted`."""
    accounts = {account_id for account_id, _ in wanted}
    if not accounts:
        return {}
    types = {kind for _, kind in wanted}
    found: dict[tuple[int, str], list[int]] = {}
    for row in conn.execute(
        select(webhooks.c.id, webhooks.c.account_id, webhooks.c.type)
        .where(
            webhooks.c.account_id.in_(accounts),
            webhooks.c.type.in_(types),
            webhooks.c.status == LIVE,
        )
        .order_by(webhooks.c.id)
    ):
        found.setdefault((row.account_id, row.type), []).append(row.id)
    return found
