"""The tracing pages through the test client: the cases list (and chain list), reporting a
case, the case page and each of its actions, with bad input shown back, and the scoping
(another village's or town's case is a 404)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.quarantine.models import QuarantineOrder
from fangyi.quarantine.testing import make_site, make_team
from fangyi.testing import make_person, unique_id_number
from fangyi.tracing import services
from fangyi.tracing.models import Case, Contact, Degree, Relation, TrajectoryEntry
from fangyi.tracing.tests.builders import make_case, register_car


def today():
    return timezone.localdate()


@pytest.fixture
def wang(village_a):
    return make_person(village_a, "王金水", current_address="东村3组12号")


@pytest.fixture
def li(village_a):
    return make_person(village_a, "李娜", current_address="东村5组1号")


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


@pytest.fixture
def case(wang, li, gate):
    register_car(
        gate,
        [wang, li, {"name": "孙八", "id_number": unique_id_number()}],
        at=timezone.now() - timedelta(days=1),
    )
    return make_case(wang, onset_date=today() - timedelta(days=1))


def case_url(case, name="tracing:case"):
    return reverse(name, kwargs={"external_id": case.external_id})


# The list ------------------------------------------------------------------------------------


def test_it_lists_cases_with_their_counts_in_a_bounded_number_of_queries(
    client_for, carol, village_a, django_assert_max_num_queries
):
    actor = Actor(user=carol)
    for n in range(6):
        case = make_case(make_person(village_a, f"病例{n}"))
        for m in range(2):
            services.add_contact(
                actor,
                case,
                make_person(village_a, f"密接{n}{m}"),
                degree=Degree.CLOSE,
                relation=Relation.WORK,
            )
    client = client_for(carol)
    client.get(reverse("tracing:cases"))  # warm the session and permission caches
    with django_assert_max_num_queries(6):
        response = client.get(reverse("tracing:cases"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="case-row') == 6
    assert body.count('data-count="close">close <b>2</b>') == 6


def test_it_filters_by_classification_and_groups_a_case_under_its_source(
    client_for, carol, wang, li
):
    first = make_case(wang)
    services.add_contact(Actor(user=carol), first, li, degree=Degree.CLOSE, relation="work")
    second = make_case(li, "suspected")
    client = client_for(carol)
    body = client.get(reverse("tracing:cases") + "?classification=suspected").content.decode()
    assert f'data-case="{second.external_id}"' in body
    assert f'data-case="{first.external_id}"' not in body
    body = client.get(reverse("tracing:cases") + "?group=chains").content.decode()
    assert body.index("王金水") < body.index("李娜")
    assert "a contact of case 王金水" in body and 'class="case-row derived"' in body


# Reporting -----------------------------------------------------------------------------------


def test_it_reports_a_case_found_by_the_search(client_for, carol, wang):
    client = client_for(carol)
    found = client.get(reverse("tracing:report") + "?q=wjs", HTTP_HX_REQUEST="true")
    assert found.status_code == 200 and str(wang.external_id) in found.content.decode()
    response = client.post(
        reverse("tracing:report"),
        {"person": wang.external_id, "classification": "confirmed", "hospital": "县人民医院"},
    )
    case = Case.objects.get(person=wang)
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert case.hospital == "县人民医院"


def test_it_shows_the_report_s_problems_and_keeps_what_was_typed(client_for, carol, wang):
    response = client_for(carol).post(
        reverse("tracing:report"),
        {
            "person": wang.external_id,
            "classification": "confirmed",
            "report_date": today().isoformat(),
            "onset_date": (today() + timedelta(days=2)).isoformat(),
            "hospital": "县人民医院",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "the onset cannot be after the report date" in body
    assert 'value="县人民医院"' in body and "王金水" in body
    assert not Case.objects.exists()


def test_it_preselects_the_person_from_their_page(client_for, carol, wang):
    url = reverse("tracing:report") + f"?person={wang.external_id}"
    body = client_for(carol).get(url).content.decode()
    assert f'value="{wang.external_id}" checked' in body


def test_a_village_cadre_may_not_report(client_for, alice):
    assert client_for(alice).get(reverse("tracing:report")).status_code == 403


# The case page -------------------------------------------------------------------------------


def test_the_case_page_shows_trajectory_candidates_and_the_chain(client_for, carol, case):
    response = client_for(carol).get(case_url(case))
    body = response.content.decode()
    assert response.status_code == 200
    assert "东村村口 皖R·12345 in" in body  # pulled when the case was reported
    assert body.count('class="candidate"') == 2  # 李娜 and 孙八 (not registered)
    assert "not registered as a person" in body
    assert 'id="chain-data"' in body and 'data-nodes="1"' in body
    assert "vendor/echarts.min.js" in body and "tracing/chain.js" in body


def test_it_pulls_registrations_from_the_button(client_for, carol, case, gate, wang):
    register_car(gate, [wang], plate="皖R54321", direction="out")
    response = client_for(carol).post(case_url(case, "tracing:pull"), follow=True)
    assert "1 checkpoint registration added to the trajectory." in response.content.decode()
    assert case.trajectory.count() == 2


def test_it_adds_a_place_and_shows_a_bad_one_back(client_for, carol, case):
    client = client_for(carol)
    moment = timezone.localtime() - timedelta(days=1)
    good = {
        "kind": "market",
        "place": "青山农贸市场",
        "starts_at": moment.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(case_url(case, "tracing:trajectory_add"), good).status_code == 302
    assert case.trajectory.filter(place="青山农贸市场").exists()
    bad = good | {
        "place": "县医院",
        "ends_at": (moment - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(case_url(case, "tracing:trajectory_add"), bad)
    body = response.content.decode()
    assert response.status_code == 422
    assert "the end is before the start" in body and 'value="县医院"' in body
    assert not TrajectoryEntry.objects.filter(place="县医院").exists()


def test_one_tap_adds_a_suggested_passenger_as_a_close_contact(client_for, carol, case):
    client = client_for(carol)
    body = client.get(case_url(case)).content.decode()
    key = re.search(r'data-key="([^"]+)">\s*<div class="row-body">\s*<strong>孙八', body)[1]
    response = client.post(case_url(case, "tracing:candidate_add"), {"key": key}, follow=True)
    contact = Contact.objects.get(case=case)
    assert contact.degree == Degree.CLOSE and contact.relation == Relation.VEHICLE
    assert f"{contact.person.name} is added as a close contact." in response.content.decode()
    again = client.post(case_url(case, "tracing:candidate_add"), {"key": key}, follow=True)
    assert "no longer offered" in again.content.decode()
    assert Contact.objects.count() == 1


def test_it_adds_a_secondary_contact_by_hand(client_for, carol, case, li, village_b):
    services.add_contact(Actor(user=carol), case, li, degree=Degree.CLOSE, relation="vehicle")
    zhang = make_person(village_b, "张伟")
    client = client_for(carol)
    form = client.get(case_url(case, "tracing:contact_add")).content.decode()
    assert "李娜" in form  # offered as the source
    response = client.post(
        case_url(case, "tracing:contact_add"),
        {"person": zhang.external_id, "degree": "secondary", "relation": "household"},
    )
    assert "choose the close contact this person was in contact with" in response.content.decode()
    response = client.post(
        case_url(case, "tracing:contact_add"),
        {
            "person": zhang.external_id,
            "degree": "secondary",
            "relation": "household",
            "source": li.external_id,
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get(person=zhang).source_id == li.pk


def test_it_puts_the_checked_contacts_under_quarantine(
    client_for, carol, case, li, town, village_a
):
    make_team(town, village_a)
    make_site(town)
    contact = services.add_contact(Actor(user=carol), case, li, degree="close", relation="work")
    client = client_for(carol)
    body = client.get(case_url(case)).content.decode()
    assert f'name="contacts" value="{contact.pk}"' in body
    response = client.post(
        case_url(case, "tracing:quarantine"), {"contacts": [contact.pk]}, follow=True
    )
    order = QuarantineOrder.objects.get(person=li)
    body = response.content.decode()
    assert "1 person put under quarantine: 李娜" in body
    assert f"until {order.planned_end_date:%m-%d}" in body
    assert f'name="contacts" value="{contact.pk}"' not in body


def test_it_says_why_contacts_cannot_be_put_under_quarantine(client_for, carol, case, li):
    contact = services.add_contact(Actor(user=carol), case, li, degree="close", relation="work")
    client = client_for(carol)
    response = client.post(
        case_url(case, "tracing:quarantine"), {"contacts": [contact.pk]}, follow=True
    )
    assert "free rooms for 1 people" in response.content.decode()
    response = client.post(case_url(case, "tracing:quarantine"), {}, follow=True)
    assert "choose the contacts to put under quarantine" in response.content.decode()
    assert not QuarantineOrder.objects.exists()


def test_it_changes_the_classification(client_for, carol, case):
    response = client_for(carol).post(
        case_url(case, "tracing:reclassify"), {"classification": "cleared"}, follow=True
    )
    assert "The case is now excluded." in response.content.decode()
    case.refresh_from_db()
    assert case.classification == "cleared"


# Scoping -------------------------------------------------------------------------------------


def test_another_village_or_town_cannot_read_or_change_the_case(client_for, bob, frank, case):
    for user in (bob, frank):
        client = client_for(user)
        assert client.get(case_url(case)).status_code == 404
        for name in ("tracing:pull", "tracing:quarantine", "tracing:candidate_add"):
            assert client.post(case_url(case, name)).status_code in (403, 404)
        assert "王金水" not in client.get(reverse("tracing:cases")).content.decode()
    assert case.trajectory.count() == 1


def test_the_village_cadre_reads_her_village_s_case_but_does_not_change_it(client_for, alice, case):
    client = client_for(alice)
    body = client.get(case_url(case)).content.decode()
    assert "王金水" in body and "Pull checkpoint registrations" not in body
    assert client.post(case_url(case, "tracing:pull")).status_code == 403
    assert 'class="candidate"' not in body


def test_the_case_page_reads_a_bounded_number_of_queries_whatever_its_contacts(
    client_for, carol, case, village_a, django_assert_max_num_queries
):
    actor = Actor(user=carol)
    close = [make_person(village_a, f"密接{n}") for n in range(8)]
    for person in close:
        services.add_contact(actor, case, person, degree=Degree.CLOSE, relation=Relation.WORK)
    for n in range(8):
        services.add_contact(
            actor,
            case,
            make_person(village_a, f"次密接{n}"),
            degree=Degree.SECONDARY,
            relation=Relation.HOUSEHOLD,
            source=close[n],
        )
    client = client_for(carol)
    client.get(case_url(case))
    with django_assert_max_num_queries(22):
        response = client.get(case_url(case))
    assert response.content.decode().count('class="pick contact-row') == 16
    assert 'data-nodes="17"' in response.content.decode()
