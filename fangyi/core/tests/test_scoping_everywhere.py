"""A village cadre must not reach another village's person through ANY page or API path.

The test walks every URL pattern that takes a record id (`<uuid:…>` in pages, `<…_id>` in the
API), so pages added later are covered too.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.testing import make_person

ID_PARAM = re.compile(r"<(uuid:\w+|\w+_id)>")


def _uuid_routes(patterns, prefix="") -> list[str]:
    routes = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _uuid_routes(pattern.url_patterns, route)
        elif (
            isinstance(pattern, URLPattern)
            and ID_PARAM.search(route)
            and not route.startswith("admin/")
        ):
            routes.append(route)
    return routes


def _fill(route: str, uuid: str) -> str:
    route = ID_PARAM.sub(uuid, route)
    route = re.sub(r"<str:field>", "id_number", route)
    return "/" + re.sub(r"<[^>]+>", "x", route.replace("^", "").replace("$", ""))


ROUTES = _uuid_routes(get_resolver().url_patterns)


def test_it_found_the_person_routes_to_check():
    assert any(r.startswith("people/") for r in ROUTES)
    assert any(r.startswith("api/") for r in ROUTES)


@pytest.mark.parametrize("route", ROUTES)
def test_it_hides_another_villages_person_on_every_path(client, alice, village_b, route):
    stranger = make_person(village_b, "赵秘密")
    client.force_login(alice)
    url = _fill(route, str(stranger.external_id))
    for response in (
        client.get(url),
        client.post(url, {"field": "id_number"}, content_type="application/json"),
    ):
        allowed = (403, 404, 405)
        if url.startswith("/api/") and response.request["REQUEST_METHOD"] == "POST":
            # An endpoint with a body checks the body's shape before it looks the record up;
            # a 422 speaks of this request only (the body is checked for leaks below).
            allowed += (422,)
        assert response.status_code in allowed, (url, response.status_code)
        body = response.content.decode()
        assert "赵秘密" not in body and stranger.id_number not in body


def test_it_hides_another_villages_person_from_a_bearer_token(client, alice, village_a, village_b):
    ApiToken.objects.create(user=alice, name="t", digest=token_digest("secret-token"))
    mine, theirs = make_person(village_a, "王金水"), make_person(village_b, "赵秘密")
    auth = {"HTTP_AUTHORIZATION": "Bearer secret-token"}
    listed = client.get("/api/v1/people", **auth).json()
    assert [p["name"] for p in listed["items"]] == ["王金水"]
    assert client.get(f"/api/v1/people/{mine.external_id}", **auth).status_code == 200
    assert client.get(f"/api/v1/people/{theirs.external_id}", **auth).status_code == 404
    assert client.get("/api/v1/people", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
