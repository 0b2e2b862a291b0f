"""The release notice: an A4 PDF of a released order with the person's MASKED ID number (never
the full one), the period, checks, tests and the signing doctor; only for a released order,
only inside the user's jurisdiction, every download in the audit log."""

import subprocess
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry, QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine import notices, services
from fangyi.quarantine.models import OrderStatus
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    make_site,
    make_team,
    set_profile,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
TITLE = "Notice of release from quarantine and medical observation"
TITLE_ZH = "解除隔离医学观察通知书"


@pytest.fixture
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


@pytest.fixture
def doctor(team):
    return Actor(user=team[Role.DOCTOR], ip_address="10.0.0.9")


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


@pytest.fixture
def released(clock, team, doctor, zhang):
    """张三's 14-day home quarantine from 2020-02-01, every check made, tests negative, released
    by 孙医生 on 2020-02-15 at 09:30."""
    order = complete_order(make_order(zhang, start_date=FEB_1))
    clock.at = local_time(date(2020, 2, 15), 9, 30)
    services.release_order(doctor, order, note="期满解除")
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED
    return order


def notice_url(order) -> str:
    return reverse("quarantine:release_notice", kwargs={"external_id": order.external_id})


def pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def squeezed(text: str) -> str:
    return "".join(text.split())


def title_in_deployment_language() -> str:
    with translation.override("zh-hans"):
        return pgettext("release notice", TITLE)


def test_it_prints_the_notice_with_the_masked_id_number_only(client_for, carol, released, zhang):
    response = client_for(carol).get(notice_url(released))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "release-notice-999901100-20200215-" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    flat = squeezed(text)
    assert squeezed(title_in_deployment_language()) in flat
    assert "张三" in text
    assert zhang.id_number_masked in flat
    assert zhang.id_number not in flat
    assert zhang.id_number[4:-4] not in flat  # not even the hidden middle
    assert "孙医生" in text
    assert "2020-02-01" in text and "2020-02-15" in text and "2020-02-1509:30" in flat
    assert "东村3组12号" in text
    assert notices.notice_number(released) in flat
    assert "示范县" in text and "青山镇" in text
    info = subprocess.run(
        ["pdfinfo", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Pages:           1" in info and "(A4)" in info


def test_it_titles_the_notice_in_chinese(client_for, carol, released):
    if title_in_deployment_language() == TITLE:
        pytest.skip("the zh-Hans catalogue does not hold this app's strings yet (qsites.tsv)")
    text = pdf_text(client_for(carol).get(notice_url(released)).content)
    assert TITLE_ZH in squeezed(text)


def test_it_lists_the_checks_and_tests_of_the_period(released):
    text = notices.notice_text(released)
    assert (text.checks_done, text.checks_explained, text.checks_total) == (28, 0, 28)
    assert [t.day for t in text.tests] == [1, 4, 7, 14]
    assert text.days == 14 and text.start == FEB_1 and text.release_day == date(2020, 2, 15)
    assert text.doctor == "孙医生"
    assert text.town == "青山镇" and text.county == "示范县"


def test_it_renders_page_one_as_an_image(client_for, carol, released, tmp_path):
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(client_for(carol).get(notice_url(released)).content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, tmp_path / "p"],
        check=True,
    )
    from PIL import Image

    image = Image.open(tmp_path / "p.png")
    assert image.size[0] in (496, 497) and image.size[1] == 702  # A4 at 60 dpi
    assert image.convert("L").getextrema()[0] < 80  # there is ink on it


def test_it_writes_every_download_to_the_audit_log(client_for, carol, released, zhang):
    client = client_for(carol)
    client.get(notice_url(released), REMOTE_ADDR="10.1.2.3")
    client.get(notice_url(released), REMOTE_ADDR="10.1.2.3")
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert entries.count() == 2
    entry = entries.first()
    assert entry.actor == carol and entry.ip_address == "10.1.2.3"
    assert entry.object_type == "quarantine.quarantineorder"
    assert entry.object_id == str(released.external_id)
    assert entry.jurisdiction_code == released.jurisdiction_id
    assert zhang.id_number_masked in entry.object_repr
    assert zhang.id_number not in entry.object_repr


def test_it_says_why_a_running_order_has_no_notice(client_for, carol, clock, team, zhang):
    order = make_order(zhang, start_date=FEB_1)
    response = client_for(carol).get(notice_url(order))
    assert response.status_code == 409
    page = response.content.decode()
    assert "a release notice is printed only once the order is released (now: active)" in page
    assert reverse("quarantine:order", kwargs={"external_id": order.external_id}) in page
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_has_no_notice_for_a_transfer_to_hospital(client_for, carol, clock, team, zhang):
    order = make_order(zhang, start_date=FEB_1)
    services.transfer_to_hospital(Actor.system("test"), order, hospital="县人民医院")
    response = client_for(carol).get(notice_url(order))
    assert response.status_code == 409
    assert "transferred to hospital" in response.content.decode()


def test_it_gives_404_outside_the_jurisdiction(client_for, bob, frank, released):
    assert client_for(bob).get(notice_url(released)).status_code == 404
    assert client_for(frank).get(notice_url(released)).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_gives_the_notice_to_the_village_and_refuses_a_role_without_orders(
    client_for, alice, village_a, released
):
    assert client_for(alice).get(notice_url(released)).status_code == 200
    staff = make_user("sam", Role.CHECKPOINT_STAFF, village_a, "孙明")
    assert client_for(staff).get(notice_url(released)).status_code == 403


def test_it_asks_for_a_login(client, released):
    response = client.get(notice_url(released))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_covers_a_whole_chain_on_the_last_orders_notice(
    client_for, carol, clock, town, team, doctor, zhang
):
    set_profile(
        centralized_days=7, after_centralized_kind="home_monitoring", after_centralized_days=3
    )
    hotel = make_site(town)
    first = make_order(
        zhang,
        QuarantineKind.CENTRALIZED,
        start_date=FEB_1,
        site=hotel,
        room=hotel.rooms.get(number="102"),
        address="",
    )
    complete_order(first)
    clock.at = local_time(date(2020, 2, 8), 9, 0)
    second = services.release_order(doctor, first)
    client = client_for(carol)
    assert client.get(notice_url(first)).status_code == 409  # moved on: not released yet
    complete_order(second)
    clock.at = local_time(date(2020, 2, 11), 10, 0)
    services.release_order(doctor, second)
    second.refresh_from_db()
    text = notices.notice_text(second)
    assert [(p.days, p.start, p.end) for p in text.periods] == [
        (7, FEB_1, date(2020, 2, 8)),
        (3, date(2020, 2, 8), date(2020, 2, 11)),
    ]
    assert text.days == 10
    assert [t.day for t in text.tests] == [1, 4, 7, 8]  # home monitoring's day 1 is day 8
    assert "青山宾馆" in text.place and "102" in text.place
    client = client_for(carol)  # a new session: the clock moved past the last one's age
    pdf = pdf_text(client.get(notice_url(second)).content)
    assert "青山宾馆" in pdf and "2020-02-11" in pdf


def test_it_prints_what_people_typed_as_text_not_markup(
    client_for, carol, clock, doctor, village_a
):
    person = make_person(
        village_a, "王<b>五</b>", current_address='<img src="http://example.invalid/x.png">'
    )
    order = complete_order(make_order(person, start_date=FEB_1, address=""))
    clock.at = local_time(date(2020, 2, 15), 9, 30)
    services.release_order(doctor, order)
    text = pdf_text(client_for(carol).get(notice_url(order)).content)
    assert "王<b>五</b>" in text
    assert "example.invalid" in text
