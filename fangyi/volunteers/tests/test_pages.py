"""The volunteers pages: registry, teams, open requests (overdue first), request detail, my
tasks, the town's summary. Query counts on lists; another village's rows are a 404."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangyi.core.models import AuditEntry
from fangyi.volunteers import services
from fangyi.volunteers.models import RequestStatus, ServiceRequest, Volunteer, VolunteerTeam
from fangyi.volunteers.testing import SYSTEM, in_hours, make_request, make_volunteer


def detail(request) -> str:
    return reverse("volunteers:request", kwargs={"external_id": request.external_id})


def test_it_lists_volunteers_with_masked_phones_and_hours(
    client_for, alice, village_a, village_b, django_assert_max_num_queries
):
    for n in range(8):
        make_volunteer(village_a, f"东{n}", phone=f"1380000000{n}")
    make_volunteer(village_b, "西村人", phone="13900000009")
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("volunteers:volunteers"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "138****0003" in body and "13800000003" not in body
    assert "西村人" not in body


def test_it_registers_a_volunteer_and_keeps_input_on_errors(client_for, alice, village_a):
    client = client_for(alice)
    url = reverse("volunteers:volunteer_create")
    data = {"name": "新人", "phone": "123", "jurisdiction": village_a.code, "availability": "any"}
    response = client.post(url, data)
    assert response.status_code == 400 and "新人" in response.content.decode()
    data["phone"] = "13700001111"
    data["skills"] = ["errands"]
    response = client.post(url, data)
    assert response.status_code == 302
    assert Volunteer.objects.get(name="新人").skills == ["errands"]


def test_it_offers_only_accounts_not_linked_to_another_volunteer(
    client_for, alice, village_a, erin, erin_volunteer, gina
):
    client = client_for(alice)
    # the new volunteer's form offers gina's account (free), not erin's (linked to 吴尔)
    response = client.get(reverse("volunteers:volunteer_create"))
    choices = dict(response.context["form"].fields["user"].choices)
    assert gina.pk in choices and erin.pk not in choices
    # editing 吴尔 still offers her own account
    response = client.get(reverse("volunteers:volunteer_edit", args=[erin_volunteer.pk]))
    assert erin.pk in dict(response.context["form"].fields["user"].choices)
    # a posted linked account is refused, and nothing is saved
    data = {
        "name": "新人",
        "phone": "13700001112",
        "jurisdiction": village_a.code,
        "availability": "any",
        "user": erin.pk,
    }
    response = client.post(reverse("volunteers:volunteer_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["user"]
    assert not Volunteer.objects.filter(name="新人").exists()


def test_it_refuses_editing_another_villages_volunteer(client_for, bob, village_a):
    volunteer = make_volunteer(village_a, "东村人")
    response = client_for(bob).get(reverse("volunteers:volunteer_edit", args=[volunteer.pk]))
    assert response.status_code == 404


def test_it_adds_teams_and_sets_a_leader(
    client_for, alice, village_a, erin_volunteer, django_assert_max_num_queries
):
    client = client_for(alice)
    response = client.post(
        reverse("volunteers:teams"), {"name": "党员先锋队", "jurisdiction": village_a.code}
    )
    assert response.status_code == 302
    team = VolunteerTeam.objects.get(name="党员先锋队")
    client.post(reverse("volunteers:team_leader", args=[team.pk]), {"leader": erin_volunteer.pk})
    team.refresh_from_db()
    assert team.leader == erin_volunteer
    with django_assert_max_num_queries(10):
        body = client.get(reverse("volunteers:teams")).content.decode()
    assert "党员先锋队" in body and "吴尔" in body


def test_it_lists_open_requests_overdue_first(
    client_for, alice, village_a, village_b, erin_volunteer, django_assert_max_num_queries
):
    soon = make_request(village_a, details="晚一点", needed_by=in_hours(5))
    late = make_request(village_a, details="早就该送", needed_by=in_hours(0.1))
    ServiceRequest.objects.filter(pk=late.pk).update(needed_by=timezone.now() - timedelta(hours=1))
    for n in range(6):
        make_request(village_a, details=f"其他{n}", needed_by=in_hours(6 + n))
    make_request(village_b, details="西村的", household_name="赵", address="西村")
    client = client_for(alice)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("volunteers:requests"))
    body = response.content.decode()
    assert body.index("早就该送") < body.index("晚一点")
    assert 'class="request-row overdue"' in body
    assert "西村的" not in body
    assert soon.household_name in body


def test_it_dispatches_from_the_list(client_for, alice, village_a, erin_volunteer):
    request = make_request(village_a)
    client = client_for(alice)
    response = client.post(
        reverse("volunteers:dispatch", kwargs={"external_id": request.external_id}),
        {"volunteer": erin_volunteer.pk, "next": "list"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("volunteers:requests")
    request.refresh_from_db()
    assert request.volunteer == erin_volunteer


def test_it_raises_a_request_for_a_running_order_of_the_village(
    client_for, alice, village_a, order
):
    client = client_for(alice)
    assert "王金水" in client.get(reverse("volunteers:request_create")).content.decode()
    needed = timezone.localtime(in_hours(3))
    response = client.post(
        reverse("volunteers:request_create"),
        {
            "requester_kind": "quarantine",
            "order": order.pk,
            "jurisdiction": village_a.code,
            "kind": "groceries",
            "details": "大米",
            "needed_by_0": needed.strftime("%Y-%m-%d"),
            "needed_by_1": needed.strftime("%H:%M"),
            "client_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.order == order and request.address == "东村3组12号"


def test_it_shows_a_request_with_its_history_and_hides_it_from_bob(
    client_for, alice, bob, village_a, erin_volunteer
):
    request = make_request(village_a, phone="13900001111")
    services.dispatch_request(SYSTEM, request, volunteer=erin_volunteer)
    body = client_for(alice).get(detail(request)).content.decode()
    assert "request-history" in body and "dispatched to" in body
    assert "139****1111" in body and "13900001111" not in body
    assert client_for(bob).get(detail(request)).status_code == 404


def test_it_reveals_the_phone_with_an_audit_entry(client_for, alice, village_a):
    request = make_request(village_a, phone="13900001111")
    response = client_for(alice).post(
        reverse("volunteers:request_phone", kwargs={"external_id": request.external_id})
    )
    assert "13900001111" in response.content.decode()
    assert AuditEntry.objects.filter(object_id=str(request.external_id), action="reveal").exists()


def test_it_shows_a_volunteer_only_their_tasks(
    client_for, erin, gina, erin_volunteer, gina_volunteer, village_a, django_assert_max_num_queries
):
    ginas = make_request(village_a, details="甘娜的活")
    services.dispatch_request(SYSTEM, ginas, volunteer=gina_volunteer)
    free = make_request(village_a, details="没人接的")
    client = client_for(erin)
    with django_assert_max_num_queries(10):
        body = client.get(reverse("volunteers:mine")).content.decode()
    assert "没人接的" in body and "甘娜的活" not in body
    assert client.get(detail(ginas)).status_code == 404
    assert client.get(detail(free)).status_code == 200
    assert (
        client.post(
            reverse("volunteers:accept", kwargs={"external_id": ginas.external_id})
        ).status_code
        == 404
    )


def test_it_accepts_and_delivers_with_a_photo_from_my_tasks(
    client_for, erin, erin_volunteer, village_a, alice
):
    request = make_request(village_a)
    client = client_for(erin)
    client.post(reverse("volunteers:accept", kwargs={"external_id": request.external_id}))
    done = reverse("volunteers:done", kwargs={"external_id": request.external_id})
    response = client.post(done, {"note": "", "hours": "1"})
    assert response.status_code == 400 and "add a note or a photo" in response.content.decode()
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(done, {"photo": bad, "hours": "1"})
    assert "JPEG or PNG" in response.content.decode()
    photo = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 50, content_type="image/jpeg")
    assert client.post(done, {"photo": photo, "hours": "1.5"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    photo_url = reverse("volunteers:request_photo", kwargs={"external_id": request.external_id})
    assert client_for(alice).get(photo_url).status_code == 200


def test_it_says_so_when_the_account_is_not_a_volunteer(client_for, alice):
    assert (
        "not linked to a volunteer"
        in client_for(alice).get(reverse("volunteers:mine")).content.decode()
    )


def test_it_summarises_the_town(
    client_for,
    carol,
    alice,
    village_a,
    village_b,
    erin,
    erin_volunteer,
    django_assert_max_num_queries,
):
    make_request(village_a)
    late = make_request(village_a)
    ServiceRequest.objects.filter(pk=late.pk).update(needed_by=timezone.now() - timedelta(hours=1))
    done = make_request(village_b, household_name="赵", address="西村", kind="medicine")
    hank = make_volunteer(village_b, "韩克")
    services.dispatch_request(SYSTEM, done, volunteer=hank)
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("volunteers:summary")).content.decode()
    assert 'data-village="999901100201"' in body and 'data-village="999901100202"' in body
    assert 'id="total-overdue">1<' in body
    body = client_for(alice).get(reverse("volunteers:summary")).content.decode()
    assert 'data-village="999901100202"' not in body


@pytest.mark.parametrize("name", ["volunteers", "teams", "requests", "summary"])
def test_it_refuses_a_volunteer_the_cadres_pages(client_for, erin, name):
    assert client_for(erin).get(reverse(f"volunteers:{name}")).status_code == 403
