"""Writing tens of thousands of rows fast: explicit primary keys and COPY / executemany.

Django's `bulk_create` builds a model instance and adapts each value through its field, about
20 µs a row; a 100,000-person push list writes three rows per person. These helpers take plain
tuples already in the database's form (see `DbValues`) and hand them to PostgreSQL's COPY or
SQLite's executemany. Call them inside `transaction.atomic()`: `allocate_ids` relies on it.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import Model


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, reserved so no concurrent insert can take them.

    PostgreSQL draws them from the table's sequence. SQLite has one writer at a time, and the
    caller's transaction holds the write lock (settings use BEGIN IMMEDIATE), so the keys after
    the current maximum are free until it commits.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids must run inside transaction.atomic()")
        cursor.execute(f'SELECT MAX("{pk}") FROM "{table}"')
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (tuples in `columns` order, values from `DbValues`) into `model`'s table."""
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        return
    placeholders = ", ".join("?" * len(columns))
    connection.ensure_connection()
    connection.connection.executemany(
        f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})',
        rows,
    )


class DbValues:
    """Convert Python values to what the current database stores, for `insert_rows`.

    PostgreSQL takes the Python objects; Django keeps UUIDs on SQLite as 32 hex digits and
    datetimes as naive UTC text, and the helpers below do the same.
    """

    def __init__(self) -> None:
        self.is_sqlite = connection.vendor == "sqlite"

    def uuid(self, value: uuid.UUID) -> object:
        return value.hex if self.is_sqlite else value

    def datetime(self, value: datetime | None) -> object:
        if value is None or not self.is_sqlite:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")

    def date(self, value: date | None) -> object:
        if value is None or not self.is_sqlite:
            return value
        return value.isoformat()
