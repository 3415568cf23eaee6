"""`relais skycore show|set`: an account's Skycore settings (Enforce Campaign Check, the
postback URL). Both print `FIELD VALUE` lines, `show` then its postback webhooks; `set`
changes only what it is given and is audited as `cli:USER`."""

from __future__ import annotations

from typing import Annotated

import typer

from relais.cli.common import cli_actor, fail, run
from relais.services import accounts, skycore_settings, webhook_outbox
from relais.services.platform import Platform
from relais.services.skycore_settings import SkycoreSettings

skycore_app = typer.Typer(no_args_is_help=True, help="Skycore dialect settings of an account.")

Email = Annotated[str, typer.Option(help="Account email")]


def _echo(settings: SkycoreSettings) -> None:
    typer.echo(f"enforce_campaign_check {'on' if settings.enforce_campaign_check else 'off'}")
    typer.echo(f"postback_url {settings.postback_url or '-'}")


@skycore_app.command("show")
def skycore_show(email: Email) -> None:
    """Print the account's Skycore settings, then one line per postback webhook: its id
    (for `relais webhook replay`), type, status and its events by status."""

    async def action(p: Platform) -> tuple[SkycoreSettings, list[str]]:
        account = await accounts.find_account(p, email=email)
        found = await skycore_settings.get_settings(p, account_id=account.id)
        hooks = await skycore_settings.postback_webhooks(p, account_id=account.id)
        counts = await webhook_outbox.event_counts(p, webhook_ids=[h[0] for h in hooks])
        lines = []
        for webhook_id, kind, status in hooks:
            by_status = counts.get(webhook_id, {})
            lines.append(
                f"postback_webhook {webhook_id} {kind} {status} "
                f"pending={by_status.get('pending', 0)} "
                f"delivered={by_status.get('delivered', 0)} "
                f"failed={by_status.get('failed', 0)}"
            )
        return found, lines

    found, lines = run(action)
    _echo(found)
    for line in lines:
        typer.echo(line)


@skycore_app.command("set")
def skycore_set(
    email: Email,
    enforce_campaign_check: Annotated[
        bool | None,
        typer.Option(
            "--enforce-campaign-check/--no-enforce-campaign-check",
            help="sendsms needs a campaign-ref the recipient is subscribed to",
        ),
    ] = None,
    postback_url: Annotated[
        str | None, typer.Option(help='Where postbacks go; "" to stop them')
    ] = None,
) -> None:
    """Change the given settings only; print both afterwards."""
    if enforce_campaign_check is None and postback_url is None:
        raise fail("give --enforce-campaign-check, --no-enforce-campaign-check or --postback-url")

    async def action(p: Platform) -> SkycoreSettings:
        account = await accounts.find_account(p, email=email)
        return await skycore_settings.set_settings(
            p,
            actor=cli_actor(),
            account_id=account.id,
            enforce_campaign_check=enforce_campaign_check,
            postback_url=postback_url,
        )

    _echo(run(action))
