"""Driver errors as Relais errors: no sqlalchemy or driver exception leaves store/, and an
operator reads which database failed and why; which failures are worth running again."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from relais.core.errors import RelaisError, StorageError

# PostgreSQL ends one transaction of a deadlock (40P01) or of a serialization conflict
# (40001) so the other can go on; run again, a work then goes through. Group commit makes
# deadlocks possible even where each work takes its locks in one order: a group runs
# several works' row locks in one transaction (store.write_groups orders a send's).
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Translate driver errors so no sqlalchemy or driver exception leaves store/."""
    try:
        yield
    except RelaisError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database error: {type(exc).__name__}") from exc


@contextlib.contextmanager
def opening(url: str) -> Iterator[None]:
    """Reaching a database for the first time: a failure says which database (password
    masked) and why, in the driver's words, so an operator knows what to fix."""
    try:
        yield
    except RelaisError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        where = make_url(url).render_as_string(hide_password=True)
        raise StorageError(f"cannot use the database {where}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    root = exc
    while (cause := getattr(root, "orig", None) or root.__cause__) is not None:
        root = cause
    if isinstance(root, OSError) and root.errno:
        return os.strerror(root.errno).lower()
    text = str(root).strip().splitlines()
    return text[0][:200] if text else type(root).__name__


def retryable(exc: BaseException) -> bool:
    """Whether a failed transaction was the victim of a deadlock or a serialization
    conflict, whatever wraps the driver's error."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if getattr(cause, "sqlstate", None) in RETRIED_SQLSTATES:
            return True
        cause = getattr(cause, "orig", None) or cause.__cause__
    return False
