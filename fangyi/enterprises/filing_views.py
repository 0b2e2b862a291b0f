"""The company's filing pages: "my enterprises" for an enterprise contact, one filing as a step
list (company details, commitment and supplies, the plan, the employee roster, submit), its
status, the town's reasons, inspections and history, and the daily temperature summaries after
approval. The town files on a company's behalf through the same pages.

Views authorise, validate, call one service and render. Filings are read through
`Filing.objects.visible_to(request.user)`: another company's filing is a 404.
"""

import io
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.core.identity import compose_id_number
from fangyi.core.roles import Role
from fangyi.core.xlsx import write_table
from fangyi.enterprises import selectors, services
from fangyi.enterprises.forms import FilingForm, PlanUploadForm, RosterUploadForm, TemperatureForm
from fangyi.enterprises.models import Filing, FilingStatus

VIEW = "enterprises.view_enterprise"
FILE = "enterprises.change_filing"
ROSTER_HEADERS = ("姓名", "身份证号", "手机号码", "家庭住址", "14天内行程", "健康状况")
FLAGGED_SHOWN = 50  # the filing page lists this many flagged employees; the review page pages


def _visible_filing(request: HttpRequest, external_id) -> Filing:
    filing = selectors.filing_for_page(request.user, external_id)
    if filing is None:
        raise Http404
    return filing


def _filing_url(filing: Filing, step: str = "") -> str:
    url = reverse("enterprises:filing", kwargs={"external_id": filing.external_id})
    return f"{url}#{step}" if step else url


@login_required
@permission_required(VIEW, raise_exception=True)
def mine(request: HttpRequest) -> HttpResponse:
    """An enterprise contact's companies, each with its current filing (the town's staff use
    the enterprises list instead)."""
    if request.user.role != Role.ENTERPRISE_CONTACT:
        return redirect("enterprises:enterprises")
    enterprises = selectors.enterprises_with_current_filing(request.user)
    return render(request, "enterprises/mine.html", {"enterprises": enterprises})


@login_required
@permission_required("enterprises.add_filing", raise_exception=True)
@require_POST
def start_filing(request: HttpRequest, external_id) -> HttpResponse:
    """Open the enterprise's draft filing (or its current one), also to refile after a rejection."""
    enterprise = selectors.enterprise_for_page(request.user, external_id)
    if enterprise is None:
        raise Http404
    filing = services.start_filing(Actor.from_request(request), enterprise)
    return redirect(_filing_url(filing))


def _filing_form(filing: Filing, data=None) -> FilingForm:
    initial = {name: getattr(filing, name) for name in FilingForm.SERVICE_FIELDS}
    initial["commitment"] = bool(filing.commitment_signed_by)
    return FilingForm(data, initial=initial)


def _render_filing(
    request: HttpRequest, filing: Filing, status: int = 200, **forms
) -> HttpResponse:
    enterprise = filing.enterprise
    editable = filing.status == FilingStatus.DRAFT and request.user.has_perm(FILE)
    running = filing.status in (FilingStatus.APPROVED, FilingStatus.REOPENED)
    context = {
        "filing": filing,
        "enterprise": enterprise,
        "editable": editable,
        "running": running,
        "steps": {
            "commitment": bool(filing.commitment_signed_by),
            "plan": bool(filing.plan_file),
            "roster": filing.employee_count > 0,
        },
        "filing_form": forms.get("filing_form") or _filing_form(filing),
        "plan_form": forms.get("plan_form") or PlanUploadForm(),
        "roster_form": forms.get("roster_form") or RosterUploadForm(),
        "submit_errors": forms.get("submit_errors", []),
        "roster_problems": forms.get("roster_problems") or filing.roster_errors,
        "flagged": list(selectors.filing_employees(filing, flagged_only=True)[:FLAGGED_SHOWN]),
        "inspections": list(filing.inspections.all()),
        "events": list(filing.events.select_related("actor")),
        "can_edit_enterprise": request.user.has_perm("enterprises.change_enterprise"),
        "can_review": request.user.has_perm("enterprises.review_filing"),
        "can_refile": filing.status == FilingStatus.REJECTED
        and request.user.has_perm("enterprises.add_filing"),
    }
    if running:
        context["temperature_form"] = forms.get("temperature_form") or TemperatureForm()
        context["temperatures"] = selectors.recent_temperatures(enterprise)
    return render(request, "enterprises/filing.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def filing_detail(request: HttpRequest, external_id) -> HttpResponse:
    return _render_filing(request, _visible_filing(request, external_id))


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_save(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    form = _filing_form(filing, request.POST)
    if form.is_valid():
        try:
            services.save_filing(Actor.from_request(request), filing, **form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Commitment and supplies saved."))
            return redirect(_filing_url(filing, "step-plan"))
    return _render_filing(request, filing, status=422, filing_form=form)


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_plan(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    form = PlanUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["plan"]
        try:
            services.attach_plan(Actor.from_request(request), filing, upload, upload.name)
        except ValidationError as error:
            form.add_error("plan", error.messages)
        else:
            messages.success(request, _("Plan uploaded."))
            return redirect(_filing_url(filing, "step-roster"))
    return _render_filing(request, filing, status=422, plan_form=form)


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_roster(request: HttpRequest, external_id) -> HttpResponse:
    """Import the employee roster: bad rows are listed (row, column, reason), good rows kept,
    employees screened against the ledger and running quarantine orders."""
    filing = _visible_filing(request, external_id)
    form = RosterUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["roster"]
        try:
            outcome = services.import_employee_roster(
                Actor.from_request(request), filing, upload, upload.name
            )
        except ValidationError as error:
            form.add_error("roster", error.messages)
        else:
            if not outcome.replaced:  # no usable row: the previous list stays, show why
                form.add_error("roster", _("No row could be imported; the previous list was kept."))
                problems = [
                    {"row": p.row, "column": p.column, "reason": p.reason} for p in outcome.problems
                ]
                return _render_filing(
                    request, filing, status=422, roster_form=form, roster_problems=problems
                )
            messages.success(
                request,
                _(
                    "Roster imported: %(imported)s employees, %(flagged)s flagged, "
                    "%(problems)s rows with errors."
                )
                % {
                    "imported": outcome.imported,
                    "flagged": outcome.flagged,
                    "problems": outcome.error_rows,
                },
            )
            return redirect(_filing_url(filing, "step-roster"))
    return _render_filing(request, filing, status=422, roster_form=form)


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_submit(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    try:
        services.submit_filing(Actor.from_request(request), filing)
    except ValidationError as error:
        return _render_filing(request, filing, status=422, submit_errors=error.messages)
    messages.success(request, _("Filing submitted to the town."))
    return redirect(_filing_url(filing))


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_reopened(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    try:
        services.mark_reopened(Actor.from_request(request), filing)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Recorded as reopened."))
    return redirect(_filing_url(filing))


@login_required
@permission_required(FILE, raise_exception=True)
@require_POST
def filing_temperatures(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    form = TemperatureForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        try:
            services.report_temperatures(
                Actor.from_request(request),
                filing.enterprise,
                day=values["day"],
                checked=values["checked"],
                fever=values["fever"],
                absent=values["absent"],
                note=values["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Temperature summary saved."))
            return redirect(_filing_url(filing, "temperatures"))
    return _render_filing(request, filing, status=422, temperature_form=form)


@login_required
@permission_required(VIEW, raise_exception=True)
def plan_file(request: HttpRequest, external_id) -> FileResponse:
    """The filing's prevention and emergency plan, as uploaded (for the reviewers)."""
    filing = _visible_filing(request, external_id)
    folder = Path(settings.UPLOAD_DIR).resolve()
    path = Path(filing.plan_file).resolve() if filing.plan_file else None
    if path is None or not path.is_relative_to(folder) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=filing.plan_filename)


@login_required
@permission_required(VIEW, raise_exception=True)
def roster_template(request: HttpRequest) -> FileResponse:
    """An empty employee roster with the columns the import reads and one example row."""
    example = (
        "张三",
        compose_id_number("110101", date(1990, 3, 7), 123),
        "13800138000",
        "青山镇东村3组12号",
        _("stayed in the town"),
        _("healthy"),
    )
    buffer = io.BytesIO()
    write_table(buffer, ROSTER_HEADERS, [example], column_widths=(10, 22, 14, 28, 24, 12))
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="员工花名册模板.xlsx")
