"""`relais retention ...`: an account's data retention, and a purge run on demand.

`show` and `set` print `FIELD VALUE` lines; `purge` prints `WHAT COUNT` lines and exits 1
when an account's purge failed. Whether an expired campaign is deleted or kept for billing
follows RELAIS_RETENTION_KEEP_BILLING."""

from __future__ import annotations

from typing import Annotated

import typer

from relais.cli.common import cli_actor, fail, run
from relais.services import accounts, retention
from relais.services.platform import Platform

retention_app = typer.Typer(no_args_is_help=True, help="Data retention and its purge.")

Span = Annotated[
    str | None, typer.Option(help='A number then d (days) or m (months), or "-1" for endless')
]


def _echo_settings(settings: dict[str, str]) -> None:
    for name, value in settings.items():
        typer.echo(f"{name} {value}")


@retention_app.command("show")
def retention_show(email: Annotated[str, typer.Option(help="Account email")]) -> None:
    """Print the account's retention settings (-1: kept forever)."""

    async def action(p: Platform) -> dict[str, str]:
        account = await accounts.find_account(p, email=email)
        return await retention.get_retention(p, account_id=account.id)

    _echo_settings(run(action))


@retention_app.command("set")
def retention_set(
    email: Annotated[str, typer.Option(help="Account email")],
    message: Span = None,
    list_: Annotated[
        str | None, typer.Option("--list", help="Lists: like --message (purged once lists exist)")
    ] = None,
    survey: Annotated[
        str | None, typer.Option(help="Surveys: stored and shown only (Relais has none)")
    ] = None,
    campaign: Span = None,
) -> None:
    """Change the given settings only (audited); print all four afterwards."""
    given = {"message": message, "list": list_, "survey": survey, "campaign": campaign}
    changes = {name: value for name, value in given.items() if value is not None}
    if not changes:
        raise fail("give at least one of --message, --list, --survey, --campaign")

    async def action(p: Platform) -> dict[str, str]:
        account = await accounts.find_account(p, email=email)
        return await retention.set_retention(
            p, account_id=account.id, changes=changes, actor=cli_actor()
        )

    _echo_settings(run(action))


@retention_app.command("purge")
def retention_purge() -> None:
    """Purge what every account's retention lets expire, now; print what went."""
    report = run(retention.purge_expired)
    for name, count in report.as_dict().items():
        typer.echo(f"{name} {count}")
    if report.failures:
        raise fail(f"the purge failed for {report.failures} account(s); see the log above")
