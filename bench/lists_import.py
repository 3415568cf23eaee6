"""Contact list import benchmark: a generated CSV of N contacts (number, info1, info2)
imported in process as `relais list import` does it (its `CsvContacts` reader feeding
`services.list_import.import_contacts`), on a fresh SQLite file and on PostgreSQL.

Prints, per backend: contacts/s, wall time, peak memory (ru_maxrss of the importing
process), the process's CPU time (on SQLite it includes the database work; on PostgreSQL
the server's is not counted) and the time to delete the list again (DELETE /list/:id).
Each backend runs in its own child process so each peak is its own. Targets (2 cores):
1,000,000 contacts under 30 s and 500 MB on both backends.

    .venv/bin/python bench/lists_import.py [--backend sqlite|postgresql|both]
        [--contacts 1000000] [--database-url postgresql://…] [--batch-size 5000] [--existing]

--existing imports into a list created beforehand (`relais list import --list-id`), so each
batch is also checked against the numbers the list holds.

The PostgreSQL database (--database-url, default RELAIS_BENCH_POSTGRES_URL) is migrated,
not emptied: the benchmark creates its own account and deletes its list at the end.
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


def generate_csv(path: Path, count: int) -> int:
    """`count` distinct French mobile numbers with two infos; the file's size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("number,info1,info2\n")
        chunk: list[str] = []
        for i in range(count):
            chunk.append(f"336{i:08d},Prénom {i},Nom-{i % 9973}\n")
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)
    return path.stat().st_size


async def run_import(
    url: str,
    csv_path: Path,
    batch_size: int,
    existing: bool,
    *,
    keep: bool = False,
    credits: int = 0,
) -> dict:
    """Import `csv_path` into a new account's list; with `keep` the list stays (and is not
    timed away) for a campaign to be sent to it."""
    from relais.cli.lists import CsvContacts
    from relais.config import Settings
    from relais.services import accounts, list_import, lists
    from relais.services.platform import Platform
    from relais.store.migrate import upgrade

    await upgrade(url)
    platform = Platform.open(Settings(database_url=url, dispatcher_enabled=False))
    try:
        email = f"bench-lists-{uuid.uuid4().hex[:8]}@relais.local"
        await accounts.create_account(
            platform, actor="bench", email=email, password="benchmark", credits=credits
        )
        account = await accounts.find_account(platform, email=email)
        list_id = None
        if existing:
            created = await list_import.create_list(
                platform, account=account, name="bench", contacts=[]
            )
            list_id = created.list_id
        started = time.perf_counter()
        cpu_started = time.process_time()
        with CsvContacts(csv_path) as rows:
            report = await list_import.import_contacts(
                platform,
                account=account,
                rows=rows,
                list_id=list_id,
                name="bench",
                batch_size=batch_size,
            )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        deleted, delete_s = 0, 0.0
        if not keep:
            started = time.perf_counter()
            deleted = await lists.delete_list(platform, account=account, list_id=report.list_id)
            delete_s = time.perf_counter() - started
    finally:
        await platform.close()
    return {
        "account_id": account.id,
        "list_id": report.list_id,
        "contacts": report.contacts,
        "added": report.added,
        "invalid": report.invalid,
        "duplicates": report.duplicates,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "contacts_per_s": round(report.contacts / wall),
        "peak_mb": round(peak_mb),
        "deleted": deleted,
        "delete_s": round(delete_s, 2),
    }


def child(args: argparse.Namespace) -> None:
    result = asyncio.run(run_import(args.url, Path(args.csv), args.batch_size, args.existing))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--database-url", default=POSTGRES_URL, help="PostgreSQL to use")
    parser.add_argument("--existing", action="store_true", help="import into an existing list")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "contacts.csv"
        size = generate_csv(csv_path, args.contacts)
        into = "an existing list" if args.existing else "a new list"
        print(
            f"{args.contacts} contacts into {into}, CSV {size / 1e6:.1f} MB, "
            f"batches of {args.batch_size}"
        )
        for backend in backends:
            url = f"sqlite:///{workdir / 'bench.db'}" if backend == "sqlite" else args.database_url
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--url",
                    url,
                    "--csv",
                    str(csv_path),
                    "--batch-size",
                    str(args.batch_size),
                    *(["--existing"] if args.existing else []),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"{backend} failed:\n{done.stderr}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{backend:<10} {r['contacts_per_s']:>9,} contacts/s  wall {r['wall_s']:6.2f} s"
                f"  peak {r['peak_mb']:4d} MB  (process CPU {r['cpu_s']:.1f} s; added"
                f" {r['added']:,}, invalid {r['invalid']}, duplicates {r['duplicates']};"
                f" delete {r['delete_s']:.2f} s)"
            )


if __name__ == "__main__":
    main()
