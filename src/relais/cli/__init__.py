"""`relais ...`: scriptable admin commands. Values go to stdout, errors to stderr, and a
failure exits non-zero."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from typing import Annotated

import typer

from relais.cli import connectors as connectors_cli
from relais.cli.common import fail, run
from relais.config import Settings
from relais.errors import RelaisError
from relais.services import accounts, credits, sub_accounts, tokens
from relais.services.platform import Platform
from relais.simulator.cli import add_simulator_command
from relais.store.migrate import upgrade

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Relais SMS platform.")
account_app = typer.Typer(no_args_is_help=True, help="Accounts.")
credits_app = typer.Typer(no_args_is_help=True, help="Credits.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
price_app = typer.Typer(no_args_is_help=True, help="Credits per SMS part by country.")
app.add_typer(account_app, name="account")
app.add_typer(credits_app, name="credits")
app.add_typer(token_app, name="token")
app.add_typer(price_app, name="price")
app.add_typer(connectors_cli.connector_app, name="connector")
app.add_typer(connectors_cli.route_app, name="route")
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


@account_app.command("create")
def account_create(
    email: Annotated[str, typer.Option(help="Login email")],
    password: Annotated[str, typer.Option(help="Password (6 to 128 characters)")],
    credits_: Annotated[int, typer.Option("--credits", help="Initial credits")] = 0,
    country: Annotated[str, typer.Option(help="Default country of national numbers")] = "FR",
) -> None:
    """Create an account; prints its id."""
    account_id = run(
        lambda p: accounts.create_account(
            p, email=email, password=password, country=country, credits=credits_
        )
    )
    typer.echo(account_id)


@credits_app.command("add")
def credits_add(
    email: Annotated[str, typer.Option(help="Account email")],
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to remove)")],
) -> None:
    """Add credits as a ledger row; prints the new balance."""
    typer.echo(run(lambda p: credits.add_credits(p, email=email, amount=amount, note="cli")))


@credits_app.command("transfer")
def credits_transfer(
    from_: Annotated[str, typer.Option("--from", help="Email of the account that gives")],
    to: Annotated[str, typer.Option("--to", help="Email of the account that receives")],
    amount: Annotated[int, typer.Argument(help="Credits to move")],
) -> None:
    """Move credits between an account and its own (limited) sub-account, either way, as
    two ledger rows; prints the new balances of the giver and the receiver."""
    given, received = run(
        lambda p: sub_accounts.transfer_between(p, from_email=from_, to_email=to, amount=amount)
    )
    typer.echo(f"{given} {received}")


@credits_app.command("show")
def credits_show(email: Annotated[str, typer.Option(help="Account email")]) -> None:
    """Print the balance."""

    async def action(p: Platform) -> int:
        account = await accounts.find_account(p, email=email)
        return await credits.balance(p, account_id=account.id)

    typer.echo(run(action))


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="Account email")],
    name: Annotated[str, typer.Option(help="A name to recognise the token by")] = "",
    ttl: Annotated[
        int | None, typer.Option(help="Lifetime in seconds (default: never expires)")
    ] = None,
    allowed_ip: Annotated[
        list[str] | None,
        typer.Option(help="An IP address or CIDR network the token may be used from (repeat)"),
    ] = None,
) -> None:
    """Create an API token; prints it alone (it is not stored in clear and cannot be shown
    again)."""

    async def action(p: Platform) -> str:
        account = await accounts.find_account(p, email=email)
        created = await tokens.create_token(
            p, account_id=account.id, name=name, ttl=ttl, allowed_ips=allowed_ip
        )
        return created.value

    typer.echo(run(action))


@price_app.command("set")
def price_set(
    country: Annotated[str, typer.Argument(help="ISO alpha-2 country, or * for all others")],
    credits_per_part: Annotated[int, typer.Argument(help="Credits per SMS part")],
) -> None:
    """Set the price of one SMS part to a country."""
    run(lambda p: credits.set_price(p, country=country, credits_per_part=credits_per_part))
    typer.echo("ok")


@price_app.command("remove")
def price_remove(country: Annotated[str, typer.Argument(help="ISO alpha-2 country, or *")]):
    """Remove a country's price (it falls back to *, then to 1)."""
    if not run(lambda p: credits.remove_price(p, country=country)):
        raise fail(f"no price for {country}")
    typer.echo("ok")


@price_app.command("list")
def price_list() -> None:
    """Print `COUNTRY CREDITS` lines."""
    table = run(credits.price_table)
    for country in sorted(table):
        typer.echo(f"{country} {table[country]}")


async def ensure_demo_account(platform: Platform) -> str:
    """Create the demo account once, then a fresh token each start (tokens show once)."""
    try:
        account = await accounts.find_account(platform, email=DEMO_EMAIL)
    except RelaisError:
        await accounts.create_account(
            platform, email=DEMO_EMAIL, password=secrets.token_urlsafe(12), credits=1000
        )
        account = await accounts.find_account(platform, email=DEMO_EMAIL)
    return (await tokens.create_token(platform, account_id=account.id, name="demo")).value


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Create a demo account and print a token")] = False,
) -> None:
    """Run the API, the dispatcher and the carrier simulator in one process."""
    settings = Settings.from_env()
    if demo:
        token = run(ensure_demo_account)
        base = f"http://{settings.host}:{settings.port}"
        typer.echo(
            f"Relais on {base} with database {settings.database_url}\n"
            f"Demo account {DEMO_EMAIL}, API token:\n\n  {token}\n\n"
            "Send your first SMS (delivered by the built-in carrier simulator):\n\n"
            f"  curl -H 'Accept: application/json' -H 'Authorization: Bearer {token}' \\\n"
            f"    '{base}/send?to=33612345678&text=Hello+from+Relais'\n\n"
            "Then see its delivery report:\n\n"
            f"  curl -H 'Accept: application/json' -H 'Authorization: Bearer {token}' "
            f"{base}/campaigns\n"
        )
    else:
        try:
            asyncio.run(upgrade(settings.database_url))
        except RelaisError as exc:
            raise fail(exc.detail) from None
    sys.stdout.flush()
    serve_http(settings)


def serve_http(settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    os.environ.setdefault("RELAIS_DATABASE_URL", settings.database_url)
    Granian(
        "relais.server:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        workers=1,
        log_access=False,
    ).serve()


def main() -> None:
    app()
