"""Contact lists and their contacts (SMSFactor POST /list and friends).

Every query that reads or changes a list names the owning account, so one account can never
reach another's list or contact through an id. Contacts go in through `add_batch`, one
statement per batch (executemany of a prepared INSERT on SQLite, an INSERT … SELECT FROM
unnest(arrays) on PostgreSQL); the numbers are validated and the batch de-duplicated
before it gets here (services.lists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from relais.store.tables import campaign_lists, campaigns, contact_lists, contacts, npai

INFOS = ("info1", "info2", "info3", "info4")
# The column order of the tuples `add_batch` inserts (id and npai take their defaults).
CONTACT_COLUMNS = ("list_id", "destination", "country", *INFOS, "created_at")
MAX_NAME = 100
MAX_INFO = 255
# Bound parameters per IN (...) on SQLite (it allows 32,766 per statement).
_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class ListRow:
    id: int
    account_id: int
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ListSummary:
    id: int
    name: str
    created_at: int
    count: int


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    list_id: int
    destination: str
    country: str
    info1: str | None
    info2: str | None
    info3: str | None
    info4: str | None
    npai: bool


@dataclass(frozen=True, slots=True)
class ContactPage:
    total: int  # contacts in the list
    filtered: int  # of which match the search
    rows: list[ContactRow]


_CONTACT_FIELDS = (
    contacts.c.id,
    contacts.c.list_id,
    contacts.c.destination,
    contacts.c.country,
    *(contacts.c[name] for name in INFOS),
    contacts.c.npai,
)


# --- lists ------------------------------------------------------------------------------


def insert_list(conn: Connection, *, account_id: int, name: str, now_ms: int) -> int:
    return conn.execute(
        insert(contact_lists)
        .values(account_id=account_id, name=name, created_at=now_ms)
        .returning(contact_lists.c.id)
    ).scalar_one()


def owned_list(conn: Connection, *, account_id: int, list_id: int) -> ListRow | None:
    """The list when it exists and belongs to `account_id`, else None."""
    c = contact_lists.c
    row = conn.execute(
        select(c.id, c.account_id, c.name, c.created_at).where(
            c.id == list_id, c.account_id == account_id
        )
    ).first()
    return ListRow(*row) if row else None


def list_summaries(conn: Connection, *, account_id: int) -> list[ListSummary]:
    """The account's lists in creation order, each with its number of contacts."""
    counts = (
        select(contacts.c.list_id, func.count().label("n"))
        .where(
            contacts.c.list_id.in_(
                select(contact_lists.c.id).where(contact_lists.c.account_id == account_id)
            )
        )
        .group_by(contacts.c.list_id)
        .subquery()
    )
    c = contact_lists.c
    rows = conn.execute(
        select(c.id, c.name, c.created_at, func.coalesce(counts.c.n, 0))
        .select_from(contact_lists.outerjoin(counts, counts.c.list_id == c.id))
        .where(c.account_id == account_id)
        .order_by(c.id)
    ).all()
    return [ListSummary(*row) for row in rows]


def delete_contacts_of(conn: Connection, *, list_id: int, limit: int) -> int:
    """Delete the list's `limit` first contacts (all if fewer); how many went. A range of
    ids on index (list_id, id): far cheaper than `id IN (SELECT … LIMIT n)` on PostgreSQL."""
    in_list = contacts.c.list_id == list_id
    last = conn.execute(
        select(contacts.c.id).where(in_list).order_by(contacts.c.id).offset(limit - 1).limit(1)
    ).scalar()
    if last is not None:
        in_list = and_(in_list, contacts.c.id <= last)
    return conn.execute(delete(contacts).where(in_list)).rowcount


def delete_list_batch(conn: Connection, *, account_id: int, list_id: int, limit: int) -> int | None:
    """One step of deleting a list: at most `limit` of its contacts and, when that leaves
    none (fewer than `limit` went), the list itself. The contacts deleted; None when the
    list is not (or no longer) the account's."""
    if owned_list(conn, account_id=account_id, list_id=list_id) is None:
        return None
    removed = delete_contacts_of(conn, list_id=list_id, limit=limit)
    if removed < limit:
        conn.execute(delete(contact_lists).where(contact_lists.c.id == list_id))
    return removed


# --- contacts in ----------------------------------------------------------------------------


def _destination_in(conn: Connection, values: Sequence[str]):
    if conn.dialect.name == "postgresql":
        # One array parameter instead of thousands of scalars: one short statement to plan.
        return contacts.c.destination == any_(bindparam("numbers", list(values), ARRAY(String)))
    return contacts.c.destination.in_(values)


def existing_destinations(conn: Connection, *, list_id: int, numbers: Sequence[str]) -> set[str]:
    """Which of `numbers` the list already holds (index ix_contacts_list_destination)."""
    found: set[str] = set()
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        found.update(
            conn.execute(
                select(contacts.c.destination).where(
                    contacts.c.list_id == list_id, _destination_in(conn, chunk)
                )
            ).scalars()
        )
    return found


def _sqlite_insert_sql(conn: Connection) -> str:
    """The INSERT of one contact in the driver's own parameter style, compiled once:
    executemany of it skips SQLAlchemy's per-row parameter processing."""
    global _SQLITE_INSERT
    if _SQLITE_INSERT is None:
        compiled = (
            insert(contacts).values(dict.fromkeys(CONTACT_COLUMNS)).compile(dialect=conn.dialect)
        )
        assert tuple(compiled.positiontup or ()) == CONTACT_COLUMNS, compiled.positiontup
        _SQLITE_INSERT = str(compiled)
    return _SQLITE_INSERT


_SQLITE_INSERT: str | None = None

# PostgreSQL: the whole batch as six array parameters, unnested server-side: one statement
# per batch, ~30 % faster than executemany (docs/lists.md, "Import speed"). The checked form
# skips numbers the list already holds in the same statement.
_PG_INSERT = (
    "INSERT INTO contacts (list_id, destination, country, info1, info2, info3, info4, "
    "created_at) SELECT $1::bigint, u.d, u.c, u.i1, u.i2, u.i3, u.i4, $2::bigint "
    "FROM unnest($3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], "
    "$7::varchar[], $8::varchar[]) AS u(d, c, i1, i2, i3, i4)"
)
_PG_INSERT_CHECKED = (
    _PG_INSERT + " WHERE NOT EXISTS (SELECT 1 FROM contacts x WHERE x.list_id = $1::bigint"
    " AND x.destination = u.d)"
)


def add_batch(
    conn: Connection, *, list_id: int, rows: Sequence[tuple], check_existing: bool = True
) -> int:
    """Insert `rows` (tuples in CONTACT_COLUMNS order, all of list `list_id` and of one
    created_at, numbers distinct within the batch), except, when `check_existing`, those
    whose number the list already holds; how many were skipped so. Touches nothing but the
    database, so a group commit may run it twice."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        _, destinations, countries, *infos, _ = zip(*rows, strict=True)
        inserted = conn.exec_driver_sql(
            _PG_INSERT_CHECKED if check_existing else _PG_INSERT,
            (list_id, rows[0][-1], list(destinations), list(countries), *map(list, infos)),
        ).rowcount
        return len(rows) - inserted
    skipped = 0
    if check_existing:
        present = existing_destinations(conn, list_id=list_id, numbers=[r[1] for r in rows])
        if present:
            rows = [r for r in rows if r[1] not in present]
            skipped = len(present)
    if rows:
        conn.exec_driver_sql(_sqlite_insert_sql(conn), rows)
    return skipped


# --- contacts out ---------------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contact_page(
    conn: Connection,
    *,
    list_id: int,
    search: str | None,
    number: str | None,
    start: int,
    length: int,
) -> ContactPage:
    """A page of the list's contacts in id order. `search` matches a part of the number or
    of info1..4 (case-insensitive); `number` is the search read as a phone number, matched
    whole, so "+33 6 12 34 56 78" finds 33612345678."""
    in_list = contacts.c.list_id == list_id
    total = conn.execute(select(func.count()).where(in_list)).scalar_one()
    where: list[ColumnElement[bool]] = [in_list]
    if search:
        pattern = f"%{_escape_like(search)}%"
        matches: list[ColumnElement[bool]] = [contacts.c.destination.like(pattern, escape="\\")]
        matches += [contacts.c[name].ilike(pattern, escape="\\") for name in INFOS]
        if number:
            matches.append(contacts.c.destination == number)
        where.append(or_(*matches))
        filtered = conn.execute(select(func.count()).where(*where)).scalar_one()
    else:
        filtered = total
    rows = conn.execute(
        select(*_CONTACT_FIELDS).where(*where).order_by(contacts.c.id).offset(start).limit(length)
    ).all()
    return ContactPage(total, filtered, [ContactRow(*row) for row in rows])


def owned_contact(conn: Connection, *, account_id: int, contact_id: int) -> ContactRow | None:
    """The contact when it is in one of the account's lists, else None."""
    row = conn.execute(
        select(*_CONTACT_FIELDS)
        .join(contact_lists, contact_lists.c.id == contacts.c.list_id)
        .where(contacts.c.id == contact_id, contact_lists.c.account_id == account_id)
    ).first()
    return ContactRow(*row) if row else None


def update_contact(conn: Connection, *, contact_id: int, changes: dict[str, object]) -> None:
    conn.execute(update(contacts).where(contacts.c.id == contact_id).values(**changes))


def delete_contact(conn: Connection, *, contact_id: int) -> None:
    conn.execute(delete(contacts).where(contacts.c.id == contact_id))


# --- clean-ups --------------------------------------------------------------------------------


def deduplicate(conn: Connection, *, list_id: int) -> int:
    """Keep the first contact (lowest id) of each number in the list; how many went."""
    earlier = contacts.alias("earlier")
    twin = exists().where(
        earlier.c.list_id == list_id,
        earlier.c.destination == contacts.c.destination,
        earlier.c.id < contacts.c.id,
    )
    return conn.execute(delete(contacts).where(contacts.c.list_id == list_id, twin)).rowcount


def clear_npai(conn: Connection, *, account_id: int, list_id: int, now_ms: int) -> int:
    """Copy the list's NPAI contacts into the account's NPAI list (origin "list", infos kept,
    numbers already there left as they are), then delete them from the list; how many went.
    Of several NPAI contacts with one number, the first gives its infos."""
    first = (
        select(func.min(contacts.c.id))
        .where(contacts.c.list_id == list_id, contacts.c.npai.is_(True))
        .group_by(contacts.c.destination)
    )
    source = select(
        contacts.c.destination,
        *(contacts.c[name] for name in INFOS),
    ).where(contacts.c.id.in_(first))
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "account_id": account_id,
            "destination": destination,
            "origin": "list",
            "created_at": now_ms,
            **dict(zip(INFOS, infos, strict=True)),
        }
        for destination, *infos in conn.execute(source).all()
    ]
    for start in range(0, len(rows), 1000):
        conn.execute(
            dialect_insert(npai)
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing(index_elements=["account_id", "destination"])
        )
    return conn.execute(
        delete(contacts).where(contacts.c.list_id == list_id, contacts.c.npai.is_(True))
    ).rowcount


# --- retention --------------------------------------------------------------------------------


def expired_lists(conn: Connection, *, account_id: int, before_ms: int, limit: int) -> list[int]:
    """The account's lists unused since `before_ms`: created before it, no contact added
    since (the newest contact, by id, is older) and no campaign created since sent to them."""
    c = contact_lists.c
    newest = (
        select(contacts.c.created_at)
        .where(contacts.c.list_id == c.id)
        .order_by(contacts.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    used = exists().where(
        campaign_lists.c.list_id == c.id,
        campaigns.c.id == campaign_lists.c.campaign_id,
        campaigns.c.created_at >= before_ms,
    )
    return list(
        conn.execute(
            select(c.id)
            .where(
                c.account_id == account_id,
                c.created_at < before_ms,
                or_(newest.is_(None), newest < before_ms),
                ~used,
            )
            .order_by(c.id)
            .limit(limit)
        ).scalars()
    )


def purge_expired_batch(
    conn: Connection, *, account_id: int, before_ms: int, limit: int
) -> tuple[int, int, bool]:
    """One bounded step of the list purge: delete at most `limit` contacts of the account's
    expired lists, and the lists left empty. (lists deleted, contacts deleted, more to do)."""
    lists_gone = contacts_gone = 0
    for list_id in expired_lists(conn, account_id=account_id, before_ms=before_ms, limit=100):
        room = limit - contacts_gone
        if room <= 0:
            return lists_gone, contacts_gone, True
        removed = delete_contacts_of(conn, list_id=list_id, limit=room)
        contacts_gone += removed
        if removed < room:
            conn.execute(
                delete(contact_lists).where(
                    and_(contact_lists.c.id == list_id, contact_lists.c.account_id == account_id)
                )
            )
            lists_gone += 1
        else:
            return lists_gone, contacts_gone, True
    return lists_gone, contacts_gone, lists_gone == 100
