"""The spool of a list campaign: the pages its survey planned, kept in a temporary file
between the survey and the write pass, so neither pass holds a million messages."""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from typing import BinaryIO

_LENGTH = 8  # bytes of the size that precedes each spooled page


def spool_page(spool: BinaryIO, messages: list[tuple], counters: dict[str, int]) -> None:
    """Append one planned page (its messages and counters) to the spool."""
    # One marshal blob per page with its size: marshal.load on a file object reads item by
    # item through Python calls (2 s per 300,000 messages), marshal.loads of bytes does not.
    blob = marshal.dumps((messages, counters))
    spool.write(len(blob).to_bytes(_LENGTH, "little"))
    spool.write(blob)


def spooled(spool: BinaryIO) -> Iterator[tuple[list[tuple], dict[str, int]]]:
    """The spooled pages, in the order they were planned."""
    while size := spool.read(_LENGTH):
        yield marshal.loads(spool.read(int.from_bytes(size, "little")))
