"""`relais ...`: scriptable admin commands. Values go to stdout, errors to stderr, and a
failure exits non-zero."""

from __future__ import annotations

import asyncio
import secrets

import typer

from relais.cli import accounts as accounts_cli
from relais.cli import connectors as connectors_cli
from relais.cli import operator as operator_cli
from relais.cli.common import cli_actor, fail
from relais.cli.lists import list_app
from relais.cli.retention import retention_app
from relais.cli.skycore import skycore_app
from relais.cli.webhooks import webhook_app
from relais.config import Settings
from relais.core.errors import RelaisError
from relais.services import accounts, tokens
from relais.services.platform import Platform
from relais.smsc_simulator.cli import add_simulator_command
from relais.store.migrate import upgrade

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Relais SMS platform.")
app.add_typer(accounts_cli.account_app, name="account")
app.add_typer(accounts_cli.credits_app, name="credits")
app.add_typer(accounts_cli.token_app, name="token")
app.add_typer(accounts_cli.price_app, name="price")
app.add_typer(operator_cli.moderation_app, name="moderation")
app.add_typer(operator_cli.audit_app, name="audit")
app.add_typer(operator_cli.operator_app, name="operator")
app.add_typer(connectors_cli.connector_app, name="connector")
app.add_typer(connectors_cli.route_app, name="route")
app.add_typer(retention_app, name="retention")
app.add_typer(list_app, name="list")
app.add_typer(webhook_app, name="webhook")
app.add_typer(skycore_app, name="skycore")
add_simulator_command(app)

DEMO_EMAIL = "demo@relais.local"


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = Settings.from_env()
    try:
        asyncio.run(upgrade(settings.database_url))
    except RelaisError as exc:
        raise fail(exc.detail) from None
    typer.echo("ok")


async def ensure_demo_account(platform: Platform) -> str:
    """Create the demo account once, then a fresh token each start (tokens show once)."""
    try:
        account = await accounts.find_account(platform, email=DEMO_EMAIL)
    except RelaisError:
        await accounts.create_account(
            platform,
            actor=cli_actor(),
            email=DEMO_EMAIL,
            password=secrets.token_urlsafe(12),
            credits=1000,
        )
        account = await accounts.find_account(platform, email=DEMO_EMAIL)
    return (await tokens.create_token(platform, account_id=account.id, name="demo")).value
