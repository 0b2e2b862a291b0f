"""Writing tens of thousands of rows fast: explicit primary keys and COPY / executemany.

Django's `bulk_create` builds a model instance and adapts each value through its field, about
20 µs a row; a 100,000-person push list writes three rows per person. These helpers take plain
tuples already in the database's form (see `DbValues`) and hand them to PostgreSQL's COPY or
SQLite's executemany. Call them inside `transaction.atomic()`: `allocate_ids` relies on it.
"""

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
    """Insert `rows` (tuples in `columns` order, values from `DbValues`) into `model`'s table.

    Driver errors come out as Django's (IntegrityError, …), as they would from the ORM.
    """
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            cursor = connection.connection.cursor()
            with cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" * len(columns))
            connection.connection.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', rows
            )


def select_in(select: str, column: str, values: Sequence, batch: int = 5000) -> Iterator[tuple]:
    """Rows of `select` (a SELECT … FROM … without WHERE) whose `column` is one of `values`.

    Plain SQL, because the ORM spends milliseconds building each `__in` of thousands of values:
    on PostgreSQL one query with `= ANY(array)`, on SQLite `IN (…)` a few thousand at a time.
    """
    if not values:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'{select} WHERE "{column}" = ANY(%s)', [list(values)])
            yield from cursor.fetchall()
            return
        # Django assumes SQLite's old limit of 999 parameters; the library may allow far more.
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        batch = max(1, min(batch, limit - 1))
        for start in range(0, len(values), batch):
            chunk = values[start : start + batch]
            cursor.execute(
                f'{select} WHERE "{column}" IN ({", ".join(["%s"] * len(chunk))})', chunk
            )
            yield from cursor.fetchall()


SQLITE_BULK_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_writing() -> Iterator[None]:
    """Around a large write. On SQLite the connection's page cache grows (default 2 MB) so the
    index pages that 100,000 inserts touch stay in memory, and shrinks back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


# Version 4 and the RFC 4122 variant: bits 76–79 are 0100 and bits 62–63 are 10.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_V4 = (0x4 << 76) | (0x2 << 62)


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

    @staticmethod
    def random_uuids(count: int) -> list[str]:
        """`count` random (version 4) UUIDs as 32 hex digits, as Django stores them on SQLite
        and as PostgreSQL's COPY reads them: several times faster than `uuid.uuid4().hex`."""
        data = os.urandom(16 * count)
        values = []
        for start in range(0, 16 * count, 16):
            n = int.from_bytes(data[start : start + 16])
            values.append(f"{n & _UUID_CLEAR | _UUID_V4:032x}")
        return values

    def json(self, value: object) -> str:
        """JSON text: SQLite stores it as is, and PostgreSQL's COPY parses it into jsonb."""
        return json.dumps(value, ensure_ascii=False)
