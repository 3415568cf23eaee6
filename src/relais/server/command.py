"""`relais serve`, and the `relais` program itself: the admin commands of `relais.cli` plus
the one that composes everything (HTTP workers, delivery processes)."""

from __future__ import annotations

import asyncio
import enum
import errno
import os
import signal
import socket
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import make_url

from relais.cli import DEMO_EMAIL, app, ensure_demo_account
from relais.cli.common import fail, run
from relais.config import Settings
from relais.core.errors import RelaisError
from relais.server.supervisor import StopRequest
from relais.store.migrate import upgrade

# What `relais serve --help` lists: every variable the server reads (config.py has them all).
ENVIRONMENT_HELP = (
    "Settings come from the environment: RELAIS_DATABASE_URL (default "
    "~/.local/share/relais/relais.db), "
    "RELAIS_HOST and RELAIS_PORT (127.0.0.1, 8080), RELAIS_ROLE, RELAIS_API_WORKERS, "
    "RELAIS_DEFAULT_FORMAT, RELAIS_DISPATCHER, RELAIS_BUILTIN_SIMULATOR, "
    "RELAIS_SIMULATOR_RECEIPT_DELAY_MS, RELAIS_SIMULATOR_OUTCOMES, RELAIS_MAX_PARTS, "
    "RELAIS_SHORT_LINK_BASE, RELAIS_WEBHOOK_ALLOW_PRIVATE, RELAIS_TRUSTED_PROXIES and the "
    "others README.md lists."
)


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"relais {version('relais')}")
        raise typer.Exit()


@app.callback()
def program(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Relais SMS platform."""


class Role(enum.StrEnum):
    ALL = "all"
    API = "api"
    DELIVERY = "delivery"


@app.command(epilog=ENVIRONMENT_HELP)
def serve(
    demo: Annotated[bool, typer.Option(help="Create a demo account and print a token")] = False,
    role: Annotated[
        Role,
        typer.Option(
            envvar="RELAIS_ROLE",
            help="all: API workers and a delivery process; api: HTTP only; "
            "delivery: connectors and webhooks only (scale-out on PostgreSQL)",
        ),
    ] = Role.ALL,
    workers: Annotated[
        int,
        typer.Option(envvar="RELAIS_API_WORKERS", min=1, help="HTTP worker processes"),
    ] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first")] = True,
) -> None:
    """Run Relais: the HTTP API in worker processes and, beside them, a process that
    delivers (connectors, the carrier simulator, webhooks)."""
    stop = StopRequest()
    try:
        settings = Settings.from_env()
        if migrate:
            asyncio.run(upgrade(settings.database_url))
    except RelaisError as exc:
        raise fail(exc.detail) from None
    if role is Role.DELIVERY:
        typer.echo(f"Relais delivery with database {shown_database(settings.database_url)}")
        become_server(role, workers, stop)
        return  # reached only when stopped during start-up
    refuse_busy_port(settings.host, settings.port)
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Relais on {base} with database {shown_database(settings.database_url)}")
    if demo:
        token = run(ensure_demo_account)
        typer.echo(
            f"Demo account {DEMO_EMAIL}, API token:\n\n  {token}\n\n"
            "Send your first SMS (delivered by the built-in carrier simulator):\n\n"
            f"  curl -H 'Accept: application/json' -H 'Authorization: Bearer {token}' \\\n"
            f"    '{base}/send?to=33612345678&text=Hello+from+Relais'\n\n"
            "Then see its delivery report:\n\n"
            f"  curl -H 'Accept: application/json' -H 'Authorization: Bearer {token}' "
            f"{base}/campaigns\n\n"
            f"Administer it with {Path(sys.executable).parent / 'relais'} (e.g. `relais "
            "account list`; README.md, Administration).\n"
        )
    os.environ["RELAIS_ROLE"] = Role.API.value  # granian's workers read it
    become_server(role, workers, stop)


def become_server(role: Role, workers: int, stop: StopRequest) -> None:
    """Replace this process (same pid, same signals' target) by the lean one that serves:
    the CLI and the migrations it imported would otherwise stay in memory for the server's
    lifetime, and in every API worker forked from it."""
    sys.stdout.flush()
    sys.stderr.flush()
    # A signal caught but not yet handled would be lost with this image: block them (the
    # call runs the handlers of those already caught), so later ones wait for the new one.
    signal.pthread_sigmask(signal.SIG_BLOCK, StopRequest.SIGNALS)
    if stop.requested:  # Ctrl-C or SIGTERM during start-up
        return
    command = [sys.executable, "-m", "relais.server", "--role", role.value]
    os.execv(sys.executable, [*command, "--workers", str(workers)])


def shown_database(url: str) -> str:
    """The database a server uses, as its banner names it: README.md promises `relais serve`
    says which one the commands must share; a PostgreSQL password stays hidden."""
    return make_url(url).render_as_string(hide_password=True)


def refuse_busy_port(host: str, port: int) -> None:
    """Granian listens with SO_REUSEPORT: a second server on a busy port would start and
    share the traffic, maybe with another database. Say so and stop instead."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise fail(
                    f"port {port} on {host} is already in use (another relais serve?): "
                    "stop it or set RELAIS_PORT"
                ) from None
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def main() -> None:
    try:
        app()
    except RelaisError as exc:  # a setting read before a command's own handling
        typer.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
