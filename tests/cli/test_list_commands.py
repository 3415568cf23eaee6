"""`relais list import|list|show|delete` as an operator scripts them: one summary line on
stdout, progress and errors on stderr, exit 1 and nothing stored on bad input. The CSV
reader (`CsvContacts`) is also tested in process, feeding the service as the command does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer, relais

from relais.cli.lists import CsvContacts
from relais.core.errors import InvalidField
from relais.services import list_import
from relais.services.list_import import NewContact
from relais.store.tables import contact_lists, contacts

CSV = (
    "Number;info1;info2\n"
    "33612345678;Ada;Lovelace\n"
    "+33 6 12 34 56 77;Grace;Hopper\n"
    "not a number;x;y\n"
    "0612345678;Ada again;\n"
)


def csv_file(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def stored(platform) -> list[tuple]:
    c = contacts.c
    rows = await fetch_all(
        platform, select(c.list_id, c.destination, c.info1, c.info2).order_by(c.id)
    )
    return [tuple(r) for r in rows]


async def table_counts(platform) -> tuple[int, int]:
    return (
        await fetch_value(platform, select(func.count()).select_from(contact_lists)),
        await fetch_value(platform, select(func.count()).select_from(contacts)),
    )


async def test_import_creates_a_list_and_prints_one_summary_line(database_url, platform, tmp_path):
    customer = await make_customer(platform)
    done = relais(
        database_url,
        "list",
        "import",
        str(csv_file(tmp_path)),
        "--email",
        customer.email,
        "--name",
        "Customers",
        "--batch-size",
        "2",
    )
    assert done.returncode == 0, done.stderr
    ((list_id, name, owner),) = await fetch_all(
        platform, select(contact_lists.c.id, contact_lists.c.name, contact_lists.c.account_id)
    )
    assert done.stdout == f"contacts=4 invalid=1 duplicates=1 id={list_id}\n"
    assert (name, owner) == ("Customers", customer.account.id)
    assert await stored(platform) == [
        (list_id, "33612345678", "Ada", "Lovelace"),
        (list_id, "33612345677", "Grace", "Hopper"),
    ]


async def test_import_without_name_names_the_list_after_the_file(database_url, platform, tmp_path):
    customer = await make_customer(platform)
    done = relais(
        database_url, "list", "import", str(csv_file(tmp_path)), "--email", customer.email
    )
    assert done.returncode == 0, done.stderr
    assert await fetch_value(platform, select(contact_lists.c.name)) == "customers"


async def test_import_into_an_existing_list_counts_numbers_it_holds(
    database_url, platform, tmp_path
):
    customer = await make_customer(platform)
    created = await list_import.create_list(
        platform, account=customer.account, name="Old", contacts=[NewContact("33612345677")]
    )
    done = relais(
        database_url,
        "list",
        "import",
        str(csv_file(tmp_path)),
        "--email",
        customer.email,
        "--list-id",
        str(created.list_id),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"contacts=4 invalid=1 duplicates=2 id={created.list_id}\n"
    assert [r[1] for r in await stored(platform)] == ["33612345677", "33612345678"]


async def test_import_with_a_given_delimiter(database_url, platform, tmp_path):
    customer = await make_customer(platform)
    path = csv_file(tmp_path, "phone,info1\n33612345678,Dupont; Jean\n")
    done = relais(
        database_url,
        "list",
        "import",
        str(path),
        "--email",
        customer.email,
        "--delimiter",
        ",",
    )
    assert done.returncode == 0, done.stderr
    assert [r[2] for r in await stored(platform)] == ["Dupont; Jean"]


async def test_import_refusals_exit_1_and_store_nothing(database_url, platform, tmp_path):
    customer = await make_customer(platform)
    other = await make_customer(platform, email="other@example.com")
    foreign = await list_import.create_list(
        platform, account=other.account, name="Theirs", contacts=[NewContact("33612345670")]
    )
    before = await table_counts(platform)
    good = str(csv_file(tmp_path))
    no_number = tmp_path / "no_number.csv"
    no_number.write_text("name,info1\nx,y\n", encoding="utf-8")
    cases = [
        (["--email", customer.email, "--name", "A", "--list-id", "1"], good, "not both"),
        (["--email", customer.email], str(no_number), "No number column"),
        (["--email", customer.email], str(tmp_path / "missing.csv"), "is not a file"),
        (["--email", "nobody@example.com"], good, "No account"),
        (["--email", customer.email, "--list-id", str(foreign.list_id)], good, "No list"),
        (["--email", customer.email, "--encoding", "klingon"], good, "Unknown encoding"),
    ]
    for options, path, message in cases:
        done = relais(database_url, "list", "import", path, *options)
        assert done.returncode == 1, (options, done.stdout)
        assert done.stdout == ""
        assert message in done.stderr, done.stderr
    assert await table_counts(platform) == before


async def test_list_show_and_delete(database_url, platform):
    customer = await make_customer(platform)
    first = await list_import.create_list(
        platform,
        account=customer.account,
        name="First list",
        contacts=[NewContact("33612345678", "Ada", None, None, "x"), NewContact("33612345677")],
    )
    second = await list_import.create_list(
        platform, account=customer.account, name="Second", contacts=[]
    )
    shown = relais(database_url, "list", "list", "--email", customer.email)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [str(first.list_id), str(second.list_id)]
    assert lines[0].startswith(f"{first.list_id} 2 ") and lines[0].endswith(" First list")

    page = relais(database_url, "list", "show", str(first.list_id), "--email", customer.email)
    assert page.returncode == 0, page.stderr
    rows = [line.split("\t") for line in page.stdout.splitlines()]
    assert [r[1:] for r in rows] == [
        ["33612345678", "Ada", "", "", "x"],
        ["33612345677", "", "", "", ""],
    ]
    assert "First list: 2 contacts" in page.stderr
    searched = relais(
        database_url,
        "list",
        "show",
        str(first.list_id),
        "--email",
        customer.email,
        "--search",
        "ada",
    )
    assert [line.split("\t")[1] for line in searched.stdout.splitlines()] == ["33612345678"]

    other = await make_customer(platform, email="other@example.com")
    refused = relais(database_url, "list", "delete", str(first.list_id), "--email", other.email)
    assert refused.returncode == 1 and "No list" in refused.stderr
    deleted = relais(database_url, "list", "delete", str(first.list_id), "--email", customer.email)
    assert (deleted.returncode, deleted.stdout) == (0, "deleted_contacts=2\n")
    assert await table_counts(platform) == (1, 0)


# --- the CSV reader, in process -------------------------------------------------------------------


async def import_text(platform, account, tmp_path: Path, data: bytes, **options):
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    batch_size = options.pop("batch_size", list_import.BATCH_SIZE)
    with CsvContacts(path, **options) as rows:
        report = await list_import.import_contacts(
            platform, account=account, rows=rows, name="csv", batch_size=batch_size
        )
    return report, rows.truncated


async def rows_of(platform, list_id: int) -> list[tuple]:
    c = contacts.c
    found = await fetch_all(
        platform,
        select(c.destination, c.info1, c.info2, c.info3, c.info4)
        .where(c.list_id == list_id)
        .order_by(c.id),
    )
    return [tuple(r) for r in found]


@pytest.mark.parametrize("d", [",", ";", "\t", "|"])
async def test_csv_delimiter_is_guessed_from_the_header(platform, tmp_path, d):
    customer = await make_customer(platform)
    data = f"Phone{d}info2{d}info1\r\n33612345678{d}Lovelace{d}Ada\r\n\r\n0612345677{d}{d}Grace\r\n"
    report, _ = await import_text(platform, customer.account, tmp_path, data.encode())
    assert (report.contacts, report.invalid, report.duplicates) == (2, 0, 0)
    assert await rows_of(platform, report.list_id) == [
        ("33612345678", "Ada", "Lovelace", None, None),
        ("33612345677", "Grace", None, None, None),
    ]


async def test_csv_quotes_bom_short_rows_and_long_infos(platform, tmp_path):
    customer = await make_customer(platform)
    data = (
        '\ufeffvalue;info1;info2;info3;info4\n"33612345678";"Dupont; Jean";"é"\n'
        f"33612345677;{'x' * 300};;;last\n"
    )
    report, truncated = await import_text(platform, customer.account, tmp_path, data.encode())
    assert truncated == 1
    assert await rows_of(platform, report.list_id) == [
        ("33612345678", "Dupont; Jean", "é", None, None),
        ("33612345677", "x" * 255, None, None, "last"),
    ]


async def test_csv_in_another_encoding(platform, tmp_path):
    customer = await make_customer(platform)
    data = "number,info1\n33612345678,Hélène\n".encode("latin-1")
    report, _ = await import_text(platform, customer.account, tmp_path, data, encoding="latin-1")
    assert await rows_of(platform, report.list_id) == [("33612345678", "Hélène", None, None, None)]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"", "empty"),
        (b"\n33612345678\n", "empty"),
        (b"name,info1\nx,y\n", "No number column"),
        ("number,info1\n33612345678,Hélène\n".encode("latin-1"), "not utf-8-sig text"),
    ],
)
async def test_csv_with_a_bad_header_or_encoding_creates_nothing(platform, tmp_path, data, named):
    customer = await make_customer(platform)
    with pytest.raises(InvalidField, match=named):
        await import_text(platform, customer.account, tmp_path, data)
    assert await table_counts(platform) == (0, 0)


async def test_csv_that_breaks_midway_keeps_the_batches_before(platform, tmp_path):
    customer = await make_customer(platform)
    # 1,000 good lines (12 kB), then bytes that are not UTF-8: the text layer decodes 8 kB
    # at a time, so some batches are committed before the bad bytes are met.
    good = "".join(f"3361234{i:04d}\n" for i in range(1000)).encode()
    with pytest.raises(InvalidField, match=r"line \d+: .*\(\d+ contacts were imported into"):
        await import_text(
            platform, customer.account, tmp_path, b"number\n" + good + b"\xff\xfe\n", batch_size=100
        )
    ((list_id,),) = await fetch_all(platform, select(contact_lists.c.id))
    kept = len(await rows_of(platform, list_id))
    assert 0 < kept < 1000 and kept % 100 == 0


async def test_csv_field_too_large_on_the_first_line_leaves_no_list(platform, tmp_path):
    customer = await make_customer(platform)
    data = ("number,info1\n33612345678," + "x" * 200_000 + "\n").encode()
    with pytest.raises(InvalidField, match="line 2: field larger than field limit"):
        await import_text(platform, customer.account, tmp_path, data)
    assert await table_counts(platform) == (0, 0)
