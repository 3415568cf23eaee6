"""A batch as one JSON text (SQLite): each row's fields come back in order, with its position,
whatever their text holds."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from relais.store.json_rows import as_json_rows, json_rows


def test_rows_come_back_with_their_position_and_fields_as_given():
    batch = json_rows("rows", "id", "text")
    statement = select(batch.c.position, batch.c.id, batch.c.text).order_by(batch.c.position)
    rows = [(7, "Héllo ☃"), (12, None), (3, 'it\'s "quoted"')]

    with create_engine("sqlite://").connect() as conn:
        found = conn.execute(statement, {"rows": as_json_rows(rows)}).all()

    assert [tuple(row) for row in found] == [
        (0, 7, "Héllo ☃"),
        (1, 12, None),
        (2, 3, 'it\'s "quoted"'),
    ]
