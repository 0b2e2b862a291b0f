"""The roster's .xlsx and PDF in the familiar table layout (值班表): rows = checkpoint × shift
time, columns = days, the names (duty role in brackets) in the cells; scoped to the town, no
phone numbers, every download in the audit log."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangyi.core.models import AuditAction, AuditEntry
from fangyi.roster import services
from fangyi.roster.models import Assignment
from fangyi.roster.testing import SYSTEM, make_small_town

ROLES_EN = {
    "police": "police",
    "cadre": "cadre",
    "village_cadre": "village cadre",
    "volunteer": "volunteer",
}


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


@pytest.fixture
def solved(small):
    """Given: a 3-day roster from tomorrow, solved."""
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)
    services.solve_roster(SYSTEM, roster, time_limit=1)
    assert Assignment.objects.filter(shift__roster=roster).exists()
    return roster


def xlsx_url(roster, **query) -> str:
    url = reverse("roster:export_xlsx", kwargs={"pk": roster.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pdf_url(roster, **query) -> str:
    url = reverse("roster:export_pdf", kwargs={"pk": roster.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def read_sheet(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def pdf_text(content: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_it_puts_each_name_in_its_checkpoint_shift_and_day(client_for, carol, solved, small):
    response = client_for(carol).get(xlsx_url(solved))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = read_sheet(b"".join(response.streaming_content))
    title, headers = rows[0], rows[1]
    assert "青山镇" in title[0] and f"{solved.starts_on:%Y-%m-%d}" in title[0]
    assert f"{solved.ends_on:%Y-%m-%d}" in title[0]
    days = [solved.starts_on + timedelta(days=n) for n in range(3)]
    assert headers[:2] == ["checkpoint", "shift"]
    assert headers[2:5] == [f"{d:%-m/%-d} " + f"{d:%a}" for d in days]
    # Given the sheet: (checkpoint, time) -> row
    table = {(row[0], row[1]): row for row in rows[2:] if len(row) > 1 and row[1]}
    # two checkpoints × three 8-hour shifts
    assert len(table) == 6
    checked = 0
    for a in Assignment.objects.filter(shift__roster=solved).select_related(
        "shift__checkpoint", "staff"
    ):
        start = timezone.localtime(a.shift.starts_at)
        end = timezone.localtime(a.shift.ends_at)
        row = table[(a.shift.checkpoint.name, f"{start:%H:%M}–{end:%H:%M}")]
        cell = row[2 + (start.date() - solved.starts_on).days]
        assert f"{a.staff.name}（{ROLES_EN[a.staff.role]}）" in cell
        checked += 1
    assert checked == Assignment.objects.filter(shift__roster=solved).count() > 0
    footer = [row for row in rows if row and str(row[0]).startswith("Responsible")]
    assert footer and footer[0][0] == "Responsible: 陈可"
    assert f"Printed on {timezone.localdate():%Y-%m-%d}" in footer[0]


def test_it_exports_one_checkpoint_and_never_a_phone(client_for, carol, solved, small):
    someone = Assignment.objects.filter(shift__roster=solved).first().staff
    services.update_staff(SYSTEM, someone, phone="13812345678")

    rows = read_sheet(
        b"".join(
            client_for(carol).get(xlsx_url(solved, checkpoint=small.gate.pk)).streaming_content
        )
    )

    assert small.gate.name in rows[0][0]
    body = [row for row in rows[2:] if len(row) > 1 and row[1]]
    assert len(body) == 3 and {row[0] for row in body} == {small.gate.name}
    flat = " ".join(str(cell) for row in rows for cell in row)
    assert "13812345678" not in flat and "5678" not in flat


def test_it_says_how_many_people_a_shift_is_short(client_for, carol, small):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=1)  # never solved

    rows = read_sheet(b"".join(client_for(carol).get(xlsx_url(roster)).streaming_content))

    body = [row for row in rows[2:] if len(row) > 1 and row[1]]
    assert body and all(row[2] == "(2 short)" for row in body)


def test_it_prints_an_a4_landscape_pdf_with_the_names(client_for, carol, solved, small):
    response = client_for(carol).get(pdf_url(solved))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    info = subprocess.run(
        ["pdfinfo", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "841.89 x 595.276 pts (A4)" in info  # landscape: wider than high
    text = pdf_text(response.content)
    assert "青山镇" in text and small.entrance.name in text
    one = Assignment.objects.filter(shift__roster=solved).select_related("staff").first()
    assert one.staff.name in text
    assert "Responsible: 陈可" in text


def test_it_prints_a_four_week_roster_a_table_a_week(client_for, carol, small):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=15)

    response = client_for(carol).get(pdf_url(roster, checkpoint=small.gate.pk))

    info = subprocess.run(
        ["pdfinfo", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages == 3  # 7 + 7 + 1 days


def test_it_writes_each_download_to_the_audit_log(client_for, carol, solved):
    client = client_for(carol)
    client.get(xlsx_url(solved))
    client.get(pdf_url(solved))

    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="roster.roster")
    assert [e.changes["document"] for e in entries.order_by("id")] == ["xlsx", "pdf"]
    assert {e.actor_username for e in entries} == {"carol"}
    assert {e.jurisdiction_code for e in entries} == {solved.town_id}


def test_it_is_a_404_for_another_town_and_for_a_checkpoint_not_on_the_roster(
    client_for, frank, carol, solved, other_town
):
    from fangyi.checkpoints.testing import make_checkpoint

    for url in (xlsx_url(solved), pdf_url(solved)):
        assert client_for(frank).get(url).status_code == 404
    elsewhere = make_checkpoint(other_town, "白水镇入口")
    client = client_for(carol)
    for bad in (elsewhere.pk, "abc", 999999):
        assert client.get(xlsx_url(solved, checkpoint=bad)).status_code == 404
        assert client.get(pdf_url(solved, checkpoint=bad)).status_code == 404
    assert client.get(reverse("roster:export_xlsx", kwargs={"pk": 999999})).status_code == 404
    assert not AuditEntry.objects.filter(object_type="roster.roster").exists()


def test_it_needs_the_view_permission_and_a_login(client, client_for, erin, solved):
    assert client.get(xlsx_url(solved)).status_code == 302  # to the login page
    assert client_for(erin).get(xlsx_url(solved)).status_code == 403  # no roster.view_roster


def test_it_reads_a_roster_in_a_fixed_number_of_queries(
    client_for, carol, solved, django_assert_max_num_queries
):
    client = client_for(carol)
    client.get(xlsx_url(solved))  # the session and permissions, once

    with django_assert_max_num_queries(6):
        response = client.get(xlsx_url(solved))
        b"".join(response.streaming_content)
    with django_assert_max_num_queries(6):
        assert client.get(pdf_url(solved)).status_code == 200
