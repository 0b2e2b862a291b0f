"""Push-list pages: the list, upload, column mapping, import progress and outcome, error sheet.

Views authorise (permission + `visible_to`), validate with a form, call one service, render.
Their forms live in forms.py (`PushListUploadForm`, `MappingForm`), their reads in selectors.py
(`push_lists_with_progress`, `progress_by_village`).
"""

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangyi.core.audit import Actor
from fangyi.core.tabular import TableError, read_table
from fangyi.core.xlsx import column_letter
from fangyi.ledger import services
from fangyi.ledger.columns import cell_text, missing_columns
from fangyi.ledger.error_sheet import export_error_sheet
from fangyi.ledger.forms import MappingForm, PushListUploadForm
from fangyi.ledger.importing import DuplicateFile
from fangyi.ledger.models import ImportStatus, PushList, VerificationTask
from fangyi.ledger.selectors import progress_by_village, push_lists_with_progress

PREVIEW_ROWS = 5
SHOWN_PROBLEMS = 200  # the page lists this many; the error sheet has them all


def _visible_push_list(request: HttpRequest, push_list_id) -> PushList:
    return get_object_or_404(
        PushList.objects.visible_to(request.user).select_related("town"),
        external_id=push_list_id,
    )


# Pages --------------------------------------------------------------------------------------


@login_required
@permission_required("ledger.view_pushlist", raise_exception=True)
def pushlist_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(push_lists_with_progress(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    overdue = VerificationTask.objects.visible_to(request.user).overdue().count()
    return render(request, "ledger/pushlist_list.html", {"page": page, "overdue": overdue})


@login_required
@permission_required("ledger.add_pushlist", raise_exception=True)
def pushlist_upload(request: HttpRequest) -> HttpResponse:
    form = PushListUploadForm(request.POST or None, request.FILES or None, user=request.user)
    earlier = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            push_list = services.create_push_list(
                Actor.from_request(request),
                town=data["town"],
                upload=data["file"],
                original_filename=data["file"].name,
                name=data["name"],
                source=data["source"],
                category=data["category"],
                received_at=data["received_at"],
                deadline_hours=data["deadline_hours"],
            )
        except TableError as error:
            form.add_error("file", str(error))
        except DuplicateFile as error:
            earlier = error.earlier
            form.add_error(
                "file",
                _("this file was already imported as “%(name)s”") % {"name": earlier.name},
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("ledger:pushlist_mapping", push_list_id=push_list.external_id)
    return render(request, "ledger/pushlist_upload.html", {"form": form, "earlier": earlier})


def _preview(push_list: PushList) -> list[list[str]]:
    """The first data rows below the header, as text, to check the mapping against."""
    try:
        rows = read_table(push_list.stored_file)
    except (TableError, OSError):
        return []
    start = (push_list.header_row or 0) + 1
    width = len(push_list.header_cells)
    preview = []
    for cells in rows[start:]:
        if not any(cell not in ("", None) for cell in cells):
            continue
        texts = [cell_text(cell) for cell in cells[:width]]
        preview.append(texts + [""] * (width - len(texts)))
        if len(preview) == PREVIEW_ROWS:
            break
    return preview


@login_required
@permission_required("ledger.add_pushlist", raise_exception=True)
def pushlist_mapping(request: HttpRequest, push_list_id) -> HttpResponse:
    push_list = _visible_push_list(request, push_list_id)
    if push_list.status != ImportStatus.AWAITING_MAPPING:
        return redirect("ledger:pushlist_detail", push_list_id=push_list.external_id)
    header_cells = push_list.header_cells
    actor = Actor.from_request(request)
    action = request.POST.get("action")
    if request.method == "POST" and action == "apply":
        # Fill the selects from a saved mapping; nothing is written until "import".
        form = MappingForm(request.POST, header_cells=header_cells, user=request.user)
        if form.is_valid() and form.cleaned_data["saved"]:
            applied = services.mapping_from_saved(form.cleaned_data["saved"], header_cells)
            form = MappingForm(
                initial=MappingForm.initial_for(applied),
                header_cells=header_cells,
                user=request.user,
            )
            mapping = applied
        else:
            mapping = form.mapping() if form.is_valid() else push_list.mapping
    elif request.method == "POST":
        form = MappingForm(request.POST, header_cells=header_cells, user=request.user)
        mapping = form.mapping() if form.is_valid() else push_list.mapping
        if form.is_valid():
            try:
                services.set_mapping(actor, push_list, mapping, form.cleaned_data["save_as"])
                services.start_import(actor, push_list)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            except DuplicateFile as error:
                form.add_error(
                    None,
                    _("this file was already imported as “%(name)s”")
                    % {"name": error.earlier.name},
                )
            else:
                return redirect("ledger:pushlist_detail", push_list_id=push_list.external_id)
    else:
        mapping = push_list.mapping
        form = MappingForm(
            initial=MappingForm.initial_for(mapping), header_cells=header_cells, user=request.user
        )
    missing = missing_columns(mapping)
    return render(
        request,
        "ledger/pushlist_mapping.html",
        {
            "push_list": push_list,
            "form": form,
            "excel_header_row": (push_list.header_row or 0) + 1,
            "columns": [
                (column_letter(index), header) for index, header in enumerate(header_cells)
            ],
            "preview": _preview(push_list),
            "missing": "、".join(missing),
        },
    )


def _progress_context(request: HttpRequest, push_list: PushList) -> dict:
    context: dict = {
        "push_list": push_list,
        "shown_problems": SHOWN_PROBLEMS,
        "stalled": push_list.is_stalled(),
    }
    if push_list.status == ImportStatus.DONE:
        context["villages"] = progress_by_village(request.user, push_list)
        context["problems"] = push_list.error_rows[:SHOWN_PROBLEMS]
        context["more_problems"] = max(0, len(push_list.error_rows) - SHOWN_PROBLEMS)
        context["merged_rows"] = push_list.merged_rows[:SHOWN_PROBLEMS]
        context["more_merged"] = max(0, len(push_list.merged_rows) - SHOWN_PROBLEMS)
    return context


@login_required
@permission_required("ledger.view_pushlist", raise_exception=True)
def pushlist_detail(request: HttpRequest, push_list_id) -> HttpResponse:
    push_list = _visible_push_list(request, push_list_id)
    return render(request, "ledger/pushlist_detail.html", _progress_context(request, push_list))


@login_required
@permission_required("ledger.view_pushlist", raise_exception=True)
@require_GET
def pushlist_progress(request: HttpRequest, push_list_id) -> HttpResponse:
    """The progress bar (polled by htmx every second); once finished, the outcome instead."""
    push_list = _visible_push_list(request, push_list_id)
    return render(request, "ledger/_pushlist_progress.html", _progress_context(request, push_list))


@login_required
@permission_required("ledger.add_pushlist", raise_exception=True)
@require_POST
def pushlist_restart(request: HttpRequest, push_list_id) -> HttpResponse:
    """Queue a stalled import again."""
    push_list = _visible_push_list(request, push_list_id)
    try:
        services.restart_import(Actor.from_request(request), push_list)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("ledger:pushlist_detail", push_list_id=push_list.external_id)


@login_required
@permission_required("ledger.add_pushlist", raise_exception=True)
@require_GET
def pushlist_error_sheet(request: HttpRequest, push_list_id) -> HttpResponse:
    """The refused rows as the file had them, with a reason column (audited: unmasked data)."""
    push_list = _visible_push_list(request, push_list_id)
    if push_list.status != ImportStatus.DONE:
        return redirect("ledger:pushlist_detail", push_list_id=push_list.external_id)
    buffer = io.BytesIO()
    export_error_sheet(Actor.from_request(request), push_list, buffer)
    buffer.seek(0)
    stem = push_list.original_filename.rsplit(".", 1)[0] or "push-list"
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{stem}-{_('errors')}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
