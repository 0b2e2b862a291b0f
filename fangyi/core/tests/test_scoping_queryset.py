"""`Model.objects.visible_to(user)`: each named user sees exactly their jurisdiction's people."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from fangyi.core.models import Jurisdiction, Person, User
from fangyi.core.roles import Role
from fangyi.core.scoping import code_upper_bound
from fangyi.core.services import set_user_role
from fangyi.testing import create_jurisdiction, make_person, make_user


@pytest.fixture
def people(people_everywhere):
    return people_everywhere


def _visible(user) -> set[str]:
    return set(Person.objects.visible_to(user).values_list("name", flat=True))


def test_it_shows_a_village_cadre_her_village_and_its_groups(alice, people):
    assert _visible(alice) == {"王金水", "李娜"}


def test_it_shows_the_other_village_cadre_only_his_village(bob, people):
    assert _visible(bob) == {"张伟"}


def test_it_shows_the_town_commander_her_whole_town(carol, people):
    assert _visible(carol) == {"王金水", "李娜", "张伟"}


def test_it_shows_the_other_towns_commander_only_his_town(frank, people):
    assert _visible(frank) == {"刘洋"}


def test_it_shows_the_auditor_his_town_masked_lists(dave, people):
    assert _visible(dave) == {"王金水", "李娜", "张伟"}


def test_it_shows_a_volunteer_nobody(erin, people):
    assert erin.jurisdiction_id == "999901100201"  # same village as alice
    assert _visible(erin) == set()


def test_it_shows_an_inactive_user_nobody(alice, people):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert _visible(User.objects.get(pk=alice.pk)) == set()


def test_it_shows_an_anonymous_visitor_nobody(people):
    assert _visible(AnonymousUser()) == set()
    assert _visible(None) == set()


def test_it_shows_a_superuser_without_jurisdiction_everybody(people):
    root = User.objects.create_superuser("root", "root@example.org", "x-very-long-password")

    assert _visible(root) == {"王金水", "李娜", "张伟", "刘洋"}


def test_it_limits_a_superuser_with_a_jurisdiction_to_it(people, village_b):
    root = User.objects.create_superuser("root", "", "x-very-long-password", jurisdiction=village_b)

    assert _visible(root) == {"张伟"}


def test_it_shows_a_user_without_jurisdiction_nobody(people):
    stray = User.objects.create_user("stray", password="x-very-long-password")
    set_user_role(stray, Role.TOWN_COMMANDER)
    stray = User.objects.get(pk=stray.pk)

    assert stray.has_perm("core.view_person")
    assert _visible(stray) == set()


def test_it_does_not_leak_to_a_sibling_village(alice, bob, people):
    assert "999901100202" not in set(
        Person.objects.visible_to(alice).values_list("jurisdiction_id", flat=True)
    )
    assert Person.objects.within("999901100201").filter(jurisdiction_id="999901100202").count() == 0


def test_it_does_not_leak_to_a_village_of_the_next_town(carol, people):
    codes = set(Person.objects.visible_to(carol).values_list("jurisdiction_id", flat=True))

    assert "999901101201" not in codes
    assert codes == {"999901100201", "999901100201001", "999901100202"}


def test_it_keeps_codes_ending_in_nine_apart_from_the_next_code(county):
    town_9 = create_jurisdiction("999901109", "九镇")
    create_jurisdiction("999901110", "十镇")
    village_9 = create_jurisdiction("999901109299", "九村")
    make_person(village_9, "九村人")
    make_person(create_jurisdiction("999901109201", "一村"), "一村人")
    make_person(create_jurisdiction("999901110201", "十镇村"), "十镇人")
    commander = make_user("nine", Role.TOWN_COMMANDER, town_9)
    cadre = make_user("ninety-nine", Role.VILLAGE_CADRE, village_9)

    assert _visible(commander) == {"九村人", "一村人"}
    assert _visible(cadre) == {"九村人"}


@pytest.mark.parametrize(
    "code, upper",
    [
        ("999901100201", "999901100202"),
        ("999901100", "999901101"),
        ("999901109", "99990111"),
        ("999901100299", "9999011003"),
        ("999901", "999902"),
        ("99", None),
    ],
)
def test_it_bounds_a_code_range_with_digits_only(code, upper):
    bound = code_upper_bound(code)

    assert bound == upper
    assert bound is None or bound.isdigit()


def _collations() -> list[str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collname FROM pg_collation WHERE collname IN ('und-x-icu', 'en-x-icu')"
            )
            return ['"C"', *(f'"{name}"' for (name,) in cursor.fetchall())]
    return ["BINARY", "NOCASE"]


@pytest.mark.parametrize(
    "code, inside, outside",
    [
        ("999901109", "999901109201", "999901110201"),
        ("999901109", "999901109999001", "99990111"),
        ("999901100299", "999901100299001", "999901100300"),
        ("999901100", "999901100202", "999901101201"),
    ],
)
def test_it_bounds_ranges_the_same_way_under_every_collation(db, code, inside, outside):
    upper = code_upper_bound(code)
    with connection.cursor() as cursor:
        for collation in _collations():
            in_range = (
                f"CAST(%s AS TEXT) >= CAST(%s AS TEXT) COLLATE {collation}"
                f" AND CAST(%s AS TEXT) < CAST(%s AS TEXT) COLLATE {collation}"
            )
            cursor.execute(
                f"SELECT {in_range}, {in_range}",
                [inside, code, inside, upper, outside, code, outside, upper],
            )
            inside_found, outside_found = cursor.fetchone()

            assert (bool(inside_found), bool(outside_found)) == (True, False), collation


def test_it_scopes_jurisdictions_without_a_permission(alice, village_b, group_a1):
    assert set(Jurisdiction.objects.visible_to(alice).values_list("code", flat=True)) == {
        "999901100201",
        "999901100201001",
    }


def test_it_filters_in_one_query_without_joins(alice, people, django_assert_num_queries):
    assert alice.has_perm("core.view_person")  # permissions are loaded once per user object
    queryset = Person.objects.visible_to(alice)

    with django_assert_num_queries(1):
        names = [person.name for person in queryset]

    assert sorted(names) == sorted(["王金水", "李娜"])
    assert "JOIN" not in str(queryset.query).upper()
