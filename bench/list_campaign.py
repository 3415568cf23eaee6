"""List campaign benchmark: one merged campaign to a list of N contacts, sent in process
through `services.list_sending.send_lists` (the code path of POST /send/lists).

Per backend: a child process creates an account and bulk-inserts the contacts directly
(executemany / unnest, not what is measured); a second child times one `send_lists` call
(survey, up-front debit, pages written, refund) and prints recipients/s, wall time and its
own peak memory (ru_maxrss). Targets (2 cores): 1,000,000 recipients in under 30 s and under
500 MB, SQLite and PostgreSQL.

    .venv/bin/python bench/list_campaign.py [--backend sqlite|postgresql|both]
        [--contacts 1000000] [--database-url postgresql://…] [--simulate]

The PostgreSQL database (--database-url, default RELAIS_BENCH_POSTGRES_URL) is migrated,
not emptied: the benchmark works in an account of its own and deletes its campaign, its
messages and its list at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL

TEMPLATE = "Bonjour [info1], -20% ce week-end a [info2] avec le code [info3]. A bientot !"
BATCH = 20_000


def contact_rows(start: int, stop: int) -> list[tuple]:
    """Distinct French mobiles; names of varying length so merged texts differ in length."""
    return [
        (f"336{i:08d}", "FR", f"Prenom{'x' * (i % 40)}", f"Ville-{i % 997}", f"C{i % 99991}")
        for i in range(start, stop)
    ]


def load(url: str, count: int) -> dict:
    """Create the account and the list, insert `count` contacts; ids as JSON."""
    from sqlalchemy import create_engine, insert

    from relais.store.migrate import upgrade
    from relais.store.tables import accounts, contact_lists, credit_ledger

    asyncio.run(upgrade(url))
    if url.startswith("postgresql"):
        return asyncio.run(_load_pg(url, count))
    engine = create_engine(url)
    now = int(time.time() * 1000)
    credits = 50 * count
    with engine.begin() as conn:
        account_id = conn.execute(
            insert(accounts)
            .values(
                email=f"bench-{uuid.uuid4().hex[:8]}@relais.local",
                password_hash="x",
                created_at=now,
                balance=credits,
            )
            .returning(accounts.c.id)
        ).scalar_one()
        conn.execute(
            insert(credit_ledger).values(
                account_id=account_id, amount=credits, reason="topup", created_at=now
            )
        )
        list_id = conn.execute(
            insert(contact_lists)
            .values(account_id=account_id, name="bench", created_at=now)
            .returning(contact_lists.c.id)
        ).scalar_one()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for start in range(0, count, BATCH):
            cursor.executemany(
                "INSERT INTO contacts (list_id, destination, country, info1, info2, info3,"
                " npai, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                [(list_id, *row, now) for row in contact_rows(start, min(start + BATCH, count))],
            )
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return {"account_id": account_id, "list_id": list_id}


async def _load_pg(url: str, count: int) -> dict:
    import asyncpg

    conn = await asyncpg.connect(url)
    now = int(time.time() * 1000)
    credits = 50 * count
    try:
        async with conn.transaction():
            account_id = await conn.fetchval(
                "INSERT INTO accounts (email, password_hash, created_at, balance)"
                " VALUES ($1, 'x', $2, $3) RETURNING id",
                f"bench-{uuid.uuid4().hex[:8]}@relais.local",
                now,
                credits,
            )
            await conn.execute(
                "INSERT INTO credit_ledger (account_id, amount, reason, note, created_at)"
                " VALUES ($1, $2, 'topup', '', $3)",
                account_id,
                credits,
                now,
            )
            list_id = await conn.fetchval(
                "INSERT INTO contact_lists (account_id, name, created_at)"
                " VALUES ($1, 'bench', $2) RETURNING id",
                account_id,
                now,
            )
        for start in range(0, count, BATCH):
            rows = contact_rows(start, min(start + BATCH, count))
            await conn.copy_records_to_table(
                "contacts",
                records=[(list_id, *row, False, now) for row in rows],
                columns=[
                    "list_id",
                    "destination",
                    "country",
                    "info1",
                    "info2",
                    "info3",
                    "npai",
                    "created_at",
                ],
            )
        await conn.execute("ANALYZE contacts")
    finally:
        await conn.close()
    return {"account_id": account_id, "list_id": list_id}


async def run_send(url: str, account_id: int, list_id: int, simulate: bool) -> dict:
    from relais.config import Settings
    from relais.services import accounts
    from relais.services.list_sending import ListSubmission, send_lists
    from relais.services.platform import Platform
    from relais.store import accounts as account_store

    platform = Platform.open(Settings(database_url=url, dispatcher_enabled=False))
    try:
        row = await platform.db.read(lambda conn: account_store.get_by_id(conn, account_id))
        account = accounts.account_ref(row)
        submission = ListSubmission(text=TEMPLATE, list_ids=[list_id])
        started = time.perf_counter()
        report = await send_lists(
            platform, account=account, submission=submission, simulate=simulate
        )
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cleanup = 0.0
        if report.ticket is not None:
            started = time.perf_counter()
            await platform.db.write(lambda conn: _delete(conn, report.ticket, list_id))
            cleanup = time.perf_counter() - started
    finally:
        await platform.close()
    return {
        "recipients": report.sent,
        "total": report.total,
        "cost": report.cost,
        "wall_s": round(wall, 2),
        "per_s": round(report.sent / wall),
        "peak_mb": round(peak_mb),
        "cleanup_s": round(cleanup, 1),
    }


def _delete(conn, campaign_id: int, list_id: int) -> None:
    from sqlalchemy import delete

    from relais.store.tables import campaign_lists, campaigns, contact_lists, contacts, messages

    conn.execute(delete(messages).where(messages.c.campaign_id == campaign_id))
    conn.execute(delete(campaign_lists).where(campaign_lists.c.campaign_id == campaign_id))
    conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id))
    conn.execute(delete(contacts).where(contacts.c.list_id == list_id))
    conn.execute(delete(contact_lists).where(contact_lists.c.id == list_id))


def child(args: argparse.Namespace) -> None:
    if args.phase == "load":
        print(json.dumps(load(args.url, args.contacts)))
    else:
        ids = json.loads(args.ids)
        result = asyncio.run(run_send(args.url, ids["account_id"], ids["list_id"], args.simulate))
        print(json.dumps(result))


def _child(*argv: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"child {argv[:2]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=POSTGRES_URL, help="PostgreSQL to use")
    parser.add_argument("--simulate", action="store_true", help="time /send/lists/simulate")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    what = "simulated" if args.simulate else "sent"
    print(f"one merged list campaign to {args.contacts:,} contacts, {what} in process")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            url = (
                f"sqlite:///{Path(tmp) / 'bench.db'}" if backend == "sqlite" else args.database_url
            )
            started = time.perf_counter()
            ids = _child("--phase", "load", "--url", url, "--contacts", str(args.contacts))
            load_s = time.perf_counter() - started
            extra = ["--simulate"] if args.simulate else []
            r = _child("--phase", "send", "--url", url, "--ids", json.dumps(ids), *extra)
            print(
                f"{backend:<10} {r['per_s']:>9,} recipients/s  wall {r['wall_s']:6.2f} s"
                f"  peak {r['peak_mb']:4d} MB  (sent {r['recipients']:,} of {r['total']:,},"
                f" cost {r['cost']:,}; contacts loaded in {load_s:.1f} s,"
                f" cleanup {r['cleanup_s']} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
