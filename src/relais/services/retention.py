"""Data retention: each account says how long its message texts, lists and campaigns are
kept (SMSFactor GET/PUT /retention), and a background purge erases or deletes what expired.

A value is "<n>d" (days) or "<n>m" (calendar months, Europe/Paris), or "-1" for endless;
an account without settings keeps everything. The purge never touches the credit ledger,
so balance == sum(ledger) holds through it. docs/retention.md has the whole policy."""

from __future__ import annotations

import asyncio
import calendar
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from relais.core.errors import InvalidField, MissingField, RelaisError
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import retention as store
from relais.store.retention import ENDLESS, FIELDS, Batch, RetentionRow

log = logging.getLogger("relais.retention")

MAX_DAYS = 3660  # ten years: a longer span is a typo; endless is spelled -1
MAX_MONTHS = 120
# One purge transaction touches at most this many campaigns and (one campaign aside) this
# many messages: about 20 ms on SQLite, 100 ms on PostgreSQL (docs/retention.md), so sends
# queued behind a batch wait little, and they go before the next batch.
CAMPAIGN_BATCH = 500
MESSAGE_BATCH = 5000
INBOUND_BATCH = 5000

_SPAN = re.compile(r"([0-9]{1,6})([dm])")


def normalize(field: str, raw: object) -> str:
    """`raw` as stored: "2d", "5m" or "-1" (the JSON number -1 is accepted too)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw == -1:
        return ENDLESS
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text == ENDLESS:
        return ENDLESS
    match = _SPAN.fullmatch(text or "")
    if match:
        count, unit = int(match[1]), match[2]
        if 0 < count <= (MAX_DAYS if unit == "d" else MAX_MONTHS):
            return f"{count}{unit}"
    raise InvalidField(
        f"{field}: {raw!r} is not a retention; put a number then d for days or m for months "
        f"(1d to {MAX_DAYS}d, 1m to {MAX_MONTHS}m), or -1 for endless"
    )


def cutoff(value: str, now: datetime) -> datetime | None:
    """The instant before which data kept for `value` has expired; None when endless.
    Days and months are counted on the Paris calendar, so 1m on 31 March is 28/29 Feb."""
    if value == ENDLESS:
        return None
    count, unit = int(value[:-1]), value[-1]
    local = now.astimezone(PARIS)
    if unit == "d":
        return local - timedelta(days=count)
    year, month = divmod(local.year * 12 + local.month - 1 - count, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def _endless() -> dict[str, str]:
    return dict.fromkeys(FIELDS, ENDLESS)


async def get_retention(platform: Platform, *, account_id: int) -> dict[str, str]:
    """The account's four settings; endless for those never set."""
    stored = await platform.db.read(lambda conn: store.get_settings(conn, account_id))
    return stored or _endless()


async def set_retention(
    platform: Platform,
    *,
    account_id: int,
    changes: Mapping[str, object],
    actor: str | None = None,
) -> dict[str, str]:
    """Change the given settings only; all four afterwards. Every value is checked before
    anything is stored. An operator's change (`actor`) is audited in the same transaction."""
    if not changes:
        raise MissingField(f"Give at least one of {', '.join(FIELDS)}")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidField(f"Unknown retention fields: {', '.join(unknown)}")
    values = {name: normalize(name, raw) for name, raw in changes.items()}

    def change(conn, now_ms: int) -> dict[str, str]:
        return store.put_settings(conn, account_id=account_id, changes=values, now_ms=now_ms)

    if actor is None:
        now_ms = to_ms(platform.clock())
        return await platform.db.write(lambda conn: change(conn, now_ms))
    return await operator_write(
        platform,
        change,
        actor=actor,
        action="retention.set",
        account_id=account_id,
        details=values,
    )


# --- the purge ------------------------------------------------------------------------------


@dataclass(slots=True)
class PurgeReport:
    """What one purge run did, summed over accounts."""

    accounts: int = 0  # accounts with something that can expire
    campaign_texts: int = 0  # campaigns whose texts were erased (rows kept)
    inbound_texts: int = 0  # replies and STOPs whose text was erased
    campaigns_deleted: int = 0
    messages_deleted: int = 0
    lists: int = 0  # lists deleted with their contacts
    failures: int = 0  # accounts whose purge failed (logged); the next run tries again

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def purged_anything(self) -> bool:
        return any(
            value for name, value in self.as_dict().items() if name not in ("accounts", "failures")
        )


async def _drain(platform: Platform, work) -> Batch:
    """Run a batch-sized unit of work until it reports nothing more; the summed batches."""
    total = Batch()
    while True:
        batch: Batch = await platform.db.write(work, lane="default")
        total = Batch(total.campaigns + batch.campaigns, total.messages + batch.messages)
        if not batch.more:
            return total


def _later(*instants: datetime | None) -> datetime | None:
    """The most recent cutoff (the shortest retention) among those that are not endless."""
    known = [i for i in instants if i is not None]
    return max(known) if known else None


async def purge_lists(platform: Platform, *, account_id: int, before: datetime) -> int:
    """Delete the account's lists not used since `before` (created before it, no contact
    added and no campaign created for them since), with their contacts, at most 5,000
    contacts per transaction; how many lists went. docs/lists.md, "Retention"."""
    from relais.store import lists as list_store  # here, so the hook stays one function

    before_ms = to_ms(before)
    purged = 0
    while True:
        lists_gone, _, more = await platform.db.write(
            lambda conn: list_store.purge_expired_batch(
                conn, account_id=account_id, before_ms=before_ms, limit=MESSAGE_BATCH
            ),
            lane="default",
        )
        purged += lists_gone
        if not more:
            return purged


async def _purge_account(
    platform: Platform, row: RetentionRow, now: datetime, report: PurgeReport
) -> None:
    now_ms = to_ms(now)
    message_cut = cutoff(row.message, now)
    campaign_cut = cutoff(row.campaign, now)
    keep_billing = platform.settings.retention_keep_billing
    if campaign_cut is not None and not keep_billing:
        before_ms = to_ms(campaign_cut)
        deleted = await _drain(
            platform,
            lambda conn: store.delete_campaigns(
                conn,
                account_id=row.account_id,
                before_ms=before_ms,
                limit=CAMPAIGN_BATCH,
                max_messages=MESSAGE_BATCH,
            ),
        )
        report.campaigns_deleted += deleted.campaigns
        report.messages_deleted += deleted.messages
    # Kept for billing, an expired campaign loses its texts like an expired message does.
    text_cut = _later(message_cut, campaign_cut if keep_billing else None)
    if text_cut is not None:
        before_ms = to_ms(text_cut)
        erased = await _drain(
            platform,
            lambda conn: store.erase_campaign_texts(
                conn,
                account_id=row.account_id,
                before_ms=before_ms,
                now_ms=now_ms,
                limit=CAMPAIGN_BATCH,
                max_messages=MESSAGE_BATCH,
            ),
        )
        report.campaign_texts += erased.campaigns
    if message_cut is not None:
        before_ms = to_ms(message_cut)
        inbound = await _drain(
            platform,
            lambda conn: store.erase_inbound_texts(
                conn, account_id=row.account_id, before_ms=before_ms, limit=INBOUND_BATCH
            ),
        )
        report.inbound_texts += inbound.messages
    list_cut = cutoff(row.list, now)
    if list_cut is not None:
        report.lists += await purge_lists(platform, account_id=row.account_id, before=list_cut)


async def purge_expired(platform: Platform, *, now: datetime | None = None) -> PurgeReport:
    """Erase or delete, for every account, what its retention settings let expire by `now`
    (default: the platform clock), in bounded transactions."""
    now = now or platform.clock()
    report = PurgeReport()
    for row in await platform.db.read(store.finite_settings):
        report.accounts += 1
        try:
            await _purge_account(platform, row, now, report)
        except RelaisError:
            # One account's failure (a row another table still refers to, say) must not
            # stop the others; what its finished batches did is counted already.
            log.exception("retention purge of account %s failed", row.account_id)
            report.failures += 1
    return report


async def purge_loop(platform: Platform, interval_s: float) -> None:
    """Purge now, then every `interval_s` seconds, until cancelled; a failed run is logged
    and the next one tries again (every batch is idempotent)."""
    while True:
        try:
            report = await purge_expired(platform)
        except Exception:
            log.exception("retention purge failed; trying again in %.0fs", interval_s)
        else:
            if report.purged_anything or report.failures:
                log.info("retention purge: %s", report.as_dict())
        await asyncio.sleep(interval_s)
