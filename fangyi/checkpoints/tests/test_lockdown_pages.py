"""Village lockdown pages: sealing a village (and every bad input), one lockdown with its exits,
passes and refused attempts, lifting it, issuing and revoking passes, the printable pass, and
who may see and do what."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangyi.checkpoints import services
from fangyi.checkpoints.models import CheckpointStatus, Lockdown, Pass, Result
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile
from fangyi.testing import make_person

SYSTEM = Actor.system("test")
FORMAT = "%Y-%m-%dT%H:%M"


def local(moment) -> str:
    return timezone.localtime(moment).strftime(FORMAT)


@pytest.fixture
def gates(village_a, village_b, other_town_village):
    return {
        "east_1": make_checkpoint(village_a, "东村东口"),
        "east_2": make_checkpoint(village_a, "东村西口"),
        "west": make_checkpoint(village_b, "西村村口"),
        "baishui": make_checkpoint(other_town_village, "白水村口"),
    }


@pytest.fixture
def sealed(gates, village_a):
    """东村 sealed an hour ago with its east exit manned."""
    return services.seal_village(
        SYSTEM,
        village_a,
        reason="发现密切接触者",
        exits=[gates["east_1"]],
        starts_at=timezone.now() - timedelta(hours=1),
    )


def seal(client, village, exits, **values):
    data = {"village": village.code, "reason": "发现密切接触者", "exits": [e.pk for e in exits]}
    data.update(values)
    return client.post(reverse("checkpoints:lockdown_seal"), data)


def errors_of(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_it_seals_a_village_from_the_form(client_for, carol, gates, village_a):
    starts = timezone.now().replace(second=0, microsecond=0)
    response = seal(
        client_for(carol), village_a, [gates["east_1"], gates["east_2"]], starts_at=local(starts)
    )

    lockdown = Lockdown.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("checkpoints:lockdown", args=[lockdown.pk])
    assert lockdown.village == village_a and lockdown.sealed_by == carol
    assert lockdown.starts_at == starts
    days = DiseaseProfile.current().lockdown_days
    assert lockdown.planned_end_at == starts + timedelta(days=days)  # the profile's default
    assert set(lockdown.exits.all()) == {gates["east_1"], gates["east_2"]}
    gates["east_1"].refresh_from_db()
    assert gates["east_1"].status == CheckpointStatus.SEALED_EXIT


def test_it_offers_the_villages_checkpoints_as_exits(client_for, carol, gates, village_a):
    client = client_for(carol)
    page = client.get(reverse("checkpoints:lockdown_seal")).content.decode()
    assert "东村" in page and "西村" in page and "白水村" not in page  # villages of her town
    assert "东村东口" not in page  # no village chosen yet

    fragment = client.get(
        reverse("checkpoints:lockdown_seal"), {"village": village_a.code}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.startswith('<fieldset class="field exits')
    assert "东村东口" in fragment and "东村西口" in fragment and "西村村口" not in fragment


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("no exits", "exits", "choose at least one exit"),
        ("another village's exit", "exits", "not checkpoints of 东村: 西村村口"),
        ("end before start", "planned_end_at", "must be after the start"),
        ("no reason", "reason", "give the reason"),
        ("another town's checkpoint", "exits", "outside your jurisdiction"),
        ("bad time", "starts_at", "valid date/time"),
    ],
)
def test_it_refuses_bad_seals_and_keeps_what_was_typed(
    client_for, carol, gates, village_a, case, field, message
):
    now = timezone.now()
    values = {
        "no exits": {"exits": []},
        "another village's exit": {"exits": [gates["east_1"].pk, gates["west"].pk]},
        "end before start": {
            "starts_at": local(now + timedelta(days=2)),
            "planned_end_at": local(now + timedelta(days=1)),
        },
        "no reason": {"reason": "  "},
        "another town's checkpoint": {"exits": [gates["baishui"].pk]},
        "bad time": {"starts_at": "tomorrow-ish"},
    }[case]
    data = {"village": village_a.code, "reason": "发现密切接触者", "exits": [gates["east_1"].pk]}
    data.update(values)

    response = client_for(carol).post(reverse("checkpoints:lockdown_seal"), data)

    assert response.status_code == 200 and not Lockdown.objects.exists()
    assert any(message in error for error in errors_of(response)[field]), errors_of(response)
    assert f'data-field="{field}"' in response.content.decode()
    if case == "no reason":
        assert 'value="' + str(gates["east_1"].pk) + '" checked' in response.content.decode()


def test_it_reports_every_problem_at_once(client_for, carol, gates, village_a):
    now = timezone.now()
    response = seal(
        client_for(carol),
        village_a,
        [],
        reason="",
        starts_at=local(now + timedelta(days=2)),
        planned_end_at=local(now),
    )
    assert set(errors_of(response)) == {"exits", "reason", "planned_end_at"}


def test_it_refuses_to_seal_a_village_twice(client_for, carol, sealed, gates, village_a):
    response = seal(client_for(carol), village_a, [gates["east_2"]])
    assert "东村 is already sealed" in errors_of(response)["village"][0]
    assert Lockdown.objects.count() == 1


def test_it_refuses_a_village_outside_the_town(client_for, frank, gates, village_a):
    response = seal(client_for(frank), village_a, [gates["east_1"]])
    assert "outside your jurisdiction" in errors_of(response)["village"][0]
    assert not Lockdown.objects.exists()


def test_it_lets_only_the_town_seal_lift_and_issue(client_for, alice, sealed, village_a, gates):
    client = client_for(alice)  # a village cadre: sees her village's lockdown, changes nothing
    assert client.get(reverse("checkpoints:lockdown", args=[sealed.pk])).status_code == 200
    assert client.get(reverse("checkpoints:lockdown_seal")).status_code == 403
    assert client.post(reverse("checkpoints:lockdown_lift", args=[sealed.pk])).status_code == 403
    assert client.get(reverse("checkpoints:pass_issue", args=[sealed.pk])).status_code == 403
    page = client.get(reverse("checkpoints:lockdown", args=[sealed.pk])).content.decode()
    assert 'id="lift-form"' not in page and 'id="issue-pass"' not in page
    sealed.refresh_from_db()
    assert sealed.lifted_at is None


def test_it_hides_a_villages_lockdown_from_other_villages_and_towns(
    client_for, bob, frank, erin, sealed, village_a
):
    resident = make_person(village_a, "孙通")
    travel_pass = issue(sealed, resident)
    for user in (bob, frank):
        client = client_for(user)
        assert "东村" not in client.get(reverse("checkpoints:lockdowns")).content.decode()
        assert client.get(reverse("checkpoints:lockdown", args=[sealed.pk])).status_code == 404
        assert client.get(reverse("checkpoints:pass", args=[travel_pass.code])).status_code == 404
    assert (
        client_for(frank).post(reverse("checkpoints:lockdown_lift", args=[sealed.pk])).status_code
        == 404
    )
    assert (
        client_for(frank)
        .post(reverse("checkpoints:pass_revoke", args=[travel_pass.code]))
        .status_code
        == 404
    )
    assert client_for(erin).get(reverse("checkpoints:lockdowns")).status_code == 403
    travel_pass.refresh_from_db()
    sealed.refresh_from_db()
    assert travel_pass.revoked_at is None and sealed.lifted_at is None


def issue(lockdown, person, **values) -> Pass:
    now = timezone.now()
    values = {
        "reason": "就医",
        "valid_from": now - timedelta(minutes=30),
        "valid_until": now + timedelta(hours=6),
        **values,
    }
    return services.issue_pass(SYSTEM, lockdown, person, **values)


def attempt(checkpoint, **passenger):
    data = {
        "id": str(uuid.uuid4()),
        "checkpoint": checkpoint.code,
        "direction": "out",
        "plate": "",
        "result": "passed",
        "passengers": [{"name": "钱闯", "phone": "13900001234", **passenger}],
    }
    with translation.override("en"):
        return services.record_registration(SYSTEM, data).registration


def test_it_lists_active_and_lifted_lockdowns(client_for, carol, sealed, village_b, gates):
    old = services.seal_village(
        SYSTEM, village_b, reason="旧的封闭", exits=[gates["west"]], starts_at=timezone.now()
    )
    services.lift_lockdown(SYSTEM, old, note="解除")
    page = client_for(carol).get(reverse("checkpoints:lockdowns")).content.decode()
    active = page.split('id="active-lockdowns"', 1)[1].split("</ul>", 1)[0]
    lifted = page.split('id="lifted-lockdowns"', 1)[1].split("</ul>", 1)[0]
    assert "东村" in active and "西村" not in active
    assert "西村" in lifted and "1 exit" in active


def test_it_shows_exits_passes_and_refused_attempts(client_for, carol, sealed, village_a, gates):
    holder = make_person(village_a, "孙通")
    travel_pass = issue(sealed, holder)
    refused = attempt(gates["east_1"])
    passed = attempt(
        gates["east_1"], name="", person_id=str(holder.external_id), pass_code=travel_pass.code
    )
    assert refused.result == Result.REFUSED and passed.result == Result.PASSED

    page = client_for(carol).get(reverse("checkpoints:lockdown", args=[sealed.pk])).content.decode()
    exits = page.split('id="exits"', 1)[1].split("</ul>", 1)[0]
    assert "东村东口" in exits and "东村西口" not in exits
    passes = page.split('id="passes"', 1)[1].split("</ul>", 1)[0]
    assert travel_pass.code in passes and "孙通" in passes and "valid now" in passes
    attempts = page.split('id="attempts"', 1)[1].split("</ul>", 1)[0]
    assert reverse("checkpoints:registration", args=[refused.external_id]) in attempts
    assert reverse("checkpoints:registration", args=[passed.external_id]) not in attempts
    assert 'id="lift-form"' in page and 'id="issue-pass"' in page


def test_it_lifts_a_lockdown_with_a_note(client_for, carol, sealed, gates):
    client = client_for(carol)
    url = reverse("checkpoints:lockdown_lift", args=[sealed.pk])
    response = client.post(url, {"note": "连续14天无新增"})

    assert response.status_code == 302
    sealed.refresh_from_db()
    gates["east_1"].refresh_from_db()
    assert sealed.lifted_at is not None and sealed.lifted_by == carol
    assert sealed.lift_note == "连续14天无新增"
    assert gates["east_1"].status == CheckpointStatus.OPEN
    lifted_at = sealed.lifted_at

    again = client.post(url, {"note": "again"}, follow=True)
    assert "already lifted" in again.content.decode()
    sealed.refresh_from_db()
    assert sealed.lifted_at == lifted_at and sealed.lift_note == "连续14天无新增"
    assert client.get(url).status_code == 405


def pass_form(client, lockdown, holder, **values):
    now = timezone.now()
    data = {
        "person": str(holder.external_id),
        "reason": "就医",
        "valid_from": local(now),
        "valid_until": local(now + timedelta(hours=8)),
        **values,
    }
    return client.post(reverse("checkpoints:pass_issue", args=[lockdown.pk]), data)


def test_it_finds_the_person_and_issues_a_pass(client_for, carol, sealed, village_a, group_a1):
    sun = make_person(group_a1, "孙通")
    make_person(village_a, "李四")
    client = client_for(carol)
    url = reverse("checkpoints:pass_issue", args=[sealed.pk])
    found = client.get(url, {"q": "孙"}, HTTP_HX_REQUEST="true").content.decode()
    assert found.startswith('<div class="radios candidates"') and "孙通" in found
    assert "李四" not in found and sun.id_number not in found

    response = pass_form(client, sealed, sun)

    travel_pass = Pass.objects.get()
    assert response.status_code == 302
    assert travel_pass.person == sun and travel_pass.issued_by == carol
    assert travel_pass.reason == "就医" and travel_pass.lockdown == sealed


def test_it_offers_only_people_of_the_sealed_village(client_for, carol, sealed, village_b):
    stranger = make_person(village_b, "孙西")
    client = client_for(carol)
    page = client.get(reverse("checkpoints:pass_issue", args=[sealed.pk]), {"q": "孙"})
    assert "孙西" not in page.content.decode()
    response = pass_form(client, sealed, stranger)
    assert "choose a person of 东村" in errors_of(response)["person"][0]
    assert not Pass.objects.exists()


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("end before start", "valid_until", "must end after it starts"),
        ("outlasting the lockdown", "valid_until", "cannot outlast"),
        ("no reason", "reason", "give the reason"),
        ("no person", "person", "choose the person"),
        ("bad time", "valid_from", "valid date/time"),
    ],
)
def test_it_refuses_bad_passes(client_for, carol, sealed, village_a, case, field, message):
    person = make_person(village_a, "孙通")
    now = timezone.now()
    values = {
        "end before start": {
            "valid_from": local(now + timedelta(hours=5)),
            "valid_until": local(now + timedelta(hours=1)),
        },
        "outlasting the lockdown": {"valid_until": local(now + timedelta(days=60))},
        "no reason": {"reason": ""},
        "no person": {"person": ""},
        "bad time": {"valid_from": "soon"},
    }[case]
    response = pass_form(client_for(carol), sealed, person, **values)
    assert response.status_code == 200 and not Pass.objects.exists()
    assert any(message in error for error in errors_of(response)[field]), errors_of(response)
    if case != "no person":  # the chosen person stays chosen
        assert f'value="{person.external_id}" checked' in response.content.decode()


def test_it_refuses_a_pass_for_a_lifted_lockdown(client_for, carol, sealed, village_a):
    person = make_person(village_a, "孙通")
    services.lift_lockdown(SYSTEM, sealed)
    client = client_for(carol)
    response = pass_form(client, sealed, person)
    assert response.status_code == 200 and not Pass.objects.exists()
    assert "no longer needed" in response.content.decode()
    page = client.get(reverse("checkpoints:pass_issue", args=[sealed.pk]), follow=True)
    assert "no longer needed" in page.content.decode()
    assert 'id="issue-pass"' not in page.content.decode()


def test_it_revokes_a_pass(client_for, carol, sealed, village_a, gates):
    holder = make_person(village_a, "孙通")
    travel_pass = issue(sealed, holder)
    client = client_for(carol)
    assert (
        client.get(reverse("checkpoints:pass_revoke", args=[travel_pass.code])).status_code == 405
    )

    response = client.post(reverse("checkpoints:pass_revoke", args=[travel_pass.code]))

    assert response.status_code == 302
    travel_pass.refresh_from_db()
    assert travel_pass.revoked_at is not None
    refused = attempt(
        gates["east_1"], name="", person_id=str(holder.external_id), pass_code=travel_pass.code
    )
    assert refused.result == Result.REFUSED


def test_it_prints_a_pass_with_its_qr_code(client_for, carol, alice, sealed, village_a):
    holder = make_person(village_a, "孙通")
    travel_pass = issue(sealed, holder)
    for user in (carol, alice):
        response = client_for(user).get(reverse("checkpoints:pass", args=[travel_pass.code]))
        page = response.content.decode()
        assert response.status_code == 200
        assert travel_pass.code in page and "孙通" in page and "就医" in page
        assert "<svg" in page and holder.id_number not in page
        assert holder.id_number_masked in page
        assert "<script>" not in page  # the CSP forbids inline scripts
    lower = reverse("checkpoints:pass", args=[travel_pass.code.lower()])
    assert client_for(carol).get(lower).status_code == 200
    assert client_for(carol).get(reverse("checkpoints:pass", args=["PNOSUCH1"])).status_code == 404


# In real Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_seals_a_village_and_issues_a_pass_on_a_phone(page_for, carol, alice, gates, village_a):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    make_person(village_a, "孙通")
    make_person(village_a, "孙丽")
    page = page_for(carol, 360)
    page.goto(reverse("checkpoints:lockdowns"))
    screenshot(page, "lockdown-list-empty-360")
    page.click("#seal-village")
    page.select_option("#id_village", village_a.code)  # htmx lists 东村's checkpoints
    expect(page.locator("#exits input[name=exits]")).to_have_count(2)
    page.check(f"#exits input[value='{gates['east_1'].pk}']")
    page.fill("#id_reason", "发现密切接触者，整村封闭")
    screenshot(page, "lockdown-seal-360")
    page.click("#seal-submit")
    page.wait_for_url("**/checkpoints/lockdowns/*/")
    lockdown = Lockdown.objects.get()
    expect(page.locator("#exits li")).to_have_count(1)

    page.click("#issue-pass")
    page.fill("#id_q", "孙")  # htmx shows the matching residents of 东村
    expect(page.locator("#candidates input[name=person]")).to_have_count(2)
    page.check("#candidates label:has-text('孙通') input")
    page.fill("#id_reason", "就医")
    screenshot(page, "pass-issue-360")
    page.click("#pass-submit")
    page.wait_for_url(f"**{reverse('checkpoints:lockdown', args=[lockdown.pk])}")
    expect(page.locator("#passes li")).to_have_count(1)
    attempt(gates["east_1"])  # someone without a pass is refused at the exit
    page.reload()
    expect(page.locator("#attempts li.refused")).to_have_count(1)
    screenshot(page, "lockdown-detail-360")

    travel_pass = Pass.objects.get()
    page.goto(reverse("checkpoints:pass", args=[travel_pass.code]))
    expect(page.locator("#pass-card svg")).to_be_visible()
    screenshot(page, "pass-print-360")

    desk = page_for(carol, 1280)
    desk.goto(reverse("checkpoints:lockdown", args=[lockdown.pk]))
    screenshot(desk, "lockdown-detail-1280")
    desk.goto(reverse("checkpoints:lockdowns"))
    screenshot(desk, "lockdown-list-1280")
    desk.goto(reverse("checkpoints:pass", args=[travel_pass.code]))
    screenshot(desk, "pass-print-1280")
    desk.goto(reverse("checkpoints:lockdown_seal") + f"?village={village_a.code}")
    screenshot(desk, "lockdown-seal-1280")

    village = page_for(alice, 360)  # the village cadre sees it, without the town's buttons
    village.goto(reverse("checkpoints:lockdown", args=[lockdown.pk]))
    expect(village.locator("#lift-form")).to_have_count(0)
    expect(village.locator("#passes li")).to_have_count(1)
