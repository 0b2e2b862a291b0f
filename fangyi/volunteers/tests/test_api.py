"""The volunteers API: my tasks, accept and done from the phone (another's task a 403, another
village's a 404, a rule a 400), the scoped list of requests."""

import pytest

from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.volunteers import services
from fangyi.volunteers.models import RequestStatus
from fangyi.volunteers.testing import SYSTEM, make_request

TASKS = "/api/v1/volunteers/tasks"
REQUESTS = "/api/v1/volunteers/requests"


def bearer(user) -> dict:
    secret = f"token-{user.username}"
    ApiToken.objects.get_or_create(
        user=user, name="phone", defaults={"digest": token_digest(secret)}
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


def url(request, action: str) -> str:
    return f"{REQUESTS}/{request.external_id}/{action}"


@pytest.fixture
def world(village_a, village_b, erin_volunteer, gina_volunteer):
    mine = make_request(village_a, details="给吴尔的")
    services.dispatch_request(SYSTEM, mine, volunteer=erin_volunteer)
    ginas = make_request(village_a, details="给甘娜的")
    services.dispatch_request(SYSTEM, ginas, volunteer=gina_volunteer)
    free = make_request(village_a, details="没人接")
    west = make_request(village_b, household_name="赵", address="西村", details="西村的")
    return {"mine": mine, "ginas": ginas, "free": free, "west": west}


def test_it_lists_my_tasks(client, erin, world):
    response = client.get(TASKS, **bearer(erin))
    assert response.status_code == 200
    assert sorted(t["details"] for t in response.json()) == ["没人接", "给吴尔的"]
    assert all(t["can_accept"] for t in response.json())


def test_it_accepts_and_delivers(client, erin, world):
    response = client.post(url(world["mine"], "accept"), **bearer(erin))
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    response = client.post(
        url(world["mine"], "done"), {"note": "放门口", "hours": "1"}, **bearer(erin)
    )
    assert response.status_code == 200, response.json()
    world["mine"].refresh_from_db()
    assert world["mine"].status == RequestStatus.DONE and world["mine"].delivery_note == "放门口"


def test_it_refuses_done_without_a_note_or_photo(client, erin, world):
    client.post(url(world["mine"], "accept"), **bearer(erin))
    response = client.post(url(world["mine"], "done"), {"hours": "1"}, **bearer(erin))
    assert response.status_code == 400
    assert "note or a photo" in response.json()["detail"]


def test_it_refuses_another_volunteers_task_and_another_villages(client, erin, world):
    assert client.post(url(world["ginas"], "accept"), **bearer(erin)).status_code == 404
    assert client.post(url(world["west"], "accept"), **bearer(erin)).status_code == 404
    world["ginas"].refresh_from_db()
    assert world["ginas"].status == RequestStatus.NEW


def test_it_scopes_the_request_list(client, alice, bob, erin, world):
    rows = client.get(REQUESTS + "?status=open", **bearer(alice)).json()
    assert sorted(r["details"] for r in rows) == ["没人接", "给吴尔的", "给甘娜的"]
    rows = client.get(REQUESTS, **bearer(bob)).json()
    assert [r["details"] for r in rows] == ["西村的"]
    rows = client.get(REQUESTS, **bearer(erin)).json()
    assert sorted(r["details"] for r in rows) == ["没人接", "给吴尔的"]
    assert client.get(REQUESTS + "?status=lost", **bearer(alice)).status_code == 422


def test_it_needs_a_token(client, world):
    assert client.get(TASKS).status_code == 401


def test_it_takes_a_delivery_photo_and_refuses_a_non_image(client, erin, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(url(world["mine"], "accept"), **bearer(erin))
    bad = SimpleUploadedFile("x.jpg", b"GIF89a...", content_type="image/jpeg")
    response = client.post(url(world["mine"], "done"), {"photo": bad}, **bearer(erin))
    assert response.status_code == 400 and "JPEG or PNG" in response.json()["detail"]
    good = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64, content_type="image/jpeg")
    response = client.post(
        url(world["mine"], "done"), {"photo": good, "hours": "2"}, **bearer(erin)
    )
    assert response.status_code == 200, response.json()
    world["mine"].refresh_from_db()
    assert world["mine"].delivery_photo.endswith(".jpg") and world["mine"].hours == 2
