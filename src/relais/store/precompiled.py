"""Statements of the hot paths, compiled once per dialect and run on the driver's cursor.

`conn.execute` spends ~20 µs of Python per statement (cache key, parameter and result
processing) where SQLite itself needs ~3 µs; a single send runs five statements in the
writer thread, which holds the one write lock, so that overhead capped sends per second
(docs/performance.md). A `Precompiled` keeps the Core statement as the one source of its
SQL, compiles it once per dialect (and per set of columns, for an INSERT), and then only
orders the parameters and calls the driver.

Results come back as the driver's tuples, without SQLAlchemy's result processing: keep to
statements whose columns need none (integers, text; booleans are read with bool()).

On SQLite, many rows of a plain INSERT go in as one `INSERT ... VALUES (...), (...)`: the
sqlite3 module lets go of the GIL around every step, and executemany steps each row apart;
in a writer thread that holds the write lock, each step then waited for the event loop's
thread to hand the GIL back (~15 µs a step at 16 concurrent requests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert

# (name, default value, bind processor or None) per positional parameter.
_Binds = tuple[tuple[str, Any, Any], ...]


class Precompiled:
    """One Core statement, run with plain parameter mappings like `conn.execute`."""

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, tuple[str, ...]], tuple[str, _Binds]] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple]:
        """Run with one set of parameters; every row it returns."""
        sql, binds = self._form(conn, params)
        return _run(conn, sql, _ordered(binds, params), many=False)

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple | None:
        found = self.rows(conn, params)
        return found[0] if found else None

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run once per mapping of `rows` (all with the same keys); the rows it changed, as
        the driver counts them (-1 where it cannot, as asyncpg)."""
        if not rows:
            return 0
        sql, binds = self._form(conn, rows[0])
        values = [_ordered(binds, row) for row in rows]
        if conn.dialect.name == "sqlite" and isinstance(self.statement, Insert):
            head, row = _values_clause(sql)
            if row:
                return _insert_rows(conn, head, row, values)
        return _run(conn, sql, values, many=True)

    def _form(self, conn: Connection, params: Mapping[str, Any]) -> tuple[str, _Binds]:
        dialect = conn.dialect
        # An INSERT's SQL names the columns it is given; other statements have one form.
        columns = tuple(params) if isinstance(self.statement, Insert) else ()
        key = (dialect.name, columns)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(self.statement, dialect, columns)
        return form


def _compile(statement: ClauseElement, dialect: Any, columns: Iterable[str]) -> tuple[str, _Binds]:
    compiled = cast(
        SQLCompiler, statement.compile(dialect=dialect, column_keys=list(columns) or None)
    )
    if not compiled.positional or compiled.positiontup is None:
        raise TypeError(f"{dialect.name}: Precompiled expects a positional paramstyle")
    defaults = compiled.construct_params(_check=False) or {}
    binds = tuple(
        (name, defaults.get(name), _processor(compiled.binds[name].type, dialect))
        for name in compiled.positiontup
    )
    return compiled.string, binds


def _processor(kind: Any, dialect: Any) -> Any:
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _ordered(binds: _Binds, params: Mapping[str, Any]) -> tuple:
    values = []
    for name, default, process in binds:
        value = params.get(name, default)
        values.append(value if process is None else process(value))
    return tuple(values)


# SQLite's bound on one statement's parameters (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
_SQLITE_VARIABLES = 32766


def _values_clause(sql: str) -> tuple[str, str]:
    """An INSERT's SQL split before its one row of values: (`INSERT INTO t (a, b)`, `(?, ?)`);
    the row is "" when the statement is not that plain form (upsert, INSERT ... SELECT)."""
    head, found, row = sql.rpartition(" VALUES ")
    if not found or not row.startswith("(") or not row.endswith(")") or row.count("(") != 1:
        return sql, ""
    return head, row


@lru_cache(maxsize=512)
def _rows_sql(head: str, row: str, count: int) -> str:
    return f"{head} VALUES {', '.join([row] * count)}"


def _insert_rows(conn: Connection, head: str, row: str, values: list[tuple]) -> int:
    """SQLite: `values` inserted as few statements as its parameter bound allows; how many."""
    per_statement = max(1, _SQLITE_VARIABLES // max(1, len(values[0])))
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        flat = [value for one in chunk for value in one]
        _run(conn, _rows_sql(head, row, len(chunk)), flat, many=False)
    return len(values)


def _run(conn: Connection, sql: str, values: Any, *, many: bool) -> Any:
    driver_connection = conn.connection.dbapi_connection
    assert driver_connection is not None, "a Connection in use holds its driver connection"
    cursor = driver_connection.cursor()
    try:
        if many:
            cursor.executemany(sql, values)
            return cursor.rowcount if conn.dialect.supports_sane_multi_rowcount else -1
        cursor.execute(sql, values)
        return cursor.fetchall() if cursor.description else []
    except conn.dialect.loaded_dbapi.Error as exc:
        # Leave as SQLAlchemy's errors (IntegrityError ...), as from conn.execute, so callers
        # and store.storage_errors.storage_errors see one kind.
        raise DBAPIError.instance(sql, values, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
