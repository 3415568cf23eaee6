"""Crash drill: kill -9 `relais serve` every few seconds while it delivers a campaign, then
check that nothing was lost, doubled or mis-billed.

Per backend (a SQLite file in a temp dir; PostgreSQL in a database of the drill's own, dropped
and created afresh), the drill migrates, creates an account with credits and a token, and
starts an external SMSC simulator (this file run with --smsc-child: `SmscSimulator` plus a
record of every receipt and every resubmit it recognised, written to a JSON file when it is
told to stop). A connector and a route point Relais at it; `relais serve` runs in its own
process group. One campaign of N messages goes in through the SMSFactor API (POST /list,
then POST /send/lists); then the whole server process group is killed with SIGKILL every
--kill-every seconds after its delivery process took the bind (drawn in 0.5x..1.5x) and
restarted, until every message is final, nothing moved for --settle seconds, or --timeout;
if some are not final then, one server is left alone for up to --settle seconds.

Checked afterwards, per backend: every message final; every message accepted once at the
SMSC (resubmits the SMSC recognised by user_message_reference are counted and reported);
every receipt the SMSC issued applied (the message's status is the receipt's); for every
account, balance == sum of its ledger. Exit status 1 when an invariant fails.

    .venv/bin/python bench/crash_drill.py [--backend sqlite|postgresql|both]
        [--messages 20000] [--kill-every 3] [--timeout 600] [--rate 1000]
        [--database-url postgresql://postgres@127.0.0.1:5432/crash_drill]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from harness import free_port

HOST = "127.0.0.1"
SYSTEM_ID = "drill"
PASSWORD = "drill"
EMAIL = "drill@relais.local"
TEXT = "Crash drill: your code is 4242"
FORBIDDEN_DATABASES = {"test", "test_gw0", "test_gw1", "bench"}
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/crash_drill"
LIST_CHUNK = 5_000


def say(line: str) -> None:
    """Progress goes out as it happens, not when a buffer fills."""
    print(line, flush=True)


# --------------------------------------------------------------------- process groups


class ProcessGroups:
    """Every process group the drill started, so that none outlives it (Ctrl-C included)."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the whole group, then wait until no member is left."""
        self.signal(process, signal.SIGKILL)
        process.wait()
        self._wait_group_gone(process.pid)
        self.running.remove(process)

    def stop(self, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
        """SIGTERM to the group (a clean stop), SIGKILL if it is not gone in `timeout_s`."""
        self.signal(process, signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.signal(process, signal.SIGKILL)
            code = process.wait()
        self._wait_group_gone(process.pid)
        self.running.remove(process)
        return code

    @staticmethod
    def signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    @staticmethod
    def _wait_group_gone(pgid: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def kill_all(self) -> None:
        for process in list(self.running):
            self.signal(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.running.clear()


# ------------------------------------------------------------- the SMSC (child process)


def run_smsc_child(args: argparse.Namespace) -> None:
    """The external SMSC: serve until SIGTERM, then write what it saw to --record."""
    import uvloop

    record = uvloop.run(_serve_smsc(args))
    Path(args.record).write_text(json.dumps(record))
    say(f"SMSC simulator stopped: {len(record['accepted'])} accepted, record in {args.record}")


async def _serve_smsc(args: argparse.Namespace) -> dict[str, Any]:
    from relais.smsc_simulator.deliveries import ReceiptDelivery
    from relais.smsc_simulator.options import config_from_options
    from relais.smsc_simulator.policy import DedupeKey, Deduplicator
    from relais.smsc_simulator.server import SmscSimulator

    class CountingDeduplicator(Deduplicator):
        """Remembers which destinations were resubmitted and recognised as retries."""

        def __init__(self, window_s: float) -> None:
            super().__init__(window_s)
            self.resubmits: Counter[str] = Counter()

        def get(self, key: DedupeKey, now: float) -> str | None:
            known = super().get(key, now)
            if known is not None:
                self.resubmits[key[2]] += 1
            return known

    class RecordingSmsc(SmscSimulator):
        """The simulator, noting each receipt's stat, when it first fell due and how many
        times it was handed out (more than once: a session closed before acknowledging)."""

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.dedupe = self.counting = CountingDeduplicator(config.dedupe_window_s)
            self.receipts: dict[str, list[Any]] = {}  # message_id -> [stat, due_ms, handed]

        def deliver(self, system_id: str | None, deliveries: Any) -> None:
            now_ms = int(time.time() * 1000)
            for delivery in deliveries:
                if isinstance(delivery, ReceiptDelivery):
                    note = self.receipts.get(delivery.entry.message_id)
                    if note is None:
                        self.receipts[delivery.entry.message_id] = [delivery.stat, now_ms, 1]
                    else:
                        note[2] += 1
            super().deliver(system_id, deliveries)

        def unacknowledged(self) -> list[str]:
            """Receipts not acknowledged by Relais: not yet due, or waiting for a receiver
            (a closed session hands its unacknowledged ones back to this queue)."""
            waiting = [d for queue in self._queued.values() for d in queue]
            waiting += [entry[3] for entry in self._heap]
            return [d.entry.message_id for d in waiting if isinstance(d, ReceiptDelivery)]

    config = config_from_options(
        system_id=SYSTEM_ID,
        password=PASSWORD,
        receipt_delay_ms=args.receipt_delay_ms,
        stat_mix=args.stat_mix,
        dedupe=args.dedupe,
        seed=args.seed,
    )
    smsc = RecordingSmsc(config)
    await smsc.start(HOST, args.port)
    say(f"SMSC simulator listening on {HOST}:{smsc.port} ({config.describe()})")
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    unacknowledged = smsc.unacknowledged()  # before stop(), which drops what is not due
    await smsc.stop()
    return {
        "counters": dataclasses.asdict(smsc.counters),
        "accepted": [
            [e.message_id, e.destination, int(e.accepted_at.timestamp() * 1000)]
            for e in smsc.accepted
        ],
        "receipts": smsc.receipts,
        "resubmits": dict(smsc.counting.resubmits),
        "unacknowledged": unacknowledged,
    }


# ------------------------------------------------------------------------- set-up


@dataclass
class Drill:
    """One backend's run: where it is, what it started, and what happened."""

    backend: str
    url: str
    workdir: Path
    groups: ProcessGroups
    args: argparse.Namespace
    port: int = 0
    smsc_port: int = 0
    token: str = ""
    campaign_id: int = 0
    kills: list[float] = field(default_factory=list)  # epoch seconds of each SIGKILL
    failed_starts: int = 0
    left_by_kills: int = 0  # messages not final when the kills stopped
    recovery_s: float = 0.0  # one undisturbed server run after the kills, until all final

    @property
    def server_env(self) -> dict[str, str]:
        a = self.args
        return {
            **os.environ,
            "RELAIS_DATABASE_URL": self.url,
            "RELAIS_PORT": str(self.port),
            "RELAIS_BUILTIN_SIMULATOR": "false",
            "RELAIS_BIND_LEASE_SECONDS": str(a.bind_lease),
            "RELAIS_CLAIM_LEASE_SECONDS": str(a.claim_lease),
            "RELAIS_RECONCILE_SECONDS": "0.5",
        }


async def recreate_postgres(url: str) -> None:
    """Drop and create the drill's own database (never one the tests or benches use)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database or ""
    if name in FORBIDDEN_DATABASES or not name:
        raise SystemExit(f"refusing to drop database {name!r}: pick one of the drill's own")
    conn = await asyncpg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        database="postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def prepare_database(drill: Drill, credits: int) -> Any:
    """Migrate, then an account with its token, and a connector + route to the SMSC."""
    from relais.config import Settings
    from relais.services import accounts, tokens
    from relais.services import connectors as connector_service
    from relais.services.platform import Platform
    from relais.store.migrate import upgrade

    if drill.backend == "postgresql":
        await recreate_postgres(drill.url)
    await upgrade(drill.url)
    platform = Platform.open(Settings(database_url=drill.url, dispatcher_enabled=False))
    await accounts.create_account(
        platform, actor="drill", email=EMAIL, password="crash-drill", credits=credits
    )
    account = await accounts.find_account(platform, email=EMAIL)
    drill.token = (await tokens.create_token(platform, account_id=account.id)).value
    settings = {
        "host": HOST,
        "port": drill.smsc_port,
        "system_id": SYSTEM_ID,
        "password": PASSWORD,
        "window": 100,
        "throughput_per_second": drill.args.rate,
        "reconnect_min_s": 0.2,
        "reconnect_max_s": 1,
    }
    await connector_service.put_connector(
        platform, actor="drill", name="smsc", kind="smpp", settings=settings
    )
    await connector_service.add_route(platform, actor="drill", connector="smsc")
    return platform


def start_smsc(drill: Drill) -> subprocess.Popen[bytes]:
    a = drill.args
    argv = [
        sys.executable,
        __file__,
        "--smsc-child",
        "--port",
        str(drill.smsc_port),
        "--record",
        str(drill.workdir / "smsc-record.json"),
        "--receipt-delay-ms",
        a.receipt_delay_ms,
        "--stat-mix",
        a.stat_mix,
        "--seed",
        str(a.seed),
        "--dedupe" if a.dedupe else "--no-dedupe",
    ]
    process = drill.groups.start(argv, env=dict(os.environ), log=drill.workdir / "smsc.log")
    wait_for_port(drill.smsc_port, process, "SMSC simulator")
    return process


def start_server(drill: Drill) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "relais", "serve"]
    return drill.groups.start(argv, env=drill.server_env, log=drill.workdir / "server.log")


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start (exit {process.poll()})") from None
            time.sleep(0.05)


# ---------------------------------------------------------------------- the campaign


def api(drill: Drill) -> Any:
    """An SMSFactor API client with the drill account's token."""
    import httpx

    headers = {"Authorization": f"Bearer {drill.token}", "Accept": "application/json"}
    return httpx.AsyncClient(base_url=f"http://{HOST}:{drill.port}", headers=headers, timeout=120)


async def create_list(drill: Drill, count: int) -> int:
    """A contact list of `count` distinct French mobiles, through POST /list."""
    numbers = [f"336{10_000_000 + i:08d}" for i in range(count)]
    list_id: int | None = None
    async with api(drill) as http:
        for first in range(0, count, LIST_CHUNK):
            gsm = [{"value": n} for n in numbers[first : first + LIST_CHUNK]]
            body: dict[str, Any] = {"contacts": {"gsm": gsm}}
            body.update({"name": "crash drill"} if list_id is None else {"listId": list_id})
            reply = (await http.post("/list", json={"list": body})).json()
            if reply.get("status") != 1:
                raise SystemExit(f"POST /list failed: {reply}")
            list_id = int(reply["id"])
    assert list_id is not None
    return list_id


async def send_campaign(drill: Drill, list_id: int, count: int) -> None:
    """One campaign to the list (POST /send/lists); its ticket is the campaign id."""
    message = {"text": TEXT, "sender": "Relais", "pushtype": "alert"}
    async with api(drill) as http:
        sms = {"sms": {"message": message, "lists": [{"value": list_id}]}}
        reply = (await http.post("/send/lists", json=sms)).json()
    if reply.get("status") != 1 or reply.get("sent") != count:
        raise SystemExit(f"POST /send/lists did not take every recipient: {reply}")
    drill.campaign_id = int(reply["ticket"])


async def status_counts(platform: Any, campaign_id: int) -> Counter[str]:
    from sqlalchemy import func, select

    from relais.store.tables import messages

    statement = (
        select(messages.c.status, func.count())
        .where(messages.c.campaign_id == campaign_id)
        .group_by(messages.c.status)
    )
    rows = await platform.db.read(lambda conn: conn.execute(statement).all())
    return Counter({status: n for status, n in rows})


def unsettled(counts: Counter[str]) -> int:
    from relais.core.status import FINAL_STATUSES

    return sum(n for status, n in counts.items() if status not in FINAL_STATUSES)


def describe(counts: Counter[str]) -> str:
    order = ["queued", "sending", "sent", "delivered", "not_delivered"]
    names = order + sorted(set(counts) - set(order))
    return " ".join(f"{name}={counts[name]}" for name in names if counts[name] or name in order)


async def bind_owner(platform: Any) -> str | None:
    """The delivery process holding the SMSC connector's lease (its bind), if any."""
    from relais.store import connectors as connector_store

    leases = await platform.db.read(connector_store.lease_holders)
    lease = leases.get("smsc")
    return None if lease is None else lease.owner


class Watch:
    """The campaign's progress, polled from the database: says when to stop killing."""

    def __init__(self, drill: Drill, platform: Any, started: float) -> None:
        self.drill, self.platform, self.started = drill, platform, started
        self.counts: Counter[str] = Counter()
        self.changed = time.monotonic()
        self.outcome = ""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def done(self) -> bool:
        """Every message final, nothing moved for --settle seconds, or --timeout."""
        counts = await status_counts(self.platform, self.drill.campaign_id)
        if counts != self.counts:
            self.counts, self.changed = counts, time.monotonic()
        settle, timeout = self.drill.args.settle, self.drill.args.timeout
        if not unsettled(counts):
            self.outcome = "every message final"
        elif time.monotonic() - self.changed > settle:
            self.outcome = f"nothing moved for {settle:.0f} s"
        elif self.elapsed > timeout:
            self.outcome = f"timeout ({timeout:.0f} s)"
        return bool(self.outcome)


async def crash_loop(
    drill: Drill, platform: Any, server: subprocess.Popen[bytes], started: float
) -> float:
    """Kill the server group --kill-every seconds (0.5x..1.5x) after its delivery process
    took the bind, and restart it, until the `Watch` says stop; the seconds it took."""
    a = drill.args
    rng = random.Random(a.seed)
    watch = Watch(drill, platform, started)
    dead_owners: set[str | None] = {None}
    try:
        while True:
            spawned = time.monotonic()
            owner = None
            while owner in dead_owners and not await watch.done():
                server = restart_if_exited(drill, server, watch.elapsed)
                await asyncio.sleep(0.1)
                owner = await bind_owner(platform)
            bound = time.monotonic()
            kill_at = bound + rng.uniform(0.5, 1.5) * a.kill_every
            while time.monotonic() < kill_at and not watch.outcome:
                await asyncio.sleep(0.25)
                if await watch.done():
                    break
                server = restart_if_exited(drill, server, watch.elapsed)
            if watch.outcome:
                say(f"[{watch.elapsed:6.1f} s] stop: {watch.outcome}")
                return watch.elapsed
            drill.groups.kill(server)
            drill.kills.append(time.time())
            dead_owners.add(owner)
            say(
                f"[{watch.elapsed:6.1f} s] kill -9 #{len(drill.kills)}: bind taken "
                f"{bound - spawned:.1f} s after start, killed {time.monotonic() - bound:.1f} s "
                f"later; {describe(watch.counts)}"
            )
            server = start_server(drill)
    finally:
        if server in drill.groups.running:
            drill.groups.stop(server)


async def recover(drill: Drill, platform: Any, started: float) -> float:
    """After the last kill, one server left alone for up to --settle seconds: what a crash
    left behind must settle without further help. The seconds since the campaign began."""
    say(f"recovery: one server run left alone, {drill.left_by_kills} messages not final")
    server = start_server(drill)
    began = time.monotonic()
    try:
        while time.monotonic() - began < drill.args.settle:
            await asyncio.sleep(0.25)
            if not unsettled(await status_counts(platform, drill.campaign_id)):
                break
            server = restart_if_exited(drill, server, time.monotonic() - started)
    finally:
        drill.groups.stop(server)
    drill.recovery_s = time.monotonic() - began
    counts = await status_counts(platform, drill.campaign_id)
    say(f"recovery: {drill.recovery_s:.1f} s, {describe(counts)}")
    return time.monotonic() - started


def restart_if_exited(
    drill: Drill, server: subprocess.Popen[bytes], elapsed: float
) -> subprocess.Popen[bytes]:
    """A server that exited on its own (not killed by the drill) is counted and restarted."""
    if server.poll() is None:
        return server
    drill.failed_starts += 1
    say(f"[{elapsed:6.1f} s] the server exited by itself ({server.returncode}); restarting")
    drill.groups.kill(server)
    return start_server(drill)


# ---------------------------------------------------------------------------- checks


@dataclass
class Verdict:
    """Figures and invariants of one backend's drill."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def figure(self, line: str) -> None:
        self.lines.append(line)
        say(line)

    def check(self, holds: bool, invariant: str, detail: str = "") -> None:
        tag = "OK  " if holds else "FAIL"
        self.figure(f"  [{tag}] {invariant}{': ' + detail if detail else ''}")
        if not holds:
            self.failures.append(invariant)


async def read_messages(platform: Any, campaign_id: int) -> dict[str, dict[str, Any]]:
    """Every message of the campaign by destination, with its parts' carrier ids."""
    from sqlalchemy import select

    from relais.store.tables import message_parts, messages

    m, p = messages.c, message_parts.c

    def read(conn: Any) -> tuple[list[Any], list[Any]]:
        rows = conn.execute(
            select(m.id, m.destination, m.status, m.attempts, m.submitted_at, m.done_at).where(
                m.campaign_id == campaign_id
            )
        ).all()
        parts = conn.execute(
            select(p.message_id, p.carrier_id)
            .join(messages, messages.c.id == p.message_id)
            .where(m.campaign_id == campaign_id)
        ).all()
        return rows, parts

    rows, parts = await platform.db.read(read)
    carrier_ids: dict[int, list[str]] = {}
    for message_id, carrier_id in parts:
        carrier_ids.setdefault(message_id, []).append(carrier_id)
    return {
        row.destination: {
            "id": row.id,
            "status": row.status,
            "attempts": row.attempts,
            "submitted_at": row.submitted_at,
            "done_at": row.done_at,
            "carrier_ids": carrier_ids.get(row.id, []),
        }
        for row in rows
    }


async def ledger_mismatches(platform: Any) -> list[tuple[int, int, int]]:
    """(account, balance, ledger sum) of every account whose two disagree."""
    from sqlalchemy import select

    from relais.store.ledger import ledger_sum
    from relais.store.tables import accounts

    def read(conn: Any) -> list[tuple[int, int, int]]:
        rows = conn.execute(select(accounts.c.id, accounts.c.balance)).all()
        return [(i, b, s) for i, b in rows if (s := ledger_sum(conn, i)) != b]

    return await platform.db.read(read)


async def parked_receipts(platform: Any, stored: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """Receipts Relais parked (acknowledged, waiting in the database for their submit), and
    how many of them are for a part it has stored since: those should have been applied."""
    from sqlalchemy import select

    from relais.store.tables import parked_receipts as parked

    rows = await platform.db.read(
        lambda conn: conn.execute(select(parked.c.carrier_ids)).scalars().all()
    )
    known = {c for message in stored.values() for c in message["carrier_ids"]}
    return len(rows), sum(1 for ids in rows if known.intersection(ids.split()))


async def verify(drill: Drill, platform: Any, record: dict[str, Any], elapsed: float) -> Verdict:
    from relais.core.status import FINAL_STATUSES
    from relais.smpp.receipts import STATUS_BY_STAT

    verdict = Verdict()
    stored = await read_messages(platform, drill.campaign_id)
    count = len(stored)
    accepted: dict[str, list[list[Any]]] = {}
    for entry in record["accepted"]:
        accepted.setdefault(entry[1], []).append(entry)
    receipts = record["receipts"]
    unacked = set(record["unacknowledged"])
    counters = record["counters"]

    stuck = {d: m for d, m in stored.items() if m["status"] not in FINAL_STATUSES}
    doubled = {d: e for d, e in accepted.items() if len(e) > 1}
    never = [d for d in stored if d not in accepted]
    resubmits = sum(record["resubmits"].values())
    wrong, unapplied = [], []
    for destination, entries in accepted.items():
        message = stored.get(destination)
        for message_id, _, _ in entries:
            note = receipts.get(message_id)
            if note is None or message is None:
                continue
            expected = STATUS_BY_STAT[note[0]]
            if message["status"] != expected:
                (unapplied if message["status"] == "sent" else wrong).append(destination)
    foreign = [
        d
        for d, m in stored.items()
        if any(c not in {e[0] for e in accepted.get(d, [])} for c in m["carrier_ids"])
    ]
    mismatched = await ledger_mismatches(platform)
    statuses = Counter(m["status"] for m in stored.values())

    verdict.figure(
        f"{drill.backend}: {count:,} messages, {len(drill.kills)} kills "
        f"(+{drill.failed_starts} failed starts), {elapsed:.1f} s, "
        f"{count / elapsed:,.0f} messages/s to a final state"
    )
    verdict.figure(
        f"  when the kills stopped {drill.left_by_kills} messages were not final; recovery "
        f"run {drill.recovery_s:.1f} s; statuses now: {describe(statuses)}"
    )
    verdict.figure(
        f"  SMSC: {counters['submits']:,} submit_sm, {counters['accepted']:,} accepted, "
        f"{resubmits:,} resubmits recognised by user_message_reference (same id, no second "
        f"receipt) for {len(record['resubmits']):,} messages; {counters['receipts_sent']:,} "
        f"receipts written, {len(receipts):,} issued, {counters['delivers_acked']:,} acked; "
        f"{len(unacked):,} never acknowledged"
    )
    parked, matchable = await parked_receipts(platform, stored)
    verdict.figure(f"  Relais: {parked} receipts parked, {matchable} of them for a stored part")
    verdict.check(not stuck, "every message in a final state", f"{len(stuck)} stuck")
    verdict.check(
        not doubled and not never,
        "every message accepted exactly once at the SMSC",
        f"{sum(len(e) - 1 for e in doubled.values())} duplicates, {len(never)} never submitted",
    )
    verdict.check(
        not wrong and not unapplied,
        "every receipt the SMSC issued applied",
        f"{len(unapplied)} left sent, {len(wrong)} with another status",
    )
    verdict.check(
        not foreign, "every stored carrier id one the SMSC gave", f"{len(foreign)} unknown"
    )
    verdict.check(
        not mismatched, "balance == sum of ledger for every account", f"{mismatched or 'all'}"
    )
    for destination in sorted(stuck)[:8]:
        verdict.figure(
            "  stuck " + explain(drill, destination, stored, accepted, receipts, unacked)
        )
    return verdict


def explain(
    drill: Drill,
    destination: str,
    stored: dict[str, dict[str, Any]],
    accepted: dict[str, list[list[Any]]],
    receipts: dict[str, list[Any]],
    unacked: set[str],
) -> str:
    """One stuck message's story, times relative to the last kill before its receipt."""
    message = stored[destination]
    line = f"{destination} (id {message['id']}): {message['status']}"
    line += f", {message['attempts']} attempts"
    for message_id, _, at_ms in accepted.get(destination, []):
        line += f"; SMSC id {message_id} accepted {_since_kill(drill, at_ms)}"
        note = receipts.get(message_id)
        if note is not None:
            state = "unacknowledged" if message_id in unacked else "acknowledged"
            line += (
                f", receipt {note[0]} due {_since_kill(drill, note[1])}, handed out "
                f"{note[2]}x, {state}"
            )
    if message["submitted_at"]:
        line += f"; Relais recorded the submit {_since_kill(drill, message['submitted_at'])}"
    return line


def _since_kill(drill: Drill, at_ms: int) -> str:
    at = at_ms / 1000
    before = [k for k in drill.kills if k <= at]
    if not before:
        return "before the first kill"
    return f"{at - before[-1]:.2f} s after kill #{len(before)}"


# ------------------------------------------------------------------------------ main


async def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> Verdict:
    url = f"sqlite:///{workdir / 'drill.db'}" if backend == "sqlite" else args.database_url
    groups = ProcessGroups()
    drill = Drill(backend, url, workdir, groups, args, port=free_port(), smsc_port=free_port())
    say(f"{backend}: database {url}, work dir {workdir}")
    try:
        smsc = start_smsc(drill)
        platform = await prepare_database(drill, credits=10 * args.messages)
        try:
            server = start_server(drill)
            wait_for_port(drill.port, server, "relais serve")
            list_id = await create_list(drill, args.messages)
            started = time.monotonic()
            await send_campaign(drill, list_id, args.messages)
            say(
                f"{backend}: campaign {drill.campaign_id} of {args.messages:,} accepted in "
                f"{time.monotonic() - started:.1f} s; killing every ~{args.kill_every} s"
            )
            elapsed = await crash_loop(drill, platform, server, started)
            drill.left_by_kills = unsettled(await status_counts(platform, drill.campaign_id))
            if drill.left_by_kills:
                elapsed = await recover(drill, platform, started)
            groups.stop(smsc)
            record = json.loads((workdir / "smsc-record.json").read_text())
            return await verify(drill, platform, record, elapsed)
        finally:
            await platform.close()
    finally:
        groups.kill_all()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds (0.5x-1.5x)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per backend")
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="give up when nothing moved "
        "for this long (longer than Relais's 30 s receipt patience)",
    )
    parser.add_argument("--rate", type=int, default=1000, help="connector submit_sm/s cap")
    parser.add_argument("--bind-lease", type=int, default=2, help="RELAIS_BIND_LEASE_SECONDS")
    parser.add_argument("--claim-lease", type=int, default=5, help="RELAIS_CLAIM_LEASE_SECONDS")
    parser.add_argument("--receipt-delay-ms", default="200-3000")
    parser.add_argument("--stat-mix", default="DELIVRD=0.9,UNDELIV=0.1")
    parser.add_argument(
        "--dedupe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the SMSC recognises resubmits by user_message_reference",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, record)")
    parser.add_argument("--smsc-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.smsc_child:
        run_smsc_child(args)
        return
    # SIGTERM unwinds like Ctrl-C (even when started in the background, where a shell
    # ignores SIGINT), so the process groups are killed either way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    failed: list[str] = []
    for backend in backends:
        workdir = Path(tempfile.mkdtemp(prefix=f"crash-drill-{backend}-"))
        try:
            verdict = asyncio.run(run_backend(backend, args, workdir))
        except KeyboardInterrupt:
            say(f"{backend}: interrupted; every process killed, work dir kept in {workdir}")
            sys.exit(130)
        failed += [f"{backend}: {name}" for name in verdict.failures]
        if not args.keep and not verdict.failures:
            shutil.rmtree(workdir)
        else:
            say(f"{backend}: logs and SMSC record kept in {workdir}")
    if failed:
        say("FAILED: " + "; ".join(failed))
        sys.exit(1)
    say("every invariant held")


if __name__ == "__main__":
    main()
