"""Push-list pages: upload → column mapping → background import → outcome, error sheet, list."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from python_calamine import CalamineWorkbook

from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.ledger import services
from fangyi.ledger.models import (
    ImportMapping,
    ImportStatus,
    LedgerEntry,
    PushList,
    VerificationTask,
)
from fangyi.ledger.tasks import import_push_list_task
from fangyi.ledger.testing import (
    PUSH_LIST_HEADERS,
    RECEIVED,
    import_file,
    write_push_list_file,
)
from fangyi.testing import unique_id_number, unique_phone

BAD_ID = "4.20102E+17"  # an ID number Excel turned into scientific notation


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path) -> Path:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


def pushed_rows(count: int = 3) -> list[list[object]]:
    """`count` good people (the first in 东村, the second in 西村), then a bad row and a repeat."""
    rows = []
    for i in range(count):
        address = ("青山镇东村3组", "青山镇西村1组", "青山镇")[i % 3]
        rows.append(
            [
                f"王{i}号",
                unique_id_number(),
                unique_phone(),
                "湖北省武汉市",
                "2020-01-25",
                "火车",
                "G1234",
                address,
            ]
        )
    rows.append(["李坏", BAD_ID, "13800000000", "湖北省武汉市", "2020-01-25", "", "", "青山镇东村"])
    rows.append(list(rows[0]))  # the first person again: merged
    return rows


def upload(client, path: Path, **values):
    form = {
        "source": "county",
        "category": "returnee",
        "received_at": "2020-01-28T08:00",
        "deadline_hours": "24",
        "town": "999901100",
        "name": "",
        **values,
    }
    with path.open("rb") as file:
        return client.post(reverse("ledger:pushlist_upload"), {**form, "file": file})


def mapping_post(push_list: PushList, mapping: dict[str, int], **extra) -> dict[str, str]:
    return {
        **{f"col_{key}": str(index) for key, index in mapping.items()},
        "action": "import",
        **extra,
    }


@pytest.fixture
def run_worker(monkeypatch):
    """Run the queued tasks here, as `fangyi db_worker` does. The worker closes connections
    between tasks (process hygiene), which would end the test's transaction: not here."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    return run


def test_it_uploads_maps_imports_in_the_background_and_shows_the_outcome(
    client_for,
    carol,
    village_a,
    village_b,
    tmp_path,
    run_worker,
    django_capture_on_commit_callbacks,
):
    client = client_for(carol)
    path = write_push_list_file(tmp_path / "县推送0128.xlsx", pushed_rows())

    response = upload(client, path, name="县推送第1批")
    push_list = PushList.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("ledger:pushlist_mapping", args=[push_list.external_id])
    assert (push_list.name, push_list.status) == ("县推送第1批", ImportStatus.AWAITING_MAPPING)
    assert push_list.deadline_at - push_list.received_at == timedelta(hours=24)

    page = client.get(response.url).content.decode()
    assert 'id="header-row">row 1 of the sheet' in page
    assert "王0号" in page and "湖北省武汉市" in page  # the preview
    assert '<option value="1" selected>B · 身份证号码</option>' in page
    assert 'id="missing-columns"' not in page

    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        response = client.post(
            reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
            mapping_post(push_list, push_list.mapping),
        )
    detail_url = reverse("ledger:pushlist_detail", args=[push_list.external_id])
    assert response.url == detail_url
    page = client.get(detail_url).content.decode()
    assert 'data-status="queued"' in page and 'hx-trigger="every 1s"' in page

    run_worker()

    progress = client.get(reverse("ledger:pushlist_progress", args=[push_list.external_id]))
    page = progress.content.decode()
    assert 'data-status="done"' in page and "hx-trigger" not in page  # polling stops
    for figure, value in (("rows", 5), ("imported", 3), ("merged", 1), ("errors", 1)):
        shown = page.split(f'id="outcome-{figure}"', 1)[1].split("</div>", 1)[0]
        assert f">{value}</span>" in shown, figure
    assert "row 6 repeated row 2" in page
    errors = page.split('id="error-rows"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">5</td><td>身份证号码</td>' in errors
    villages = page.split('id="village-progress"', 1)[1].split("</table>", 1)[0]
    assert "东村" in villages and "西村" in villages and "not yet dispatched" in villages
    assert reverse("ledger:pushlist_feedback", args=[push_list.external_id]) in page
    assert VerificationTask.objects.filter(push_list=push_list).count() == 3


def test_it_applies_a_saved_mapping_to_the_next_file(
    client_for, carol, town, tmp_path, django_capture_on_commit_callbacks
):
    headers = ["人员", "公民身份证", "手机号码", "来源地"]
    client = client_for(carol)
    first = write_push_list_file(
        tmp_path / "a.xlsx", [["王一", unique_id_number(), unique_phone(), "武汉"]] * 2, headers
    )
    upload(client, first)
    push_list = PushList.objects.get()
    assert push_list.mapping == {"phone": 2, "source_area": 3}  # 人员, 公民身份证 unknown
    page = client.get(reverse("ledger:pushlist_mapping", args=[push_list.external_id]))
    assert "Not found in the file yet: 姓名." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
            mapping_post(
                push_list,
                {"name": 0, "id_number": 1, "phone": 2, "source_area": 3},
                save_as="县卫健局格式",
            ),
        )
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.jurisdiction, saved.columns["id_number"]) == (
        "县卫健局格式",
        town,
        "公民身份证",
    )

    # The next file has the same headers in another order.
    second = write_push_list_file(
        tmp_path / "b.xlsx",
        [["武汉", unique_phone(), unique_id_number(), "李二"]] * 2,
        ["来源地", "手机号码", "公民身份证", "人员"],
    )
    upload(client, second)
    later = PushList.objects.exclude(pk=push_list.pk).get()
    url = reverse("ledger:pushlist_mapping", args=[later.external_id])
    page = client.post(url, {"action": "apply", "saved": saved.pk}).content.decode()
    assert '<option value="3" selected>D · 人员</option>' in page
    assert '<option value="2" selected>C · 公民身份证</option>' in page
    later.refresh_from_db()
    assert later.status == ImportStatus.AWAITING_MAPPING  # applying writes nothing


def test_it_refuses_a_mapping_without_the_name_column(client_for, carol, town, tmp_path):
    client = client_for(carol)
    upload(client, write_push_list_file(tmp_path / "a.xlsx", pushed_rows()))
    push_list = PushList.objects.get()
    mapping = {k: v for k, v in push_list.mapping.items() if k != "name"}

    response = client.post(
        reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
        mapping_post(push_list, mapping),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="mapping-error">the file lacks required columns: 姓名' in page
    push_list.refresh_from_db()
    assert push_list.status == ImportStatus.AWAITING_MAPPING
    assert "name" in push_list.mapping  # the refused mapping was not kept


def test_it_names_the_earlier_list_when_the_same_file_comes_again(
    client_for, carol, town, tmp_path
):
    path = write_push_list_file(tmp_path / "a.xlsx", pushed_rows())
    earlier = import_file(Actor(user=carol), town, path, name="第一批")

    response = upload(client_for(carol), path, name="又一批")

    assert response.status_code == 200
    page = response.content.decode()
    assert "this file was already imported as “第一批”" in page
    assert reverse("ledger:pushlist_detail", args=[earlier.external_id]) in page
    assert PushList.objects.count() == 1


def test_it_refuses_upload_to_a_village_cadre(client_for, alice, town, tmp_path):
    client = client_for(alice)
    assert client.get(reverse("ledger:pushlist_upload")).status_code == 403
    response = upload(client, write_push_list_file(tmp_path / "a.xlsx", pushed_rows()))
    assert response.status_code == 403
    assert client.get(reverse("ledger:pushlists")).status_code == 403
    assert not PushList.objects.exists()


def test_it_hides_another_towns_list(client_for, carol, frank, town, tmp_path):
    push_list = import_file(
        Actor(user=carol),
        town,
        write_push_list_file(tmp_path / "a.xlsx", pushed_rows()),
        name="青山镇协查名单",
    )
    client = client_for(frank)
    for name in (
        "pushlist_detail",
        "pushlist_mapping",
        "pushlist_progress",
        "pushlist_error_sheet",
    ):
        response = client.get(reverse(f"ledger:{name}", args=[push_list.external_id]))
        assert response.status_code == 404, name
    assert push_list.name not in client.get(reverse("ledger:pushlists")).content.decode()


def test_it_refuses_frank_uploading_for_carols_town(client_for, frank, town, tmp_path):
    response = upload(client_for(frank), write_push_list_file(tmp_path / "a.xlsx", pushed_rows()))
    assert response.status_code == 200
    assert 'data-field="town"' in response.content.decode()
    assert not PushList.objects.exists()


def test_it_downloads_the_error_sheet_ready_to_fix_and_import_again(
    client_for, carol, town, village_a, tmp_path
):
    rows = pushed_rows(2)
    rows.append(["", "", "", '=HYPERLINK("x")', "2020-13-45", "", "", ""])
    path = write_push_list_file(tmp_path / "a.xlsx", rows, title="青山镇协查名单")
    push_list = import_file(Actor(user=carol), town, path)

    response = client_for(carol).get(
        reverse("ledger:pushlist_error_sheet", args=[push_list.external_id])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet_path = tmp_path / "errors.xlsx"
    sheet_path.write_bytes(b"".join(response.streaming_content))
    sheet = CalamineWorkbook.from_path(str(sheet_path)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["row in your file", *PUSH_LIST_HEADERS, "reason"]
    assert sheet[1][:3] == [5.0, "李坏", BAD_ID]  # title row 1, header row 2, data from row 3
    assert sheet[1][-1].startswith("身份证号码：")
    assert sheet[2][0] == 7.0
    assert sheet[2][4] == '\'=HYPERLINK("x")'  # formula injection neutralised
    assert "；" in sheet[2][-1] and "姓名：the person's name is empty" in sheet[2][-1]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=carol).count() == 1

    # Fixed and uploaded again, the sheet imports: its header row holds the file's headers.
    fixed = tmp_path / "fixed.xlsx"
    write_push_list_file(
        fixed,
        [[r[0], r[1], unique_id_number(), *r[3:-1]] for r in sheet[1:2]],
        sheet[0],
    )
    again = import_file(Actor(user=carol), town, fixed)
    assert (again.rows, again.imported, again.errors) == (1, 1, 0)


def test_it_lists_push_lists_with_verification_counts_in_one_query(
    client_for, carol, town, village_a, tmp_path, django_assert_max_num_queries
):
    actor = Actor(user=carol)
    overdue = import_file(
        actor, town, write_push_list_file(tmp_path / "a.xlsx", pushed_rows()), name="昨天的名单"
    )
    fresh = import_file(
        actor,
        town,
        write_push_list_file(tmp_path / "b.xlsx", pushed_rows(2)),
        received=RECEIVED + timedelta(hours=1),
        deadline_hours=24 * 365 * 100,  # not due yet
        name="今天的名单",
    )
    task = VerificationTask.objects.filter(push_list=overdue).first()
    VerificationTask.objects.filter(pk=task.pk).update(result="already_screened")
    client = client_for(carol)
    client.get(reverse("ledger:pushlists"))  # warm the session and permission caches

    with django_assert_max_num_queries(8):
        page = client.get(reverse("ledger:pushlists")).content.decode()

    assert page.index(fresh.name) < page.index(overdue.name)  # newest first
    assert '<span class="value" style="color: var(--red)">2</span>' in page  # town overdue
    item = page.split(overdue.name, 1)[1].split("</li>", 1)[0]
    assert "verified 1 of 3" in item and "2 open" in item and "2 overdue" in item
    fresh_item = page.split(fresh.name, 1)[1].split("</li>", 1)[0]
    assert "verified 0 of 2" in fresh_item and "overdue" not in fresh_item


def test_it_keeps_nothing_when_the_mapping_page_starts_an_import_that_fails(
    client_for, carol, town, tmp_path, run_worker, django_capture_on_commit_callbacks
):
    """The stored file vanished before the worker ran: the list fails with a reason."""
    client = client_for(carol)
    upload(client, write_push_list_file(tmp_path / "a.xlsx", pushed_rows()))
    push_list = PushList.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
            mapping_post(push_list, push_list.mapping),
        )
    Path(push_list.stored_file).write_bytes(b"")

    run_worker()

    page = client.get(reverse("ledger:pushlist_detail", args=[push_list.external_id]))
    assert 'id="import-failed"' in page.content.decode()
    assert "the file is empty" in page.content.decode()
    assert Person.objects.count() == LedgerEntry.objects.count() == 0


# A stalled import (its worker died) ---------------------------------------------------------


@pytest.fixture
def stuck(carol, town, tmp_path) -> PushList:
    """A list whose import started 11 minutes ago and has not moved since (the worker died)."""
    path = write_push_list_file(tmp_path / "夜间推送.xlsx", pushed_rows())
    push_list = services.create_push_list(
        Actor(user=carol), town=town, upload=path, original_filename=path.name, received_at=RECEIVED
    )
    long_ago = timezone.now() - timedelta(minutes=11)
    PushList.objects.filter(pk=push_list.pk).update(
        status=ImportStatus.RUNNING, progress_stage="checking rows", updated_at=long_ago
    )
    push_list.refresh_from_db()
    return push_list


def progress_of(client, push_list: PushList) -> str:
    url = reverse("ledger:pushlist_progress", args=[push_list.external_id])
    return client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)  # the task is queued when the transaction commits
def test_it_offers_to_start_a_stalled_import_again_and_finishes_it(
    client_for, carol, stuck, run_worker
):
    client = client_for(carol)
    assert 'id="import-stalled"' in progress_of(client, stuck)
    assert 'id="restart-import"' in progress_of(client, stuck)

    response = client.post(reverse("ledger:pushlist_restart", args=[stuck.external_id]))
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.QUEUED

    run_worker()

    stuck.refresh_from_db()
    assert (stuck.status, stuck.imported, stuck.merged, stuck.errors) == ("done", 3, 1, 1)
    assert VerificationTask.objects.filter(push_list=stuck).count() == 3


def test_it_refuses_to_restart_an_import_that_is_still_moving(client_for, carol, stuck):
    PushList.objects.filter(pk=stuck.pk).update(updated_at=timezone.now())
    client = client_for(carol)
    assert 'id="import-stalled"' not in progress_of(client, stuck)

    response = client.post(
        reverse("ledger:pushlist_restart", args=[stuck.external_id]), follow=True
    )

    assert "this import is not stalled" in response.content.decode()
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.RUNNING


def test_it_points_at_the_worker_when_a_queued_import_never_starts(client_for, carol, stuck):
    PushList.objects.filter(pk=stuck.pk).update(status=ImportStatus.QUEUED)
    page = progress_of(client_for(carol), stuck)
    assert "db_worker" in page
    assert 'id="restart-import"' not in page  # queued twice would import twice


def test_it_refuses_restart_to_a_role_that_cannot_import(client_for, dave, stuck):
    response = client_for(dave).post(reverse("ledger:pushlist_restart", args=[stuck.external_id]))
    assert response.status_code == 403


def test_its_task_skips_a_list_that_is_no_longer_queued(carol, stuck):
    """A task queued twice (or a list imported meanwhile) must not import it again."""
    PushList.objects.filter(pk=stuck.pk).update(status=ImportStatus.DONE)
    result = import_push_list_task.call(stuck.pk, carol.pk, None, "", "en")
    assert result == {"skipped": "done"}
    assert not LedgerEntry.objects.exists()
