"""List campaign benchmark: a CSV of N contacts imported as `relais list import` does it,
then one merged campaign sent to the list through `services.sending.lists.send_lists` (the
code path of POST /send/lists), in process.

Per backend, two child processes so each peak memory is its own (ru_maxrss):
1. import: the CSV (number and three infos, names of varying length so merged texts differ
   in length) read by the CLI's `CsvContacts` into `services.list_import.import_contacts`;
   prints contacts/s, wall time and peak memory;
2. send: one `send_lists` call (survey, up-front debit, pages written, refund); prints
   recipients/s, wall time and peak memory.
Targets (2 cores): 1,000,000 contacts imported in under 30 s and the campaign created in
under 30 s, each under 500 MB, SQLite and PostgreSQL.

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL
from lists_import import run_import

TEMPLATE = "Bonjour [info1], -20% ce week-end a [info2] avec le code [info3]. A bientot !"
IMPORT_BATCH = 5_000  # the default of `relais list import`


def generate_csv(path: Path, count: int) -> int:
    """Distinct French mobiles; the CSV's size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("number,info1,info2,info3\n")
        chunk: list[str] = []
        for i in range(count):
            chunk.append(f"336{i:08d},Prenom{'x' * (i % 40)},Ville-{i % 997},C{i % 99991}\n")
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)
    return path.stat().st_size


async def run_send(url: str, account_id: int, list_id: int, simulate: bool) -> dict:
    from relais.config import Settings
    from relais.services import accounts
    from relais.services.platform import Platform
    from relais.services.sending.lists import ListSubmission, send_lists
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


def _delete(conn, campaign_id: int | None, list_id: int) -> None:
    from sqlalchemy import delete

    from relais.store.tables import campaign_lists, campaigns, contact_lists, contacts, messages

    if campaign_id is not None:
        conn.execute(delete(messages).where(messages.c.campaign_id == campaign_id))
        conn.execute(delete(campaign_lists).where(campaign_lists.c.campaign_id == campaign_id))
        conn.execute(delete(campaigns).where(campaigns.c.id == campaign_id))
    conn.execute(delete(contacts).where(contacts.c.list_id == list_id))
    conn.execute(delete(contact_lists).where(contact_lists.c.id == list_id))


def child(args: argparse.Namespace) -> None:
    if args.phase == "import":
        # Enough credits for every message at up to three parts.
        credits = 3 * args.contacts
        result = asyncio.run(
            run_import(args.url, Path(args.csv), IMPORT_BATCH, False, keep=True, credits=credits)
        )
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
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    what = "simulated" if args.simulate else "sent"
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        size = generate_csv(csv_path, args.contacts)
        print(
            f"{args.contacts:,} contacts (CSV {size / 1e6:.1f} MB) imported, then one merged"
            f" campaign {what} to them, in process",
            flush=True,
        )
        for backend in backends:
            url = (
                f"sqlite:///{Path(tmp) / 'bench.db'}" if backend == "sqlite" else args.database_url
            )
            i = _child("--phase", "import", "--url", url, "--csv", str(csv_path))
            print(
                f"{backend:<10} import {i['contacts_per_s']:>9,} contacts/s    wall"
                f" {i['wall_s']:6.2f} s  peak {i['peak_mb']:4d} MB  (added {i['added']:,})",
                flush=True,
            )
            extra = ["--simulate"] if args.simulate else []
            r = _child("--phase", "send", "--url", url, "--ids", json.dumps(i), *extra)
            print(
                f"{backend:<10} send   {r['per_s']:>9,} recipients/s  wall {r['wall_s']:6.2f} s"
                f"  peak {r['peak_mb']:4d} MB  (sent {r['recipients']:,} of {r['total']:,},"
                f" cost {r['cost']:,}; cleanup {r['cleanup_s']} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
