"""What every command shares: run one use case against the configured database, and fail
with a message on stderr and a non-zero exit."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from relais.config import Settings
from relais.core.errors import RelaisError
from relais.services.platform import Platform
from relais.store.migrate import upgrade

T = TypeVar("T")


def cli_actor() -> str:
    """Who the audit log names for a command: the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def run(action: Callable[[Platform], Awaitable[T]]) -> T:
    """Migrate, open the platform, run one use case, close; RelaisError -> exit 1."""
    settings = Settings.from_env()

    async def main() -> T:
        await upgrade(settings.database_url)
        platform = Platform.open(settings)
        try:
            return await action(platform)
        finally:
            await platform.close()

    try:
        return asyncio.run(main())
    except RelaisError as exc:
        raise fail(exc.detail) from None


def say_if_none(shown: int, what: str) -> None:
    """After a listing: when it showed nothing, say so on stderr (stdout stays empty for
    scripts that read it)."""
    if not shown:
        typer.echo(f"no {what}", err=True)
