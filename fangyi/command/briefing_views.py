"""The daily briefing pages: the list (/command/briefings/), generating a draft, the briefing
rendered from its frozen content with the commander's notes and the publish button, and its
downloads (PDF, and the workbook reported upward). Reads through `Briefing.objects.visible_to`
(another jurisdiction's briefing is a 404); every write goes through `command.services`."""

from datetime import date, timedelta
from tempfile import NamedTemporaryFile

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangyi.command import exports, services
from fangyi.command.documents import figure_sections, problem_groups, releases_shown
from fangyi.command.figures import FIGURE_BY_KEY, FIGURES
from fangyi.command.models import Briefing
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User

VIEW = "command.view_briefing"
PUBLISH = "command.publish_briefing"


def briefable_jurisdictions(user) -> list[Jurisdiction]:
    """The towns and counties within the user's reach: those a briefing is written for."""
    return list(
        Jurisdiction.objects.visible_to(user)
        .filter(level__in=services.MORNING_LEVELS)
        .order_by("code")
    )


class GenerateForm(forms.Form):
    jurisdiction = forms.ChoiceField(label=gettext_lazy("jurisdiction"))
    day = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, jurisdictions: list[Jurisdiction], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.places = {j.code: j for j in jurisdictions}
        self.fields["jurisdiction"].choices = [(j.code, j.name) for j in jurisdictions]

    def clean_jurisdiction(self) -> Jurisdiction:
        return self.places[self.cleaned_data["jurisdiction"]]


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Commander's notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _name_generators(briefings) -> None:
    """Set `generated_by_name` on each briefing: the account's full name, or "the morning run"
    (`generated_by` keeps the username or the morning run's label, as the audit log does)."""
    usernames = {b.generated_by for b in briefings}
    names = dict(User.objects.filter(username__in=usernames).values_list("username", "full_name"))
    for briefing in briefings:
        if briefing.generated_by == services.MORNING_ACTOR:
            briefing.generated_by_name = _("the morning run")
        else:
            briefing.generated_by_name = names.get(briefing.generated_by) or briefing.generated_by


def _yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def _list(request: HttpRequest, form: GenerateForm | None, status: int = 200) -> HttpResponse:
    briefings = (
        Briefing.objects.visible_to(request.user)
        .select_related("jurisdiction", "published_by")
        .defer("content")
        .order_by("-day", "jurisdiction_id")
    )
    page = Paginator(briefings, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    _name_generators(page.object_list)
    return render(request, "command/briefings.html", {"page": page, "form": form}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def briefing_list(request: HttpRequest) -> HttpResponse:
    form = None
    if request.user.has_perm(PUBLISH):
        jurisdictions = briefable_jurisdictions(request.user)
        if jurisdictions:
            form = GenerateForm(
                initial={"day": _yesterday(), "jurisdiction": jurisdictions[0].code},
                jurisdictions=jurisdictions,
            )
    return _list(request, form)


@login_required
@permission_required(PUBLISH, raise_exception=True)
@require_POST
def briefing_generate(request: HttpRequest) -> HttpResponse:
    form = GenerateForm(request.POST, jurisdictions=briefable_jurisdictions(request.user))
    if form.is_valid():
        try:
            briefing = services.generate_briefing(
                Actor.from_request(request),
                form.cleaned_data["jurisdiction"],
                form.cleaned_data["day"],
            )
        except services.BriefingError as error:
            form.add_error("day", error.messages)
        else:
            return redirect("command:briefing", pk=briefing.pk)
    return _list(request, form, status=400)


def _visible(request: HttpRequest, pk: int) -> Briefing:
    return get_object_or_404(
        Briefing.objects.visible_to(request.user).select_related("jurisdiction", "published_by"),
        pk=pk,
    )


def _children_table(content: dict) -> dict:
    """The sub-jurisdictions' figures: the columns any row has a value in, and the problems."""
    children = content.get("children", [])
    columns = [f for f in FIGURES if f.problem or any(row["values"].get(f.key) for row in children)]
    return {
        "columns": [{"label": f.label, "problem": f.problem} for f in columns],
        "rows": [
            {
                "name": exports.children_name(row),
                "code": row.get("code"),
                "cells": [row["values"].get(f.key, 0) for f in columns],
            }
            for row in children
        ],
    }


def _with_kind_labels(releases: dict) -> dict:
    rows = [{**r, "kind_label": exports.quarantine_kind_label(r["kind"])} for r in releases["rows"]]
    return {**releases, "rows": rows}


def _detail(request: HttpRequest, briefing: Briefing, notes_form=None, error=None):
    _name_generators([briefing])
    content = briefing.content
    can_edit = request.user.has_perm(PUBLISH) and not briefing.is_published
    if can_edit and notes_form is None:
        notes_form = NotesForm(initial={"notes": briefing.commander_notes})
    context = {
        "briefing": briefing,
        "content": content,
        "sections": figure_sections(content),
        "children": _children_table(content),
        "problem_groups": problem_groups(content),
        "releases": _with_kind_labels(releases_shown(content)),
        "corrections": [
            {**row, "label": FIGURE_BY_KEY[row["key"]].label}
            for row in content.get("corrections", [])
            if row["key"] in FIGURE_BY_KEY
        ],
        "can_edit": can_edit,
        "notes_form": notes_form if can_edit else None,
        "error": error,
        "notes_max": services.NOTES_MAX_CHARS,
    }
    status = 400 if (notes_form is not None and notes_form.errors) or error else 200
    return render(request, "command/briefing_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def briefing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible(request, pk))


@login_required
@permission_required(PUBLISH, raise_exception=True)
@require_POST
def briefing_notes(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = _visible(request, pk)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            services.save_notes(Actor.from_request(request), briefing, form.cleaned_data["notes"])
        except services.BriefingError as error:
            if briefing.is_published:  # no form to show the error on any more
                return _detail(request, briefing, error=" ".join(error.messages))
            form.add_error("notes", error.messages)
        else:
            return redirect("command:briefing", pk=briefing.pk)
    return _detail(request, briefing, notes_form=form)


@login_required
@permission_required(PUBLISH, raise_exception=True)
@require_POST
def briefing_publish(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = _visible(request, pk)
    if request.POST.get("confirm") != "yes":
        return _detail(
            request, briefing, error=_("Tick the box to confirm the briefing is checked.")
        )
    try:
        services.publish_briefing(Actor.from_request(request), briefing)
    except services.BriefingError as error:
        return _detail(request, briefing, error=" ".join(error.messages))
    return redirect("command:briefing", pk=briefing.pk)


@login_required
@permission_required(PUBLISH, raise_exception=True)
@require_POST
def briefing_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = _visible(request, pk)
    try:
        briefing = services.generate_briefing(
            Actor.from_request(request), briefing.jurisdiction, briefing.day
        )
    except services.BriefingError as error:
        return _detail(request, briefing, error=" ".join(error.messages))
    return redirect("command:briefing", pk=briefing.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def briefing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = _visible(request, pk)
    content = exports.export_briefing_pdf(Actor.from_request(request), briefing)
    response = HttpResponse(content, content_type="application/pdf")
    # A Chinese name goes as filename*=utf-8'' (RFC 6266), as FileResponse sends it.
    response["Content-Disposition"] = content_disposition_header(
        True, exports.briefing_filename(briefing, ".pdf")
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def briefing_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    briefing = _visible(request, pk)
    # The FileResponse closes (and so deletes) it.
    file = NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exports.export_briefing_xlsx(Actor.from_request(request), briefing, file)
    file.seek(0)
    response = FileResponse(
        file, as_attachment=True, filename=exports.briefing_filename(briefing, ".xlsx")
    )
    response["Cache-Control"] = "private, no-store"
    return response
