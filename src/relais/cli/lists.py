"""`relais list ...`: an account's contact lists from the command line.

`import` streams a CSV file into a new or an existing list, a progress bar on stderr and one
summary line on stdout: `contacts=N invalid=N duplicates=N id=ID`. `list` prints
`ID COUNT DATE NAME` lines, `show` one tab-separated line per contact
(`ID NUMBER INFO1 INFO2 INFO3 INFO4`), `delete` the number of contacts deleted.

`CsvContacts` reads the file (the CSV dialect is this command's wire format, as JSON and XML
are the API's); `services.list_import.import_contacts` does the rest. bench/lists_import.py uses
both the same way."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from relais.cli.common import fail, run, say_if_none
from relais.core.errors import InvalidField
from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.services import accounts, lists
from relais.services.list_import import BATCH_SIZE, ImportReport, import_contacts
from relais.services.lists import INFOS, MAX_INFO, ListPage, ListSummary
from relais.services.platform import Platform

NUMBER_COLUMNS = ("value", "number", "phone", "destination", "gsm")
DELIMITERS = ",;\t|"


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: the most frequent of , ; tab | (comma if none)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvContacts:
    """The contacts of a CSV file with a header row, read as a stream: an iterable of
    (value, info1, info2, info3, info4) for `services.list_import.import_contacts`.

    The number column is the first named value, number, phone, destination or gsm (any
    case); info1..info4 are optional, other columns ignored. The delimiter is guessed from
    the header unless given. Infos longer than 255 characters are cut (`truncated` counts
    them). A bad header raises InvalidField at once, before anything is stored; a line
    that is not valid CSV or not in `encoding` raises it while iterating."""

    def __init__(
        self, path: Path, *, delimiter: str | None = None, encoding: str = "utf-8-sig"
    ) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidField(f"Unknown encoding {encoding!r}") from None
        if delimiter is not None and len(delimiter) != 1:
            raise InvalidField("The delimiter must be one character")
        try:
            self._raw = path.open("rb")
        except OSError as exc:
            raise InvalidField(f"Cannot read {path}: {exc.strerror}") from None
        self._text = io.TextIOWrapper(self._raw, encoding=encoding, newline="")
        self.truncated = 0
        try:
            self._read_header(delimiter, encoding)
        except BaseException:
            self.close()
            raise

    def _read_header(self, delimiter: str | None, encoding: str) -> None:
        try:
            line = self._text.readline()
        except UnicodeDecodeError as exc:
            raise InvalidField(f"The file is not {encoding} text: {exc}") from None
        if not line.strip():
            raise InvalidField("The file is empty: it needs a header row, e.g. value,info1")
        self.delimiter = delimiter or sniff_delimiter(line)
        names = [
            cell.strip().lower() for cell in next(csv.reader([line], delimiter=self.delimiter))
        ]
        number = next((names.index(n) for n in NUMBER_COLUMNS if n in names), None)
        if number is None:
            raise InvalidField(
                f"No number column in the header {line.strip()!r}: name one of "
                f"{', '.join(NUMBER_COLUMNS)}"
            )
        self.number_column = number
        self.columns = (number, *(names.index(n) if n in names else None for n in INFOS))
        self._reader = csv.reader(self._text, delimiter=self.delimiter)

    @property
    def bytes_read(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> CsvContacts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[list[str | None]]:
        number, infos = self.number_column, self.columns[1:]
        present = [(slot, index) for slot, index in enumerate(infos, 1) if index is not None]
        width = max(i for i in self.columns if i is not None) + 1
        blank: list[str | None] = [None] * 5
        reader = self._reader
        try:
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                out = blank.copy()
                out[0] = row[number]
                for slot, index in present:
                    out[slot] = row[index]
                if max(map(len, row)) > MAX_INFO:
                    for slot in range(1, 5):
                        info = out[slot]
                        if info is not None and len(info) > MAX_INFO:
                            out[slot] = info[:MAX_INFO]
                            self.truncated += 1
                yield out
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidField(f"line {reader.line_num + 1}: {exc}") from None


list_app = typer.Typer(no_args_is_help=True, help="Contact lists.")

Email = Annotated[str, typer.Option(help="Account email")]


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[contacts]:>10,} contacts"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


@list_app.command("import")
def list_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a header row")],
    email: Email,
    name: Annotated[
        str | None, typer.Option(help="Name of the new list (default: the file's name)")
    ] = None,
    list_id: Annotated[int | None, typer.Option(help="Add to this existing list instead")] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="Column separator (default: guessed from the header)")
    ] = None,
    encoding: Annotated[str, typer.Option(help="The file's text encoding")] = "utf-8-sig",
    batch_size: Annotated[
        int, typer.Option(help="Contacts per transaction", min=1, max=100_000)
    ] = BATCH_SIZE,
) -> None:
    """Import contacts from a CSV file: a number column named value, number, phone,
    destination or gsm, and optional info1..info4 columns. Numbers are normalized with
    the account's country; invalid ones and duplicates are counted, not stored."""
    if name is not None and list_id is not None:
        raise fail("give --name or --list-id, not both")
    if not file.is_file():
        raise fail(f"{file} is not a file")
    total = file.stat().st_size

    async def action(p: Platform) -> tuple[ImportReport, int]:
        account = await accounts.find_account(p, email=email)
        with CsvContacts(file, delimiter=delimiter, encoding=encoding) as rows:
            with _progress_bar() as bar:
                task = bar.add_task("import", total=total, contacts=0)
                report = await import_contacts(
                    p,
                    account=account,
                    rows=rows,
                    list_id=list_id,
                    name=name or (None if list_id is not None else file.stem),
                    batch_size=batch_size,
                    progress=lambda r: bar.update(
                        task, completed=rows.bytes_read, contacts=r.contacts
                    ),
                )
                bar.update(task, completed=total, contacts=report.contacts)
            return report, rows.truncated

    report, truncated = run(action)
    if truncated:
        typer.echo(
            f"warning: {truncated} info values were longer than {MAX_INFO} characters and were cut",
            err=True,
        )
    typer.echo(
        f"contacts={report.contacts} invalid={report.invalid} "
        f"duplicates={report.duplicates} id={report.list_id}"
    )


def _summary_line(summary: ListSummary) -> str:
    return (
        f"{summary.id} {summary.count} {format_paris(from_ms(summary.created_at))} {summary.name}"
    )


@list_app.command("list")
def list_list(email: Email) -> None:
    """Print the account's lists: `ID COUNT DATE NAME` (date in Europe/Paris)."""

    async def action(p: Platform) -> list[ListSummary]:
        account = await accounts.find_account(p, email=email)
        return await lists.list_lists(p, account=account)

    summaries = run(action)
    for summary in summaries:
        typer.echo(_summary_line(summary))
    say_if_none(len(summaries), "list")


@list_app.command("show")
def list_show(
    list_id: Annotated[int, typer.Argument(help="The list's id")],
    email: Email,
    search: Annotated[str | None, typer.Option(help="Part of a number or an info")] = None,
    start: Annotated[int, typer.Option(help="Skip this many contacts", min=0)] = 0,
    length: Annotated[
        int, typer.Option(help="Contacts to print", min=1, max=lists.MAX_PAGE)
    ] = lists.MAX_PAGE,
) -> None:
    """Print a page of a list's contacts, one tab-separated line each:
    ID NUMBER INFO1 INFO2 INFO3 INFO4; a `# name: total contacts` line on stderr first."""

    async def action(p: Platform) -> ListPage:
        account = await accounts.find_account(p, email=email)
        return await lists.get_list(
            p, account=account, list_id=list_id, search=search, start=start, length=length
        )

    found = run(action)
    typer.echo(f"# {found.name}: {found.page.total} contacts", err=True)
    for row in found.page.rows:
        infos = (row.info1, row.info2, row.info3, row.info4)
        typer.echo("\t".join([str(row.id), row.destination, *(i or "" for i in infos)]))


@list_app.command("delete")
def list_delete(
    list_id: Annotated[int, typer.Argument(help="The list's id")],
    email: Email,
) -> None:
    """Delete a list and its contacts; prints how many contacts went."""

    async def action(p: Platform) -> int:
        account = await accounts.find_account(p, email=email)
        return await lists.delete_list(p, account=account, list_id=list_id)

    typer.echo(f"deleted_contacts={run(action)}")
