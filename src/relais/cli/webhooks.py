"""`relais webhook ...`: an account's webhooks with their events, replaying what failed, and
purging what was delivered long ago. Replays and purges are audited as the CLI user."""

from __future__ import annotations

from typing import Annotated

import typer

from relais.cli.common import cli_actor, run, say_if_none
from relais.services import accounts, webhook_outbox, webhooks
from relais.services.platform import Platform

webhook_app = typer.Typer(no_args_is_help=True, help="Webhooks and their event outbox.")


@webhook_app.command("list")
def webhook_list(email: Annotated[str, typer.Option(help="Account email")]) -> None:
    """One line per webhook: id, type, status, last HTTP code, events pending, delivered
    and failed, URL."""

    async def action(p: Platform) -> list[str]:
        account = await accounts.find_account(p, email=email)
        rows = await webhooks.list_webhooks(p, account_id=account.id)
        counts = await webhook_outbox.event_counts(p, webhook_ids=[row.id for row in rows])
        lines = []
        for row in rows:
            by_status = counts.get(row.id, {})
            lines.append(
                f"{row.id}\t{row.type}\t{row.status}\t{row.last_http_code or '-'}\t"
                f"pending={by_status.get('pending', 0)}\t"
                f"delivered={by_status.get('delivered', 0)}\t"
                f"failed={by_status.get('failed', 0)}\t{row.url}"
            )
        return lines

    lines = run(action)
    for line in lines:
        typer.echo(line)
    say_if_none(len(lines), "webhook")


@webhook_app.command("replay")
def webhook_replay(webhook_id: Annotated[int, typer.Argument(help="Webhook id")]) -> None:
    """Send the webhook's failed events again, from the first retry; prints how many."""
    replayed = run(
        lambda p: webhook_outbox.replay_failed(p, actor=cli_actor(), webhook_id=webhook_id)
    )
    typer.echo(f"replayed {replayed}")


@webhook_app.command("purge")
def webhook_purge(
    older_than_days: Annotated[
        int, typer.Option(min=0, help="Delete delivered and failed events older than this")
    ] = 30,
) -> None:
    """Delete delivered and failed events (and their attempts) older than N days; events
    still waiting are never deleted."""
    events, attempts = run(
        lambda p: webhook_outbox.purge_settled(
            p, actor=cli_actor(), older_than_days=older_than_days
        )
    )
    typer.echo(f"events {events}")
    typer.echo(f"attempts {attempts}")
