"""Helpers shared by tests: customers with credits and a token, direct database reads, the
`relais` command (in this process, or as a real process), free ports, polling."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass

import httpx
from click.testing import Result
from typer.testing import CliRunner

from relais.cli import app
from relais.services import accounts, tokens
from relais.services.platform import AccountRef, Platform
from relais.store import claims
from relais.store.paid_campaigns import MESSAGE_COLUMNS, insert_paid_campaign
from relais.store.sqlite_database import SqliteDatabase, WriterTurn


@dataclass(frozen=True)
class Customer:
    account: AccountRef
    email: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_customer(
    platform: Platform, *, email: str = "shop@example.com", credits: int = 100, country="FR"
) -> Customer:
    password = "correct horse"
    await accounts.create_account(
        platform, actor="test", email=email, password=password, credits=credits, country=country
    )
    account = await accounts.find_account(platform, email=email)
    token = await tokens.create_token(platform, account_id=account.id)
    return Customer(account, email, password, token.value)


async def fetch_all(platform: Platform, statement) -> list:
    """Rows of a SQLAlchemy statement, read through the platform's own database."""
    return await platform.db.read(lambda conn: conn.execute(statement).all())


async def fetch_value(platform: Platform, statement):
    return await platform.db.read(lambda conn: conn.execute(statement).scalar())


async def wait_until(predicate, seconds: float = 20.0) -> None:
    """Poll an async predicate until it holds; fail the test after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def relais(database_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a `relais` command on `database_url` in this process, and answer as a process
    would: exit code, stdout, stderr (with the traceback of an unexpected exception).

    The command runs on a thread of its own: it starts its own event loop, and an async test
    already runs one on this thread. `relais_process` runs the real console command."""
    done: list[Result] = []
    thread = threading.Thread(
        target=lambda: done.append(
            CliRunner().invoke(
                app, list(args), env={"RELAIS_DATABASE_URL": database_url}, prog_name="relais"
            )
        ),
        name="relais-cli",
    )
    thread.start()
    thread.join(timeout)
    assert done, f"relais {' '.join(args)} did not finish within {timeout} s"
    result = done[0]
    stderr = result.stderr
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["relais", *args], result.exit_code, result.stdout, stderr)


def relais_process(
    database_url: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `relais` console command on `database_url` as an operator would, in a process
    of its own (for what only a real process shows)."""
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "RELAIS_DATABASE_URL": database_url},
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serving_process(
    database_url: str, port: int | None = None, *, args: tuple[str, ...] = (), **env: str
) -> asyncio.subprocess.Process:
    """`relais serve *args` as an operator starts it, in its own process group (the server
    and its workers), on `port` (a free one by default), with webhooks allowed to loopback;
    returned once it answers HTTP."""
    port = port or free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relais",
        "serve",
        *args,
        env={
            **os.environ,
            "RELAIS_DATABASE_URL": database_url,
            "RELAIS_PORT": str(port),
            "RELAIS_WEBHOOK_ALLOW_PRIVATE": "1",
            **env,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while True:
            try:
                await client.get(f"http://127.0.0.1:{port}/credits", timeout=1)
                return process
            except httpx.TransportError:
                assert process.returncode is None, "relais serve exited"
                assert time.monotonic() < deadline, "relais serve did not start"
                await asyncio.sleep(0.1)


def kill(process: asyncio.subprocess.Process, how: signal.Signals) -> None:
    """Signal the server's whole process group (granian runs the app in a worker)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, how)


def campaign_row(account_id: int, **extra: object) -> dict[str, object]:
    """A campaign row as a send stores it (store.paid_campaigns), nothing sent yet."""
    return {
        "account_id": account_id,
        "kind": "bulk",
        "text": "Hello",
        "sender": None,
        "pushtype": "alert",
        "encoding": "gsm",
        "status": "queued",
        "send_at": 10,
        "created_at": 10,
        "cost": 0,
        "total": 0,
        "sent": 0,
        **extra,
    }


def message_row(account_id: int, destination: str, **extra: object) -> dict[str, object]:
    """A queued message row with every column a send gives (store.paid_campaigns)."""
    row: dict[str, object] = dict.fromkeys(MESSAGE_COLUMNS)
    row.update(
        account_id=account_id,
        destination=destination,
        country="FR",
        parts=1,
        cost=1,
        status="queued",
        due_at=10,
        connector="simulator",
    )
    row.update(extra)
    return row


async def queue_campaign(
    platform: Platform, account_id: int, campaign: dict[str, object], rows: list[dict]
) -> int:
    """Store a free campaign (`campaign_row` with `campaign`) with its message `rows`
    queued; its id."""
    paid = await platform.db.write(
        lambda conn: insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, **campaign),
            messages=rows,
            payer=account_id,
            amount=0,
            now_ms=1,
        )
    )
    assert paid is not None
    return paid.campaign_id


async def claim_queued(platform: Platform, now_ms: int = 100) -> list:
    """Claim what is due for the "simulator" connector (store.claims), as its worker would."""
    return await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=now_ms, limit=10, lease_ms=1000
        )
    )


async def in_one_group(platform: Platform, *writes) -> list:
    """Run `writes` (awaitables of `platform.db.write`) so that they meet in one group, and
    return their results (exceptions included). SQLite's writer gathers a group once it has
    its turn: the turn is held here, as another process would, until all of them are queued.
    PostgreSQL's writer gathers what is queued while its previous group runs."""
    if not isinstance(platform.db, SqliteDatabase):
        return await asyncio.gather(*writes, return_exceptions=True)
    turn = WriterTurn(platform.db.path)  # a turn of its own, as another process's
    try:
        with turn:
            tasks = [asyncio.ensure_future(write) for write in writes]
            await asyncio.sleep(0.05)  # each has queued its write; the writer waits for the turn
    finally:
        turn.close()
    return await asyncio.gather(*tasks, return_exceptions=True)
