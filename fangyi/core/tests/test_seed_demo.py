"""`fangyi seed-demo`: the deterministic demo county, its accounts, and its refusals."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from fangyi.core import demo
from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import normalize_phone, parse_id_number
from fangyi.core.models import AuditAction, AuditEntry, Jurisdiction, Person, User
from fangyi.core.roles import Role
from fangyi.testing import create_jurisdiction, make_person, make_user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """Everything a run decides, in clear: the same on every run if the demo is deterministic."""
    people = Person.objects.order_by("external_id")
    return [
        (p.external_id, p.name, p.id_number, p.phone, p.jurisdiction_id, p.household_address)
        for p in people
    ]


class TestTheSeededDemo:
    """Tests that only read the demo: it is seeded once for them all (`seeded_demo`)."""

    def test_it_builds_the_county_towns_villages_and_groups(self, seeded_demo):
        names = dict(Jurisdiction.objects.values_list("code", "name"))
        assert names["999901"] == "示范县"
        assert names["999901100"] == "青山镇"
        assert names["999901101"] == "白水镇"
        villages = sorted(c for c in names if len(c) == 12)
        assert villages[:6] == [f"999901100{n}" for n in range(201, 207)]
        assert [c for c in villages if c.startswith("999901101")] == [
            "999901101201",
            "999901101202",
            "999901101203",
        ]
        for village in villages:
            groups = sorted(c for c in names if len(c) == 15 and c.startswith(village))
            assert groups[0] == village + "001"
            assert groups == [f"{village}{n:03d}" for n in range(1, len(groups) + 1)]
            assert Jurisdiction.objects.get(code=groups[0]).parent_id == village
        assert Person.objects.count() == 3000
        assert not Person.objects.exclude(jurisdiction__level="group").exists()

    def test_it_gives_every_role_an_account_that_can_log_in(self, client, seeded_demo):
        assert {a.role for a in demo.DEMO_ACCOUNTS} >= set(Role)
        for account in demo.DEMO_ACCOUNTS:
            user = User.objects.get(username=account.username)
            assert user.full_name
            assert user.jurisdiction_id == account.jurisdiction_code
            assert user.role == (account.role or "")
            request = RequestFactory().get("/")  # django-axes wants the request to log in
            assert client.login(
                request=request, username=account.username, password=demo.DEMO_PASSWORD
            ), account.username
            client.logout()
        admin = User.objects.get(username="admin")
        assert admin.is_superuser and admin.is_staff
        assert list(User.objects.get(username="doctor").groups.values_list("name", flat=True)) == [
            Role.DOCTOR
        ]

    def test_it_generates_valid_people(self, seeded_demo):
        people = list(Person.objects.select_related("jurisdiction__parent"))
        assert len({p.id_number for p in people}) == len(people)
        for person in people:
            parsed = parse_id_number(person.id_number)
            assert parsed.number.startswith("999901")
            assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
            assert 1930 <= person.birth_date.year <= 2020
            assert 2 <= len(person.name) <= 3
            assert person.name_initials and person.name_pinyin
            assert person.jurisdiction.parent.name in person.household_address
            if person.phone:
                assert normalize_phone(person.phone) == person.phone
        assert sum(1 for p in people if p.phone) > len(people) * 0.8

    def test_it_writes_one_audit_entry_for_the_whole_seeding(self, seeded_demo):
        entry = AuditEntry.objects.get(object_type="core.person")
        assert (entry.action, entry.object_type) == (AuditAction.IMPORT, "core.person")
        assert entry.jurisdiction_code == "999901"
        assert entry.changes["people"] == 3000

    def test_it_changes_nothing_on_a_second_run(self, seeded_demo):
        before = (
            snapshot(),
            sorted(User.objects.values_list("username", "password")),
            Jurisdiction.objects.count(),
            AuditEntry.objects.count(),
        )

        out = seed()

        assert "999901" in out
        after = (
            snapshot(),
            sorted(User.objects.values_list("username", "password")),
            Jurisdiction.objects.count(),
            AuditEntry.objects.count(),
        )
        assert after == before


def test_it_plans_the_big_town_without_touching_the_database():
    qingshan, baishui = demo.plan_county("town")

    assert [v.code for v in qingshan.villages] == [f"999901100{n}" for n in range(201, 239)]
    assert sum(v.residents for v in qingshan.villages) == 120_000
    assert sum(v.residents for v in baishui.villages) == 600
    assert len({v.name for v in qingshan.villages}) == 38


def test_it_builds_the_same_people_on_every_run(db):
    seed()
    first = snapshot()
    seeding_entries = AuditEntry.objects.count()  # the seeding, the demo push list's import...
    assert seeding_entries >= 3

    seed("--reset")

    assert snapshot() == first
    assert first[0][2] != first[1][2]
    # The audit log is append-only: the reset adds its deletion and the new seeding's entries
    # again; it removes nothing.
    assert AuditEntry.objects.count() == 2 * seeding_entries + 1


def test_it_resets_even_when_demo_users_have_acted(db):
    seed()
    commander = User.objects.get(username="commander")
    record_audit(
        Actor(user=commander),
        AuditAction.EXPORT,
        object_type="core.person",
        object_id="",
        object_repr="青山镇名单",
        jurisdiction_code="999901100",
    )

    seed("--reset")

    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor_id, entry.actor_username) == (commander.pk, "commander")
    assert User.objects.get(username="commander").pk != commander.pk


def test_it_refuses_a_database_holding_other_people(db):
    village = create_jurisdiction("341721100201", "外县某村")
    make_person(village, "王金水")

    with pytest.raises(CommandError, match="999901"):
        call_command("seed_demo", "--reset", stdout=StringIO())

    assert Person.objects.count() == 1
    assert not Jurisdiction.objects.filter(code="999901").exists()


def test_it_refuses_to_replace_an_existing_account_without_reset(db):
    other_county = create_jurisdiction("341721", "外县")
    make_user("doctor", Role.DOCTOR, other_county)

    with pytest.raises(CommandError, match="doctor"):
        call_command("seed_demo", stdout=StringIO())
    assert not Jurisdiction.objects.filter(code="999901").exists()

    seed("--reset")

    assert User.objects.get(username="doctor").jurisdiction_id == "999901100"
