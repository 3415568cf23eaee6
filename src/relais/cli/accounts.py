"""`relais account|credits|token|price ...`: the operator's controls over customer accounts.

Every command that changes something is written to the audit log as `cli:USER`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from relais.cli.common import cli_actor, fail, run
from relais.services import (
    account_policy,
    accounts,
    credits,
    operator_accounts,
    sub_accounts,
    suspension,
    tokens,
)
from relais.services.platform import Platform

account_app = typer.Typer(no_args_is_help=True, help="Accounts.")
credits_app = typer.Typer(no_args_is_help=True, help="Credits.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
price_app = typer.Typer(no_args_is_help=True, help="Credits per SMS part by country.")

Email = Annotated[str, typer.Option(help="Account email")]


async def _account_id(platform: Platform, email: str) -> int:
    return (await accounts.find_account(platform, email=email)).id


@account_app.command("create")
def account_create(
    email: Annotated[str, typer.Option(help="Login email")],
    password: Annotated[str, typer.Option(help="Password (6 to 128 characters)")],
    credits_: Annotated[int, typer.Option("--credits", help="Initial credits")] = 0,
    country: Annotated[str, typer.Option(help="Default country of national numbers")] = "FR",
    company: Annotated[str, typer.Option(help="Company name")] = "",
    parent: Annotated[
        str | None, typer.Option(help="Email of the main account this is a sub-account of")
    ] = None,
    unlimited: Annotated[
        bool, typer.Option(help="A sub-account that spends its parent's credits")
    ] = False,
) -> None:
    """Create a main account, or with --parent a sub-account (it gets credits with
    `relais credits transfer`, or spends its parent's with --unlimited); prints its id."""
    if parent is None:
        account_id = run(
            lambda p: accounts.create_account(
                p,
                actor=cli_actor(),
                email=email,
                password=password,
                country=country,
                credits=credits_,
                company=company,
            )
        )
    else:
        if credits_:
            raise fail("a sub-account gets its credits with `relais credits transfer`")

        async def open_sub_account(p: Platform) -> int:
            return await sub_accounts.open_account(
                p,
                caller=await accounts.find_account(p, email=parent),
                email=email,
                password=password,
                country_code=country,
                child=True,
                unlimited=unlimited,
                profile={"company": company} if company else None,
            )

        account_id = run(open_sub_account)
    typer.echo(account_id)


def _account_line(account: dict) -> str:
    state = "suspended" if account["suspended"] else "active"
    parent = f" parent={account['parent_id']}" if account["parent_id"] is not None else ""
    return f"{account['id']} {account['email']} {state} balance={account['balance']}{parent}"


@account_app.command("list")
def account_list(
    email: Annotated[str | None, typer.Option(help="Only emails containing this")] = None,
    suspended: Annotated[
        bool | None, typer.Option("--suspended/--active", help="Only suspended / active")
    ] = None,
) -> None:
    """Print `ID EMAIL STATE balance=N [parent=ID]` lines, every account in id order."""

    async def action(p: Platform) -> None:
        after = 0
        while True:
            page = await operator_accounts.list_accounts(
                p, after_id=after, limit=1000, email=email, suspended=suspended
            )
            for account in page:
                typer.echo(_account_line(account))
            if len(page) < 1000:
                return
            after = page[-1]["id"]

    run(action)


@account_app.command("show")
def account_show(email: Email) -> None:
    """Print the account, its state and its sending policy as JSON."""

    async def action(p: Platform) -> dict:
        return await operator_accounts.describe_account(p, await _account_id(p, email))

    typer.echo(json.dumps(run(action), indent=2, sort_keys=True))


@account_app.command("suspend")
def account_suspend(
    email: Email,
    reason: Annotated[str, typer.Option(help="Shown to the account's API calls")] = "",
) -> None:
    """Suspend an account (and its sub-accounts): every request is refused and waiting
    messages are held. Prints how many messages were held."""

    async def action(p: Platform) -> int:
        account_id = await _account_id(p, email)
        return await suspension.suspend(p, actor=cli_actor(), account_id=account_id, reason=reason)

    typer.echo(f"held={run(action)}")


@account_app.command("unlock")
def account_unlock(email: Email) -> None:
    """Lift a suspension; held messages go back to the queue. Prints how many."""

    async def action(p: Platform) -> int:
        account_id = await _account_id(p, email)
        return await suspension.unlock(p, actor=cli_actor(), account_id=account_id)

    typer.echo(f"released={run(action)}")


@account_app.command("countries")
def account_countries(
    email: Email,
    countries: Annotated[
        list[str] | None, typer.Argument(help="ISO alpha-2 codes; none for every country")
    ] = None,
) -> None:
    """Set the countries an account may send to (no argument: every country)."""

    async def action(p: Platform) -> None:
        account_id = await _account_id(p, email)
        await account_policy.set_allowed_countries(
            p, actor=cli_actor(), account_id=account_id, countries=countries or None
        )

    run(action)
    typer.echo("ok")


@account_app.command("cap")
def account_cap(
    email: Email,
    country: Annotated[str, typer.Argument(help="ISO alpha-2 country")],
    monthly_limit: Annotated[
        int | None, typer.Argument(help="Messages per calendar month; omit to remove the cap")
    ] = None,
) -> None:
    """Set or remove an account's monthly cap of messages to one country."""

    async def action(p: Platform) -> None:
        account_id = await _account_id(p, email)
        await account_policy.set_country_cap(
            p,
            actor=cli_actor(),
            account_id=account_id,
            country=country,
            monthly_limit=monthly_limit,
        )

    run(action)
    typer.echo("ok")


@account_app.command("sender")
def account_sender(
    email: Email,
    sender: Annotated[str | None, typer.Argument(help="Default sender; omit to clear")] = None,
) -> None:
    """Set the sender used when a send names none."""

    async def action(p: Platform) -> None:
        account_id = await _account_id(p, email)
        await account_policy.set_default_sender(
            p, actor=cli_actor(), account_id=account_id, sender=sender
        )

    run(action)
    typer.echo("ok")


@credits_app.command("add")
def credits_add(
    email: Email,
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to remove)")],
    note: Annotated[str, typer.Option(help="Why, for the ledger and the audit log")] = "cli",
) -> None:
    """Add credits as a ledger row; prints the new balance."""

    async def action(p: Platform) -> int:
        account_id = await _account_id(p, email)
        return await credits.add_credits(
            p, actor=cli_actor(), account_id=account_id, amount=amount, note=note
        )

    typer.echo(f"balance={run(action)}")


@credits_app.command("transfer")
def credits_transfer(
    from_: Annotated[str, typer.Option("--from", help="Email of the account that gives")],
    to: Annotated[str, typer.Option("--to", help="Email of the account that receives")],
    amount: Annotated[int, typer.Argument(help="Credits to move")],
) -> None:
    """Move credits between an account and its own (limited) sub-account, either way, as
    two ledger rows; prints the new balances of the giver and the receiver."""
    given, received = run(
        lambda p: sub_accounts.transfer_between(
            p, actor=cli_actor(), from_email=from_, to_email=to, amount=amount
        )
    )
    typer.echo(f"giver_balance={given} receiver_balance={received}")


@credits_app.command("show")
def credits_show(email: Email) -> None:
    """Print the balance."""

    async def action(p: Platform) -> int:
        return await credits.balance(p, account_id=await _account_id(p, email))

    typer.echo(f"balance={run(action)}")


@token_app.command("create")
def token_create(
    email: Email,
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
        created = await tokens.create_token(
            p, account_id=await _account_id(p, email), name=name, ttl=ttl, allowed_ips=allowed_ip
        )
        return created.value

    typer.echo(run(action))


@price_app.command("set")
def price_set(
    country: Annotated[str, typer.Argument(help="ISO alpha-2 country, or * for all others")],
    credits_per_part: Annotated[int, typer.Argument(help="Credits per SMS part")],
) -> None:
    """Set the price of one SMS part to a country."""
    run(
        lambda p: credits.set_price(
            p, actor=cli_actor(), country=country, credits_per_part=credits_per_part
        )
    )
    typer.echo("ok")


@price_app.command("remove")
def price_remove(country: Annotated[str, typer.Argument(help="ISO alpha-2 country, or *")]):
    """Remove a country's price (it falls back to *, then to 1)."""
    run(lambda p: credits.remove_price(p, actor=cli_actor(), country=country))
    typer.echo("ok")


@price_app.command("list")
def price_list() -> None:
    """Print `COUNTRY CREDITS` lines."""
    table = run(credits.price_table)
    for country in sorted(table):
        typer.echo(f"{country} {table[country]}")
