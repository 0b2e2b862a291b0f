"""`allocate_ids` and `insert_rows`: fast writes that read back exactly like the ORM's own.

The suite runs on SQLite and PostgreSQL (CI), so each test here covers both paths: executemany
on SQLite, COPY (psycopg 3) with sequence-drawn keys on PostgreSQL.
"""

import uuid
from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from fangyi.core import crypto
from fangyi.core.bulk import DbValues, allocate_ids, insert_rows
from fangyi.core.models import AuditEntry, Person
from fangyi.ledger.importing import PERSON_COLUMNS  # the columns an import writes
from fangyi.testing import make_person


def person_values(db: DbValues, pk: int, name: str, code: str, at: datetime, **values) -> tuple:
    number = values.get("id_number")
    return (
        pk,
        db.datetime(at),
        db.datetime(at),
        db.uuid(values.get("external_id", uuid.uuid4())),
        name,
        "",
        "",
        values.get("sex", ""),
        db.date(values.get("birth_date")),
        crypto.encrypt(number, "id_number") if number else None,
        crypto.blind_index(number, "id_number") if number else None,
        None,
        None,
        "",
        "",
        values.get("address", ""),
        code,
    )


def test_it_allocates_fresh_keys_that_the_orm_never_reuses(village_a):
    make_person(village_a, "先来")
    with transaction.atomic():
        keys = allocate_ids(Person, 3)
        assert len(set(keys)) == 3
        assert min(keys) > Person.objects.get().pk
        db = DbValues()
        at = datetime(2020, 1, 28, tzinfo=UTC)
        insert_rows(
            Person, PERSON_COLUMNS, [person_values(db, k, "批量", village_a.code, at) for k in keys]
        )
    later = make_person(village_a, "后到")
    assert later.pk > max(keys)
    assert allocate_ids(Person, 0) == []


@pytest.mark.django_db(transaction=True)
def test_it_needs_a_transaction_on_sqlite(db_vendor):
    if db_vendor == "sqlite":
        with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
            allocate_ids(Person, 2)
    else:  # a sequence hands out keys in any transaction
        assert len(allocate_ids(Person, 2)) == 2


def test_rows_read_back_exactly_as_written(village_a):
    db = DbValues()
    at = datetime(2020, 1, 28, 0, 30, 15, 123456, tzinfo=UTC)
    external = uuid.uuid4()
    number = "99990119800517001X"
    with transaction.atomic():
        (pk,) = allocate_ids(Person, 1)
        insert_rows(
            Person,
            PERSON_COLUMNS,
            iter(  # any iterable, not only a list
                [
                    person_values(
                        db,
                        pk,
                        "王金水",
                        village_a.code,
                        at,
                        external_id=external,
                        birth_date=date(1980, 5, 17),
                        sex="M",
                        id_number=number,
                        address="东村'3组\"\\N\t",  # quotes, a backslash, COPY's NULL marker, a tab
                    )
                ]
            ),
        )
    person = Person.objects.get(pk=pk)
    assert (person.created_at, person.external_id) == (at, external)
    assert (person.birth_date, person.sex, person.id_number) == (date(1980, 5, 17), "M", number)
    assert person.current_address == "东村'3组\"\\N\t"
    assert person.phone == "" and person.phone_index is None
    assert Person.objects.filter(created_at=at, birth_date=date(1980, 5, 17)).count() == 1
    assert Person.objects.filter(external_id=external).exists()


def test_json_values_land_as_json(village_a):
    db = DbValues()
    changes = {"list": "县推送名单", "rows": [1, 2], "none": None}
    with transaction.atomic():
        insert_rows(
            AuditEntry,
            (
                "at",
                "actor_username",
                "action",
                "object_type",
                "object_id",
                "object_repr",
                "jurisdiction_code",
                "changes",
            ),
            [
                (
                    db.datetime(datetime(2020, 1, 28, tzinfo=UTC)),
                    "bench",
                    "import",
                    "t",
                    "1",
                    "r",
                    village_a.code,
                    db.json(changes),
                )
            ],
        )
    entry = AuditEntry.objects.get()
    assert entry.changes == changes
    assert AuditEntry.objects.filter(changes__rows=[1, 2]).exists()


def test_a_failing_insert_leaves_nothing_in_the_transaction(village_a):
    db = DbValues()
    at = datetime(2020, 1, 28, tzinfo=UTC)
    number = "99990119800517001X"
    with pytest.raises(IntegrityError), transaction.atomic():
        first, second = allocate_ids(Person, 2)
        insert_rows(
            Person,
            PERSON_COLUMNS,
            [
                person_values(db, first, "甲", village_a.code, at, id_number=number),
                person_values(db, second, "乙", village_a.code, at, id_number=number),
            ],
        )
    assert not Person.objects.exists()


def test_nothing_to_insert_is_fine(village_a):
    with transaction.atomic():
        insert_rows(Person, PERSON_COLUMNS, [])
    assert not Person.objects.exists()
