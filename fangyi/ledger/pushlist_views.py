"""Push-list pages: the list, upload, column mapping, import progress and outcome, error sheet.

Views authorise (permission + `visible_to`), validate with a form, call one service, render.
The forms and the two read helpers these pages need live here, next to their only users.
"""

import io
from string import ascii_uppercase

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, JurisdictionLevel
from fangyi.core.tabular import MB, TableError, read_table
from fangyi.ledger import services
from fangyi.ledger.columns import (
    IDENTIFYING_KEYS,
    IMPORT_FIELDS,
    REQUIRED_KEYS,
    cell_text,
    missing_columns,
)
from fangyi.ledger.error_sheet import export_error_sheet
from fangyi.ledger.importing import DuplicateFile
from fangyi.ledger.models import (
    Category,
    ImportMapping,
    ImportStatus,
    PushList,
    PushListSource,
    VerificationTask,
)

PREVIEW_ROWS = 5
SHOWN_PROBLEMS = 200  # the page lists this many; the error sheet has them all


# Forms --------------------------------------------------------------------------------------


class PushListUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("file (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv"}),
    )
    name = forms.CharField(
        label=pgettext_lazy("list", "name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("leave empty to use the file name"),
    )
    source = forms.ChoiceField(label=gettext_lazy("pushed by"), choices=PushListSource.choices)
    category = forms.ChoiceField(
        label=gettext_lazy("people on the list are"), choices=Category.choices
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    deadline_hours = forms.IntegerField(
        label=gettext_lazy("verify within (hours)"), min_value=1, max_value=24 * 30
    )
    town = forms.ModelChoiceField(label=gettext_lazy("town"), queryset=None, empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = Jurisdiction.objects.visible_to(user).filter(level=JurisdictionLevel.TOWN)
        self.fields["town"].queryset = towns
        self.fields["town"].error_messages["invalid_choice"] = _(
            "that town does not exist or is outside your jurisdiction"
        )
        if user.jurisdiction_id and len(user.jurisdiction_id) >= 9:
            self.fields["town"].initial = user.jurisdiction_id[:9]
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["deadline_hours"].initial = settings.PUSH_LIST_DEADLINE_HOURS
        self.fields["source"].initial = PushListSource.COUNTY

    @cached_property
    def single_town(self) -> Jurisdiction | None:
        """The user's own town when it is the only choice (the page shows it as text)."""
        towns = list(self.fields["town"].queryset[:2])
        return towns[0] if len(towns) == 1 else None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:  # refused before it is copied anywhere
            raise ValidationError(
                _(
                    "the file is %(size)s MB, larger than the limit of %(limit)s MB: split it into smaller files"
                )
                % {"size": f"{upload.size / MB:.1f}", "limit": f"{limit / MB:g}"}
            )
        return upload


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel labels it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = ascii_uppercase[remainder] + letters
    return letters


class MappingForm(forms.Form):
    """Which column of the file holds each field; one select per field."""

    saved = forms.ModelChoiceField(
        label=gettext_lazy("use a saved mapping"), queryset=None, required=False
    )
    save_as = forms.CharField(
        label=gettext_lazy("save this mapping as"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("optional: a name to reuse it for the next list of this kind"),
    )

    def __init__(self, *args, header_cells: list[str], user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = ImportMapping.objects.visible_to(user).order_by("name")
        columns = [("", _("— not in the file —"))] + [
            (str(index), f"{column_letter(index)} · {header or _('(no header)')}")
            for index, header in enumerate(header_cells)
        ]
        needed = {key: _("required") for key in REQUIRED_KEYS} | {
            key: _("this or the other is required") for key in IDENTIFYING_KEYS
        }
        for field in IMPORT_FIELDS:
            self.fields[f"col_{field.key}"] = forms.ChoiceField(
                label=field.label,
                choices=columns,
                required=False,
                help_text=needed.get(field.key, ""),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{field.key}"] for field in IMPORT_FIELDS]

    def mapping(self) -> dict[str, int]:
        return {
            field.key: int(self.cleaned_data[f"col_{field.key}"])
            for field in IMPORT_FIELDS
            if self.cleaned_data.get(f"col_{field.key}")
        }

    @staticmethod
    def initial_for(mapping: dict[str, int]) -> dict[str, str]:
        return {f"col_{key}": str(index) for key, index in mapping.items()}


# Reads --------------------------------------------------------------------------------------


def _task_counts(task: str, deadline: str) -> dict[str, Count]:
    """Verification counts (total, verified, open, overdue) over the tasks reached by `task`,
    whose list's deadline is at `deadline`."""
    open_ = Q(**{f"{task}result": ""})
    return {
        "tasks_total": Count(f"{task}pk"),
        "tasks_verified": Count(f"{task}pk", filter=~open_),
        "tasks_open": Count(f"{task}pk", filter=open_),
        "tasks_overdue": Count(
            f"{task}pk", filter=open_ & Q(**{f"{deadline}__lt": timezone.now()})
        ),
    }


def push_lists_with_progress(user) -> QuerySet[PushList]:
    """The push lists the user may see, newest first, each with its verification counts."""
    return (
        PushList.objects.visible_to(user)
        .select_related("town")
        .annotate(**_task_counts("tasks__", "deadline_at"))
        .order_by("-received_at", "-id")
    )


def progress_by_village(user, push_list: PushList) -> list[dict]:
    """Verification counts per village (or the town, for people not yet dispatched)."""
    rows = list(
        VerificationTask.objects.visible_to(user)
        .filter(push_list=push_list)
        .values("entry__jurisdiction_id", "entry__jurisdiction__name")
        .annotate(**_task_counts("", "push_list__deadline_at"))
        .order_by("entry__jurisdiction_id")
    )
    for row in rows:
        row["unassigned"] = len(row["entry__jurisdiction_id"]) <= 9
    return rows


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
    context: dict = {"push_list": push_list, "shown_problems": SHOWN_PROBLEMS}
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
