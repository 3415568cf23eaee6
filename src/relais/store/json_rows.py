"""SQLite: a batch of rows as one JSON text parameter (an array of arrays), read back as a
derived table by `json_each`. One statement for the batch, where an executemany or one
statement per row waits for the GIL at every step in the writer thread (store.precompiled),
and where an IN list would be rendered anew by SQLAlchemy for each count."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Subquery, bindparam, func, select


def json_rows(parameter: str, *fields: str) -> Subquery:
    """The rows of the JSON text bound as `parameter`: their `position` in it, then one
    column per field, in order."""
    each = func.json_each(bindparam(parameter)).table_valued("key", "value")
    return select(
        each.c.key.label("position"),
        *(func.json_extract(each.c.value, f"$[{n}]").label(name) for n, name in enumerate(fields)),
    ).subquery("batch")


def as_json_rows(rows: Iterable[Sequence[Any]]) -> str:
    """The value to bind for `json_rows`."""
    return json.dumps([list(row) for row in rows], ensure_ascii=False)
