"""ID numbers and phones are encrypted at rest: in the crypto layer, in the raw database, in the
audit log."""

import json
import uuid
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection

from fangyi.core import crypto
from fangyi.core.identity import mask_id_number, mask_phone
from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.testing import make_person

ID_NUMBER = "34172119800101008X"
PHONE = "13812345678"
NAME = "王金水"

# The crypto layer --------------------------------------------------------------------------------


def test_it_round_trips_through_encryption():
    ciphertext = crypto.encrypt(ID_NUMBER, "id_number")

    assert crypto.decrypt(ciphertext, "id_number") == ID_NUMBER
    assert ID_NUMBER.encode() not in ciphertext


def test_it_round_trips_chinese_text():
    assert crypto.decrypt(crypto.encrypt(NAME, "name"), "name") == NAME


def test_it_uses_a_fresh_nonce_for_every_encryption():
    first = crypto.encrypt(ID_NUMBER, "id_number")
    second = crypto.encrypt(ID_NUMBER, "id_number")

    assert first != second
    assert first[1:13] != second[1:13]  # the nonces themselves differ


def test_it_refuses_to_decrypt_under_another_context():
    ciphertext = crypto.encrypt(PHONE, "phone")

    with pytest.raises(InvalidTag):
        crypto.decrypt(ciphertext, "id_number")


def test_it_refuses_tampered_ciphertext():
    ciphertext = bytearray(crypto.encrypt(ID_NUMBER, "id_number"))
    ciphertext[20] ^= 0x01

    with pytest.raises(InvalidTag):
        crypto.decrypt(bytes(ciphertext), "id_number")


def test_it_refuses_an_unknown_ciphertext_version():
    ciphertext = b"\x02" + crypto.encrypt(ID_NUMBER, "id_number")[1:]

    with pytest.raises(ValueError, match="version"):
        crypto.decrypt(ciphertext, "id_number")


def test_it_makes_a_deterministic_blind_index():
    index = crypto.blind_index(ID_NUMBER, "id_number")

    assert index == crypto.blind_index(ID_NUMBER, "id_number")
    assert len(index) == 32
    assert int(index, 16) >= 0  # hex
    assert index != crypto.blind_index("34172119800101016X", "id_number")


def test_it_separates_blind_indexes_by_context():
    assert crypto.blind_index("13800138000", "phone") != crypto.blind_index(
        "13800138000", "id_number"
    )


def test_it_keys_the_blind_index_rather_than_plainly_hashing():
    import hashlib

    index = crypto.blind_index(ID_NUMBER, "id_number")

    assert index not in hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    assert index not in hashlib.sha256(f"id_number\x00{ID_NUMBER}".encode()).hexdigest()


# The raw database --------------------------------------------------------------------------------


def _sqlite_files() -> list[Path]:
    main = Path(connection.settings_dict["NAME"])
    return [path for path in (main, Path(f"{main}-wal")) if path.exists()]


def _all_raw_values() -> list[object]:
    """Every column value of every row of every table, as the driver returns it."""
    values: list[object] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                values.extend(row)
    return values


def _contains(value: object, needle: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        return needle.encode() in bytes(value)
    return needle in str(value)


@pytest.mark.django_db(transaction=True)
def test_it_never_writes_an_id_number_or_phone_in_clear_to_the_database(village_a):
    # A name no earlier test wrote, so finding it proves this row reached the disk.
    name = f"{NAME}{uuid.uuid4().hex[:8]}"
    person = make_person(village_a, name, id_number=ID_NUMBER, phone=PHONE)
    assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER  # stored and readable

    if connection.vendor == "sqlite":
        files = _sqlite_files()
        assert files, "the test database is a file (settings TEST NAME), not :memory:"
        contents = b"".join(path.read_bytes() for path in files)
        # The committed row is on disk (so the search below can find what is there) ...
        assert contents.find(name.encode()) >= 0
        # ... but its ID number and phone are not, in any form SQLite might store text.
        needles = [n.encode(codec) for n in (ID_NUMBER, PHONE) for codec in ("utf-8", "utf-16-le")]
        assert [needle for needle in needles if needle in contents] == []
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM core_person WHERE id = %s", [person.pk])
            row = cursor.fetchone()
            assert any(_contains(value, name) for value in row)
            assert not any(_contains(value, ID_NUMBER) for value in row)
            assert not any(_contains(value, PHONE) for value in row)
            cursor.execute(
                "SELECT count(*) FROM core_person"
                " WHERE CAST(id_number_cipher AS TEXT) LIKE %s"
                " OR CAST(phone_cipher AS TEXT) LIKE %s"
                # bytea casts to hex text; 'escape' shows printable bytes as themselves
                " OR encode(id_number_cipher, 'escape') LIKE %s"
                " OR encode(phone_cipher, 'escape') LIKE %s",
                [f"%{ID_NUMBER}%", f"%{PHONE}%", f"%{ID_NUMBER}%", f"%{PHONE}%"],
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "SELECT count(*) FROM core_person WHERE name = %s"
                " AND position(%s IN id_number_cipher) = 0 AND position(%s IN phone_cipher) = 0",
                [name, ID_NUMBER.encode(), PHONE.encode()],
            )
            assert cursor.fetchone()[0] == 1

    # On either database: no column of any table holds them (the audit log included).
    values = _all_raw_values()
    assert any(_contains(value, name) for value in values)
    assert not any(_contains(value, ID_NUMBER) for value in values)
    assert not any(_contains(value, PHONE) for value in values)


def test_it_keeps_only_masked_values_in_the_audit_log(village_a):
    person = make_person(village_a, NAME, id_number=ID_NUMBER.lower(), phone="+86 138 1234 5678")

    entry = AuditEntry.objects.get(object_id=str(person.external_id))

    assert entry.action == AuditAction.CREATE
    assert entry.changes["id_number"] == ["", mask_id_number(ID_NUMBER)]
    assert entry.changes["phone"] == ["", mask_phone(PHONE)]
    assert entry.changes["name"] == ["", NAME]
    assert mask_id_number(ID_NUMBER) in entry.object_repr
    serialised = json.dumps(entry.changes, ensure_ascii=False) + entry.object_repr
    assert ID_NUMBER not in serialised
    assert PHONE not in serialised
