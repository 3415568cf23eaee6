"""`relais moderation|audit|operator ...`: reviewing held campaigns, reading the audit log,
and the operator API's credentials."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from relais.cli.common import cli_actor, run, say_if_none
from relais.core.instant import from_ms
from relais.services import account_policy, accounts, moderation, operators
from relais.services.platform import Platform

moderation_app = typer.Typer(no_args_is_help=True, help="Moderation rules and held campaigns.")
rule_app = typer.Typer(no_args_is_help=True, help="What holds a campaign for review.")
moderation_app.add_typer(rule_app, name="rule")
audit_app = typer.Typer(no_args_is_help=True, help="What operators did.")
operator_app = typer.Typer(no_args_is_help=True, help="Operator API credentials.")
operator_token_app = typer.Typer(no_args_is_help=True, help="Operator API tokens.")
operator_app.add_typer(operator_token_app, name="token")


@rule_app.command("add")
def rule_add(
    kind: Annotated[str, typer.Argument(help="word | link | first_campaigns")],
    value: Annotated[str, typer.Argument(help="The word, the domain (or *), or N campaigns")],
    email: Annotated[
        str | None, typer.Option(help="Only for this account (default: every account)")
    ] = None,
) -> None:
    """Add a moderation rule; prints its id."""

    async def action(p: Platform) -> int:
        account_id = (await accounts.find_account(p, email=email)).id if email else None
        return await account_policy.add_moderation_rule(
            p, actor=cli_actor(), account_id=account_id, kind=kind, value=value
        )

    typer.echo(run(action))


@rule_app.command("list")
def rule_list() -> None:
    """Print `ID KIND VALUE ACCOUNT` lines (ACCOUNT is * for every account)."""
    rules = run(account_policy.list_moderation_rules)
    for rule in rules:
        account = "*" if rule.account_id is None else rule.account_id
        typer.echo(f"{rule.id} {rule.kind} {rule.value} {account}")
    say_if_none(len(rules), "moderation rule")


@rule_app.command("remove")
def rule_remove(rule_id: Annotated[int, typer.Argument()]) -> None:
    """Remove a moderation rule."""
    run(lambda p: account_policy.remove_moderation_rule(p, actor=cli_actor(), rule_id=rule_id))
    typer.echo("ok")


@moderation_app.command("queue")
def moderation_queue() -> None:
    """Print the campaigns waiting for review, oldest first, one JSON object per line."""
    held = run(moderation.moderation_queue)
    for campaign in held:
        typer.echo(json.dumps(asdict(campaign), sort_keys=True))
    say_if_none(len(held), "campaign is waiting for review")


@moderation_app.command("approve")
def moderation_approve(campaign_id: Annotated[int, typer.Argument()]) -> None:
    """Approve a held campaign: it goes out (at its send time)."""
    run(lambda p: moderation.approve(p, actor=cli_actor(), campaign_id=campaign_id))
    typer.echo("ok")


@moderation_app.command("refuse")
def moderation_refuse(campaign_id: Annotated[int, typer.Argument()]) -> None:
    """Refuse a held campaign: nothing is sent and its credits are refunded."""
    run(lambda p: moderation.refuse(p, actor=cli_actor(), campaign_id=campaign_id))
    typer.echo("ok")


@audit_app.command("list")
def audit_list(
    email: Annotated[str | None, typer.Option(help="Only actions on this account")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action, e.g. account.suspend")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first")] = 50,
) -> None:
    """Print `ID TIME ACTOR ACTION ACCOUNT DETAILS` lines, newest first."""

    async def fetch(p: Platform):
        account_id = (await accounts.find_account(p, email=email)).id if email else None
        return await operators.audit_log(p, account_id=account_id, action=action, limit=limit)

    entries = run(fetch)
    say_if_none(len(entries), "audit entry matches")
    for entry in entries:
        when = from_ms(entry.at).strftime("%Y-%m-%dT%H:%M:%SZ")
        account = "-" if entry.account_id is None else entry.account_id
        details = json.dumps(entry.details, sort_keys=True, separators=(",", ":"))
        typer.echo(f"{entry.id} {when} {entry.actor} {entry.action} {account} {details}")


@operator_token_app.command("create")
def operator_token_create(
    name: Annotated[str, typer.Argument(help="Who will use it (named in the audit log)")],
) -> None:
    """Create an operator API token; prints it alone (shown this once)."""
    created = run(lambda p: operators.create_operator_token(p, actor=cli_actor(), name=name))
    typer.echo(created.value)


@operator_token_app.command("list")
def operator_token_list() -> None:
    """Print `ID NAME` lines of live operator tokens."""
    live = run(operators.list_operator_tokens)
    for token in live:
        typer.echo(f"{token.id} {token.name}")
    say_if_none(len(live), "live operator token")


@operator_token_app.command("revoke")
def operator_token_revoke(token_id: Annotated[int, typer.Argument()]) -> None:
    """Revoke an operator token; it stops working at once."""
    run(lambda p: operators.revoke_operator_token(p, actor=cli_actor(), token_id=token_id))
    typer.echo("ok")
