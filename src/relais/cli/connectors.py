"""`relais connector ...` and `relais route ...`: the operator's carrier connections.

Definitions live in the database, so every serving process picks a change up within a few
seconds, without a restart. A TOML file can hold them too (`relais connector load FILE`)."""

from __future__ import annotations

import asyncio
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from relais import delivery
from relais.cli.common import cli_actor, fail, run, say_if_none
from relais.core.errors import ConfigError, RelaisError
from relais.core.instant import to_ms
from relais.services import accounts
from relais.services import connectors as connector_service
from relais.services.platform import Platform
from relais.store import connectors as connector_store

connector_app = typer.Typer(no_args_is_help=True, help="Carrier connections (SMPP, simulator).")
route_app = typer.Typer(no_args_is_help=True, help="Which connector carries which traffic.")


def parse_value(raw: str) -> Any:
    """`--set window=100` gives 100, `--set tls=true` gives True, anything else a string."""
    lowered = raw.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    try:
        return int(raw, 0)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def settings_from_options(options: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    settings = {key: value for key, value in options.items() if value is not None}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes key=value, not {item!r}")
        settings[key.strip()] = parse_value(value.strip())
    return settings


async def _store(platform: Platform, name: str, kind: str, settings: dict[str, Any]) -> bool:
    delivery.validate(kind, name, settings)
    return await connector_service.put_connector(
        platform, actor=cli_actor(), name=name, kind=kind, settings=settings
    )


@connector_app.command("add")
def connector_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. orange-fr")],
    kind: Annotated[str, typer.Option(help="smpp or simulator")] = "smpp",
    host: Annotated[str | None, typer.Option(help="SMSC host")] = None,
    port: Annotated[int | None, typer.Option(help="SMSC port")] = None,
    system_id: Annotated[str | None, typer.Option(help="SMPP system_id")] = None,
    password: Annotated[str | None, typer.Option(help="SMPP password")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Any other setting, key=value (repeatable)"),
    ] = None,
) -> None:
    """Create or replace a connector; running servers pick it up within seconds."""
    options = {"host": host, "port": port, "system_id": system_id, "password": password}
    try:
        settings = settings_from_options(options, set_ or [])
    except ConfigError as exc:
        raise fail(exc.detail) from None
    created = run(lambda p: _store(p, name, kind, settings))
    typer.echo("created" if created else "updated")


@connector_app.command("remove")
def connector_remove(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a connector and its routes; its waiting messages are routed again."""
    moved = run(lambda p: connector_service.remove_connector(p, actor=cli_actor(), name=name))
    typer.echo(f"removed; {moved} waiting messages routed again")


def _row_line(row: connector_store.ConnectorRow, lease: Any, now_ms: int) -> str:
    state = lease.state if lease is not None and lease.expires_at > now_ms else {}
    owner = lease.owner if lease is not None and lease.expires_at > now_ms else "-"
    bound = "bound" if state.get("bound") else "unbound"
    rate = state.get("extra", {}).get("sent_per_second", 0)
    return (
        f"{row.name}\t{row.kind}\t{'enabled' if row.enabled else 'disabled'}\t{bound}\t"
        f"in_flight={state.get('in_flight', 0)}\tsent/s={rate}\t"
        f"submitted={state.get('submitted', 0)}\terrors={state.get('errors', 0)}\t"
        f"owner={owner}\t{state.get('detail', '')}"
    )


@connector_app.command("list")
def connector_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Connectors with the state their owning process last reported."""

    async def action(p: Platform):
        rows = await connector_service.list_connectors(p)
        leases = await connector_service.lease_holders(p)
        return rows, leases, to_ms(p.clock())

    rows, leases, now_ms = run(action)
    configured = {row.name for row in rows}
    # The built-in carrier has no definition, only the lease of the process running it.
    rows += [
        connector_store.ConnectorRow(name, "simulator", {}, True, 0)
        for name, lease in leases.items()
        if name not in configured and lease.expires_at > now_ms
    ]
    if not as_json:
        say_if_none(len(rows), "connector")
    for row in rows:
        lease = leases.get(row.name)
        if as_json:
            state = lease.state if lease is not None and lease.expires_at > now_ms else {}
            typer.echo(
                json.dumps(
                    {
                        "name": row.name,
                        "kind": row.kind,
                        "enabled": row.enabled,
                        "owner": lease.owner if lease else None,
                        "state": state,
                    }
                )
            )
        else:
            typer.echo(_row_line(row, lease, now_ms))


@connector_app.command("test")
def connector_test(
    name: Annotated[str, typer.Argument()],
    seconds: Annotated[float, typer.Option(help="How long to wait for the bind")] = 10.0,
) -> None:
    """Open the connector once (an SMPP bind), report whether it came up, close it."""

    async def action(p: Platform) -> str:
        rows = {row.name: row for row in await connector_service.list_connectors(p)}
        if name not in rows:
            raise ConfigError(f"No connector named {name}")
        connector = delivery.build_connector(rows[name], clock=p.clock)

        class _Discard:
            def receipts(self, receipts): ...

            def inbound(self, messages): ...

        await connector.start(_Discard())
        try:
            deadline = asyncio.get_running_loop().time() + seconds
            while not connector.status().bound:
                if asyncio.get_running_loop().time() > deadline:
                    detail = connector.status().detail or "no bind"
                    raise ConfigError(f"{name} did not bind within {seconds:g} s: {detail}")
                await asyncio.sleep(0.05)
            return f"{name}: bound ({connector.status().detail})"
        finally:
            await connector.stop()

    typer.echo(run(action))


@connector_app.command("load")
def connector_load(file: Annotated[Path, typer.Argument(help="A TOML file")]) -> None:
    """Create or replace the connectors and add the routes described in a TOML file:

    [connectors.orange-fr]  kind = "smpp"  host = "…"  port = 2775  system_id = "…"
    [[routes]]  connector = "orange-fr"  prefix = "336"
    """
    try:
        document = tomllib.loads(file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None

    async def action(p: Platform) -> tuple[int, int]:
        loaded = 0
        for name, definition in (document.get("connectors") or {}).items():
            settings = dict(definition)
            kind = settings.pop("kind", "smpp")
            await _store(p, name, kind, settings)
            loaded += 1
        routes = 0
        for route in document.get("routes") or []:
            await _add_route(p, **route)
            routes += 1
        return loaded, routes

    loaded, routes = run(action)
    typer.echo(f"{loaded} connectors, {routes} routes")


async def _add_route(
    p: Platform,
    *,
    connector: str,
    prefix: str | None = None,
    country: str | None = None,
    account: str | None = None,
    sender: str | None = None,
    priority: int = 0,
) -> int:
    account_id = (await accounts.find_account(p, email=account)).id if account else None
    return await connector_service.add_route(
        p,
        actor=cli_actor(),
        connector=connector,
        prefix=str(prefix) if prefix is not None else None,
        country=country,
        account_id=account_id,
        sender=sender,
        priority=priority,
    )


@route_app.command("add")
def route_add(
    connector: Annotated[str, typer.Option(help="Connector name")],
    prefix: Annotated[str | None, typer.Option(help="Destination prefix, e.g. 336")] = None,
    country: Annotated[str | None, typer.Option(help="Destination country, e.g. FR")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account's traffic (email)")] = None,
    sender: Annotated[str | None, typer.Option(help="Only this sender")] = None,
    priority: Annotated[int, typer.Option(help="Higher wins before specificity")] = 0,
) -> None:
    """Add a route; prints its id. A route with no criterion is the fallback."""
    route_id = run(
        lambda p: _add_route(
            p,
            connector=connector,
            prefix=prefix,
            country=country,
            account=account,
            sender=sender,
            priority=priority,
        )
    )
    typer.echo(route_id)


@route_app.command("list")
def route_list() -> None:
    """`ID CONNECTOR prefix=… country=… account=… sender=… priority=…` lines."""
    routes = run(connector_service.list_routes)
    say_if_none(len(routes), "route")
    for route in routes:
        typer.echo(
            f"{route.id}\t{route.connector}\tprefix={route.prefix or '*'}\t"
            f"country={route.country or '*'}\taccount={route.account_id or '*'}\t"
            f"sender={route.sender or '*'}\tpriority={route.priority}"
        )


@route_app.command("remove")
def route_remove(route_id: Annotated[int, typer.Argument()]) -> None:
    try:
        run(lambda p: connector_service.remove_route(p, actor=cli_actor(), route_id=route_id))
    except RelaisError as exc:
        raise fail(exc.detail) from None
    typer.echo("ok")
