"""What each process has done, for the operator's metrics wherever they are scraped.

The process that delivers counts receipts, inbound messages and webhook events in memory;
it writes those figures to the database every few seconds, so `/metrics` served by an API
process (another process, maybe another machine) shows them too."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from relais.core.connector import ConnectorStatus
from relais.core.instant import to_ms
from relais.services.platform import Platform
from relais.store import process_reports

# A process whose last report is older than this is taken for gone (its figures vanish).
SILENT_AFTER_MS = 30_000


@dataclass(slots=True)
class ProcessFigures:
    connectors: list[ConnectorStatus] = field(default_factory=list)
    receipts_applied: int = 0
    receipts_unmatched: int = 0
    inbound_stored: int = 0
    webhook_events_delivered: int = 0
    webhook_attempts_failed: int = 0
    webhook_events_pending: int = 0
    webhook_oldest_pending_seconds: float = 0.0
    delivers: bool = False
    sends_webhooks: bool = False
    # The database writer's figures (store.sqlite_database, store.postgres_database): each
    # `db_<name>` is the database's `<name>`, its default where the backend keeps none.
    db_groups_committed: int = 0
    db_works_committed: int = 0
    db_write_seconds: float = 0.0
    db_turn_wait_seconds: float = 0.0
    db_syncs: int = 0
    db_sync_seconds: float = 0.0

    @property
    def role(self) -> str:
        """What the process is there for, as the metrics label it."""
        return "delivery" if self.delivers else "api"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ProcessFigures:
        known = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        known["connectors"] = [ConnectorStatus(**c) for c in raw.get("connectors", [])]
        return cls(**known)


_DB_FIGURES = [figure for figure in fields(ProcessFigures) if figure.name.startswith("db_")]


def own_figures(platform: Platform) -> ProcessFigures:
    figures = ProcessFigures()
    for figure in _DB_FIGURES:
        setattr(figures, figure.name, getattr(platform.db, figure.name[3:], figure.default))
    dispatcher = platform.dispatcher
    if dispatcher is not None:
        figures.delivers = True
        figures.connectors = dispatcher.statuses()
        figures.receipts_applied = dispatcher.receipts_applied
        figures.receipts_unmatched = dispatcher.receipts_unmatched
        figures.inbound_stored = dispatcher.inbound_stored
    sender = platform.webhooks
    if sender is not None:
        figures.sends_webhooks = True
        figures.webhook_events_delivered = sender.delivered
        figures.webhook_attempts_failed = sender.failed_attempts
        figures.webhook_events_pending = sender.pending
        figures.webhook_oldest_pending_seconds = sender.oldest_pending_age_s
    return figures


async def publish(platform: Platform) -> None:
    """Write this process's figures (and forget the processes gone silent long ago)."""
    now_ms = to_ms(platform.clock())
    report = own_figures(platform).as_json()

    def save(conn: Any) -> None:
        process_reports.save(conn, owner=platform.owner, now_ms=now_ms, report=report)
        process_reports.forget(conn, before_ms=now_ms - 100 * SILENT_AFTER_MS)

    await platform.db.write(save, lane="delivery")


async def withdraw(platform: Platform) -> None:
    """This process stops: its figures are no longer anyone's."""
    await platform.db.write(
        lambda conn: process_reports.forget(conn, owner=platform.owner), lane="delivery"
    )


async def everyone(platform: Platform) -> list[ProcessFigures]:
    """This process's live figures, then the last report of each other live process."""
    since_ms = to_ms(platform.clock()) - SILENT_AFTER_MS
    others = await platform.db.read(
        lambda conn: process_reports.recent(conn, since_ms=since_ms, excluding=platform.owner)
    )
    return [own_figures(platform), *(ProcessFigures.from_json(raw) for raw in others)]
