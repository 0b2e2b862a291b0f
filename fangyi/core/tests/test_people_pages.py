import pytest
from django.urls import reverse

from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.testing import make_person


@pytest.fixture
def client_for(client):
    """Logged in, reading the pages in Chinese (conftest's client_for reads them in English)."""

    def login(user):
        client.force_login(user)
        return client

    return login


def test_it_finds_people_by_pinyin_initials_full_pinyin_and_phone_tail(
    client_for, alice, village_a
):
    wang = make_person(village_a, "王金水", phone="13800001234")
    make_person(village_a, "张伟", phone="13800005678")
    client = client_for(alice)
    for query in ("wjs", "wangjinshui", "王金", "1234", wang.id_number, "13800001234"):
        page = client.get(reverse("people_list"), {"q": query}).content.decode()
        assert "王金水" in page, query
        assert "张伟" not in page, query


def test_it_shows_id_numbers_and_phones_masked_in_lists_and_detail(client_for, alice, village_a):
    person = make_person(village_a, "王金水")
    client = client_for(alice)
    for url in (reverse("people_list"), reverse("person_detail", args=[person.external_id])):
        page = client.get(url).content.decode()
        assert person.id_number not in page
        assert person.phone not in page
        assert person.id_number_masked in page
        assert person.phone_masked in page


def test_it_reveals_a_full_id_number_and_audits_it(client_for, alice, village_a):
    person = make_person(village_a)
    response = client_for(alice).post(
        reverse("person_reveal", args=[person.external_id, "id_number"])
    )
    assert response.status_code == 200
    assert person.id_number in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert (entry.actor, entry.object_id, entry.changes, entry.ip_address) == (
        alice,
        str(person.external_id),
        {"field": "id_number"},
        "127.0.0.1",
    )


def test_it_refuses_to_reveal_to_a_role_without_the_permission(client_for, dave, village_a):
    person = make_person(village_a)
    client = client_for(dave)
    detail = client.get(reverse("person_detail", args=[person.external_id])).content.decode()
    assert "reveal" not in detail
    response = client.post(reverse("person_reveal", args=[person.external_id, "phone"]))
    assert response.status_code == 403
    assert person.phone not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_keeps_what_was_typed_and_names_each_bad_field(client_for, alice, village_a):
    form = {
        "name": "刘小红",
        "id_number": "110101199003071234",
        "phone": "1380013800",
        "jurisdiction": village_a.code,
        "household_address": "东村5组8号",
        "current_address": "东村5组8号",
    }
    response = client_for(alice).post(reverse("person_create"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="id_number"' in page and 'data-field="phone"' in page
    assert 'data-field="name"' not in page
    for value in ("刘小红", "110101199003071234", "1380013800", "东村5组8号"):
        assert f'value="{value}"' in page
    assert not Person.objects.exists()


def test_it_registers_a_valid_person(client_for, alice, village_a):
    form = {
        "name": "刘小红",
        "id_number": "11010119900307123x".replace("123x", "0000"),
        "phone": "+86 138 0013 8000",
        "jurisdiction": village_a.code,
    }
    from datetime import date

    from fangyi.core.identity import compose_id_number

    form["id_number"] = compose_id_number("110101", date(1990, 3, 7), 123).lower()
    response = client_for(alice).post(reverse("person_create"), form)
    person = Person.objects.get()
    assert response.status_code == 302
    assert (person.phone, person.id_number) == ("13800138000", form["id_number"].upper())
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_id=str(person.external_id)
    ).exists()


def test_it_refuses_to_register_someone_in_another_village(client_for, alice, village_b):
    form = {"name": "刘小红", "jurisdiction": village_b.code}
    response = client_for(alice).post(reverse("person_create"), form)
    assert response.status_code == 200
    assert 'data-field="jurisdiction"' in response.content.decode()
    assert not Person.objects.exists()


def test_it_edits_without_needing_the_id_number_again(client_for, alice, village_a):
    person = make_person(village_a, "王金水")
    old_id = person.id_number
    response = client_for(alice).post(
        reverse("person_edit", args=[person.external_id]),
        {"name": "王金山", "jurisdiction": village_a.code, "current_address": "东村1组"},
    )
    person.refresh_from_db()
    assert response.status_code == 302
    assert (person.name, person.name_initials, Person.objects.get().id_number) == (
        "王金山",
        "wjs",
        old_id,
    )


def test_it_lists_people_in_a_constant_number_of_queries(
    client_for, alice, village_a, django_assert_max_num_queries
):
    for i in range(30):
        make_person(village_a, f"王{i}")
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("people_list"))
    assert response.status_code == 200


def test_it_shows_the_town_commander_counts_per_village(client_for, carol, village_a, village_b):
    make_person(village_a)
    make_person(village_a)
    make_person(village_b)
    page = client_for(carol).get(reverse("home")).content.decode()
    assert page.count("东村") >= 1 and page.count("西村") >= 1
    assert ">3<" in page


def test_it_forbids_the_people_list_to_volunteers(client_for, erin, village_a):
    make_person(village_a)
    assert client_for(erin).get(reverse("people_list")).status_code == 403


def test_it_lets_the_auditor_filter_the_audit_log(client_for, dave, alice, village_a):
    person = make_person(village_a, "王金水")
    client_for(alice).post(reverse("person_reveal", args=[person.external_id, "phone"]))
    client = client_for(dave)
    page = client.get(reverse("audit_log"), {"actor": "alice", "action": "reveal"}).content.decode()
    assert "王金水" in page and "alice" in page
    page = client.get(reverse("audit_log"), {"actor": "nobody"}).content.decode()
    assert "王金水" not in page


def test_it_pages_search_results_keeping_the_search(client_for, alice, village_a, settings):
    settings.PAGE_SIZE = 2
    for name in ("王一", "王二", "王三"):
        make_person(village_a, name)

    page = client_for(alice).get(reverse("people_list"), {"q": "王"}).content.decode()

    assert 'href="?q=%E7%8E%8B&amp;page=2"' in page
