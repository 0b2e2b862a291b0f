"""The volunteers services: registry, requests and their life (new → accepted → done →
confirmed, or cancelled), the rules on who may do what, photos and hours, and bad input."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangyi.core.audit import Actor
from fangyi.core.models import AuditEntry
from fangyi.quarantine.models import OrderStatus, QuarantineOrder
from fangyi.quarantine.testing import local_time
from fangyi.volunteers import services
from fangyi.volunteers.models import (
    RequestChannel,
    RequesterKind,
    RequestStatus,
    ServiceKind,
    ServiceRequest,
    VolunteerTeam,
)
from fangyi.volunteers.testing import SYSTEM, in_hours, make_request, make_volunteer

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200


def act(user) -> Actor:
    return Actor(user=user, ip_address="10.0.0.1")


def errors_of(info) -> dict:
    return info.value.message_dict


def release(order: QuarantineOrder, day: date = date(2026, 2, 14)) -> None:
    # The release service needs the whole period recorded; the status is what matters here.
    QuarantineOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.RELEASED, ended_at=local_time(day, 10)
    )
    order.refresh_from_db()


# Volunteers and teams ------------------------------------------------------------------------


def test_it_registers_a_volunteer_with_an_encrypted_phone(alice, village_a):
    volunteer = services.register_volunteer(
        act(alice),
        name=" 张志愿 ",
        phone="+86 138-0013-8000",
        jurisdiction=village_a,
        skills=["errands", "driving"],
        party_member=True,
    )
    volunteer.refresh_from_db()
    assert volunteer.name == "张志愿"
    assert volunteer.phone == "13800138000"
    assert volunteer.phone_masked == "138****8000"
    assert b"13800138000" not in bytes(volunteer.phone_cipher)
    assert volunteer.party_member


def test_it_refuses_bad_volunteer_input_all_at_once(alice, village_a):
    with pytest.raises(ValidationError) as info:
        services.register_volunteer(
            act(alice),
            name="",
            phone="12345",
            jurisdiction=village_a,
            skills=["flying"],
            availability="never",
        )
    assert set(errors_of(info)) == {"name", "phone", "skills", "availability"}


def test_it_refuses_a_phone_registered_twice(alice, village_a):
    make_volunteer(village_a, phone="13800138000")
    with pytest.raises(ValidationError) as info:
        make_volunteer(village_a, "另一个", phone="13800138000")
    assert "already registered" in errors_of(info)["phone"][0]


def test_it_refuses_registering_in_another_village(alice, village_b):
    with pytest.raises(PermissionDenied):
        services.register_volunteer(
            act(alice), name="张", phone="13800138000", jurisdiction=village_b
        )


def test_it_refuses_a_team_of_another_village(alice, village_a, village_b):
    team = services.save_team(SYSTEM, VolunteerTeam(name="西村队", jurisdiction=village_b))
    with pytest.raises(ValidationError) as info:
        services.register_volunteer(
            act(alice), name="张", phone="13800138000", jurisdiction=village_a, team=team
        )
    assert "team" in errors_of(info)


def test_it_sets_a_team_leader_who_joins_the_team(alice, village_a, erin_volunteer):
    team = services.save_team(act(alice), VolunteerTeam(name="东村队", jurisdiction=village_a))
    services.set_team_leader(act(alice), team, erin_volunteer)
    erin_volunteer.refresh_from_db()
    team.refresh_from_db()
    assert team.leader == erin_volunteer and erin_volunteer.team == team
    with pytest.raises(ValidationError):
        services.save_team(act(alice), VolunteerTeam(name="东村队", jurisdiction=village_a))


def test_it_updates_a_volunteer_keeping_the_phone_when_empty(alice, erin_volunteer):
    phone = erin_volunteer.phone
    services.update_volunteer(act(alice), erin_volunteer, name="吴尔二", phone="", active=False)
    erin_volunteer.refresh_from_db()
    assert (erin_volunteer.name, erin_volunteer.phone, erin_volunteer.active) == (
        "吴尔二",
        phone,
        False,
    )


def test_it_refuses_an_account_linked_to_another_volunteer_with_the_other_errors(
    alice, village_a, erin, erin_volunteer, gina_volunteer
):
    # when alice registers someone with erin's account (erin's already) and a bad phone
    with pytest.raises(ValidationError) as info:
        services.register_volunteer(
            act(alice), name="新人", phone="12345", jurisdiction=village_a, user=erin
        )
    # then both are reported at once
    errors = errors_of(info)
    assert set(errors) == {"phone", "user"}
    assert errors["user"] == ["this account is already linked to another volunteer"]

    # and moving erin's account to gina is refused too, while erin keeps hers
    with pytest.raises(ValidationError) as info:
        services.update_volunteer(act(alice), gina_volunteer, user=erin)
    assert "already linked" in errors_of(info)["user"][0]
    services.update_volunteer(act(alice), erin_volunteer, name="吴尔二", user=erin)
    erin_volunteer.refresh_from_db()
    assert erin_volunteer.user == erin and erin_volunteer.name == "吴尔二"


def test_it_refuses_bob_editing_alices_volunteer(bob, erin_volunteer):
    with pytest.raises(PermissionDenied):
        services.update_volunteer(act(bob), erin_volunteer, name="x")


# Raising requests ----------------------------------------------------------------------------


def test_it_takes_the_households_name_and_address_from_the_order(alice, village_a, order):
    request = services.create_request(
        act(alice),
        jurisdiction=village_a,
        kind=ServiceKind.GROCERIES,
        details="大米",
        needed_by=in_hours(2),
        order=order,
    )
    assert (request.household_name, request.address) == ("王金水", "东村3组12号")
    assert request.channel == RequestChannel.STAFF and request.status == RequestStatus.NEW
    assert list(request.events.values_list("status", "actor_username")) == [("new", "alice")]


def test_it_refuses_a_request_for_a_released_order(alice, village_a, order):
    release(order)
    with pytest.raises(ValidationError) as info:
        make_request(village_a, order=order)
    message = errors_of(info)["order"][0]
    assert message.startswith("this person's quarantine has ended (released 2/14)")
    assert not ServiceRequest.objects.exists()


def test_it_refuses_a_quarantine_request_without_an_order(village_a):
    with pytest.raises(ValidationError) as info:
        make_request(village_a, requester_kind=RequesterKind.QUARANTINE)
    assert "order" in errors_of(info)


def test_it_refuses_an_order_of_another_village(village_b, order):
    with pytest.raises(ValidationError) as info:
        make_request(village_b, order=order)
    assert "another village" in errors_of(info)["order"][0]


def test_it_refuses_bad_request_input_all_at_once(village_a):
    with pytest.raises(ValidationError) as info:
        make_request(
            village_a,
            kind="caviar",
            details=" ",
            needed_by=in_hours(-5),
            household_name="",
            address="",
            phone="123",
        )
    assert set(errors_of(info)) == {
        "kind",
        "details",
        "needed_by",
        "household_name",
        "address",
        "phone",
    }


def test_it_refuses_alice_raising_a_request_in_bobs_village(alice, village_b):
    with pytest.raises(PermissionDenied):
        services.create_request(
            act(alice),
            jurisdiction=village_b,
            kind="groceries",
            details="米",
            needed_by=in_hours(2),
            requester_kind="elderly",
            household_name="王",
            address="西村",
        )


def test_it_makes_a_retry_with_the_same_client_id_one_request(village_a):
    client_id = uuid.uuid4()
    first = make_request(village_a, client_id=client_id)
    again = make_request(village_a, client_id=client_id)
    assert first == again and ServiceRequest.objects.count() == 1


# The household's link ------------------------------------------------------------------------


def test_it_takes_a_request_from_the_households_link(token, order, village_a):
    client_id = uuid.uuid4()
    request = services.request_from_household(
        token, kind="medicine", details="降压药", needed_by=in_hours(4), client_id=client_id
    )
    again = services.request_from_household(
        token, kind="medicine", details="降压药", needed_by=in_hours(4), client_id=client_id
    )
    assert request == again and ServiceRequest.objects.count() == 1
    assert request.jurisdiction == village_a and request.order == order
    assert request.channel == RequestChannel.SELF_REPORT
    assert request.events.get().actor_username == services.HOUSEHOLD


def test_it_refuses_the_households_link_once_the_order_is_released(token, order):
    release(order)
    with pytest.raises(ValidationError):
        services.request_from_household(
            token, kind="medicine", details="药", needed_by=in_hours(4), client_id=uuid.uuid4()
        )


def test_it_refuses_an_unknown_token(order):
    with pytest.raises(PermissionDenied):
        services.request_from_household(
            "nope", kind="medicine", details="药", needed_by=in_hours(4), client_id=uuid.uuid4()
        )


# Dispatch, accept, deliver, confirm ----------------------------------------------------------


def test_it_walks_a_request_from_new_to_confirmed(
    alice, erin, erin_volunteer, village_a, order, token
):
    request = make_request(village_a, order=order)
    services.dispatch_request(act(alice), request, volunteer=erin_volunteer)
    services.accept_request(act(erin), request)
    services.complete_request(act(erin), request, note="放门口了", hours="1.5")
    services.confirm_from_household(token, request.external_id)
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED
    assert request.confirmed_via == RequestChannel.SELF_REPORT
    assert request.hours == Decimal("1.5") and request.delivery_note == "放门口了"
    assert list(request.events.values_list("status", flat=True)) == [
        "new",
        "new",
        "accepted",
        "done",
        "confirmed",
    ]


def test_it_refuses_a_volunteer_accepting_anothers_task(
    alice, gina, erin_volunteer, gina_volunteer, village_a
):
    request = make_request(village_a)
    services.dispatch_request(act(alice), request, volunteer=erin_volunteer)
    with pytest.raises(PermissionDenied):
        services.accept_request(act(gina), request)
    request.refresh_from_db()
    assert request.status == RequestStatus.NEW


def test_it_lets_a_volunteer_take_an_undispatched_request_of_their_village_only(
    erin, erin_volunteer, hank_volunteer, village_a, village_b
):
    mine = make_request(village_a)
    services.accept_request(act(erin), mine)
    mine.refresh_from_db()
    assert mine.volunteer == erin_volunteer and mine.status == RequestStatus.ACCEPTED
    theirs = make_request(village_b, household_name="赵爷爷", address="西村")
    with pytest.raises(PermissionDenied):
        services.accept_request(act(erin), theirs)


def test_it_lets_a_team_member_take_a_request_given_to_the_team(
    alice, erin, gina, erin_volunteer, gina_volunteer, village_a
):
    team = services.save_team(SYSTEM, VolunteerTeam(name="一队", jurisdiction=village_a))
    services.update_volunteer(SYSTEM, erin_volunteer, team=team)
    request = make_request(village_a)
    services.dispatch_request(act(alice), request, team=team)
    with pytest.raises(PermissionDenied):
        services.accept_request(act(gina), request)  # not in the team
    services.accept_request(act(erin), request)


def test_it_refuses_accepting_without_a_volunteer_record(alice, village_a):
    with pytest.raises(PermissionDenied):
        services.accept_request(act(alice), make_request(village_a))


def test_it_refuses_dispatching_to_a_volunteer_of_another_village(alice, hank_volunteer, village_a):
    with pytest.raises(ValidationError) as info:
        services.dispatch_request(act(alice), make_request(village_a), volunteer=hank_volunteer)
    assert "another village" in errors_of(info)["volunteer"][0]


def test_it_refuses_bob_dispatching_alices_request(bob, erin_volunteer, village_a):
    with pytest.raises(PermissionDenied):
        services.dispatch_request(act(bob), make_request(village_a), volunteer=erin_volunteer)


@pytest.fixture
def accepted(erin, erin_volunteer, village_a):
    request = make_request(village_a)
    services.accept_request(act(erin), request)
    return request


def test_it_refuses_done_without_a_note_or_a_photo(erin, accepted):
    with pytest.raises(ValidationError) as info:
        services.complete_request(act(erin), accepted, note="  ")
    assert errors_of(info)["note"] == ["add a note or a photo of the delivery"]


def test_it_refuses_an_oversized_photo(erin, accepted):
    big = services.Photo(JPEG + b"\0" * services.PHOTO_MAX_BYTES)
    with pytest.raises(ValidationError) as info:
        services.complete_request(act(erin), accepted, photo=big)
    assert "larger than 5 MB" in errors_of(info)["photo"][0]
    upload = SimpleUploadedFile("big.jpg", JPEG + b"\0" * services.PHOTO_MAX_BYTES)
    with pytest.raises(ValidationError):
        services.read_upload(upload)


def test_it_refuses_a_photo_that_is_not_an_image(erin, accepted):
    with pytest.raises(ValidationError) as info:
        services.complete_request(act(erin), accepted, photo=services.Photo(b"%PDF-1.4 hello"))
    assert errors_of(info)["photo"] == ["the photo must be a JPEG or PNG picture"]
    accepted.refresh_from_db()
    assert accepted.status == RequestStatus.ACCEPTED


def test_it_stores_a_delivery_photo_under_the_upload_dir(settings, erin, accepted):
    upload = SimpleUploadedFile("door.png", PNG, content_type="image/png")
    services.complete_request(act(erin), accepted, photo=services.read_upload(upload), hours=2)
    accepted.refresh_from_db()
    assert accepted.delivery_photo.startswith(
        "service-photos/"
    ) and accepted.delivery_photo.endswith(".png")
    assert (settings.UPLOAD_DIR / accepted.delivery_photo).read_bytes() == PNG


def test_it_refuses_bad_hours(erin, accepted):
    for bad in ("lots", "-1", "25", "NaN"):
        with pytest.raises(ValidationError) as info:
            services.complete_request(act(erin), accepted, note="ok", hours=bad)
        assert "hours" in errors_of(info)


def test_it_refuses_done_by_another_volunteer(gina, gina_volunteer, accepted):
    with pytest.raises(PermissionDenied):
        services.complete_request(act(gina), accepted, note="我送的")


def test_it_refuses_done_before_accepting(erin, erin_volunteer, village_a):
    with pytest.raises(ValidationError):
        services.complete_request(act(erin), make_request(village_a), note="x")


def test_it_sums_hours_per_volunteer(erin, erin_volunteer, village_a, alice):
    from fangyi.volunteers.selectors import volunteers_with_hours

    for hours in ("1.5", "2"):
        request = make_request(village_a)
        services.accept_request(act(erin), request)
        services.complete_request(act(erin), request, note="ok", hours=hours)
    row = volunteers_with_hours(alice).get(pk=erin_volunteer.pk)
    assert row.hours_served == Decimal("3.5") and row.tasks_done == 2


def test_it_refuses_confirming_before_delivery_and_anothers_request(
    token, accepted, village_a, order
):
    with pytest.raises(ValidationError):
        services.confirm_request(SYSTEM, accepted)
    with pytest.raises(PermissionDenied):
        services.confirm_from_household(token, accepted.external_id)  # not this order's


def test_it_cancels_with_a_reason_only(alice, village_a):
    request = make_request(village_a)
    with pytest.raises(ValidationError):
        services.cancel_request(act(alice), request, " ")
    services.cancel_request(act(alice), request, "家属已自行解决")
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert request.events.last().note == "家属已自行解决"
    with pytest.raises(ValidationError):
        services.cancel_request(act(alice), request, "again")


def test_it_writes_the_reveal_of_a_households_phone_to_the_audit_log(alice, village_a):
    request = make_request(village_a, phone="13900001111")
    assert services.reveal_request_phone(act(alice), request) == "13900001111"
    entry = AuditEntry.objects.get(object_id=str(request.external_id))
    assert entry.actor == alice and entry.action == "reveal"


def test_it_refuses_a_dispatch_after_the_request_is_done(alice, erin, erin_volunteer, accepted):
    services.complete_request(act(erin), accepted, note="ok")
    with pytest.raises(ValidationError):
        services.dispatch_request(act(alice), accepted, volunteer=erin_volunteer)
