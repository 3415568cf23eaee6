"""Inbound SMS from carriers: stored with the account they answer; STOP blacklists."""

from __future__ import annotations

from collections.abc import Sequence

from relais.core.optout import DEFAULT_STOP_KEYWORDS, is_stop
from relais.services.platform import Platform
from relais.store import inbound as inbound_store


async def record_inbound(
    platform: Platform,
    *,
    messages: Sequence[tuple[str, str, str, str, int]],
    stop_keywords: tuple[str, ...] = DEFAULT_STOP_KEYWORDS,
) -> list[int | None]:
    """Store (connector, source, destination, text, received_at_ms) items; the owning
    account of each (None when no account ever wrote to that number)."""
    rows = [
        inbound_store.InboundRow(
            connector, source, destination, text, is_stop(text, stop_keywords), at
        )
        for connector, source, destination, text, at in messages
    ]
    return await platform.db.write(
        lambda conn: inbound_store.record_inbound(conn, rows), lane="delivery"
    )
