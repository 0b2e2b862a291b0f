"""The town's review pages: the queue of filings awaiting review (oldest first), one filing's
review page (employees flagged first and masked, an on-site inspection, approve / reject with
reasons / forward to the county), and revealing one employee's ID or phone (audited). The county
commander sees the filings forwarded to the county and decides them here too.

Views authorise, validate, call one service and render; rows through `visible_to`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.enterprises import selectors, services
from fangyi.enterprises.filing_views import _visible_filing
from fangyi.enterprises.forms import Decision, DecisionForm, InspectionForm
from fangyi.enterprises.models import FORWARDED_SIZES, Employee, Filing, FilingStatus

REVIEW = "enterprises.review_filing"
REVEALABLE = services.REVEALABLE


@login_required
@permission_required(REVIEW, raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    county = selectors.is_county_reviewer(request.user)
    waiting = Paginator(selectors.review_queue(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": waiting,
        "county": county,
        "to_county_sizes": [str(size) for size in FORWARDED_SIZES],
        "forwarded": [] if county else list(selectors.with_the_county(request.user)[:50]),
    }
    return render(request, "enterprises/queue.html", context)


def _decisions(user, filing: Filing) -> list[str]:
    """What the user may decide on this filing now (the service has the last word)."""
    if not user.has_perm(REVIEW):
        return []
    if filing.status == FilingStatus.FORWARDED:
        return [Decision.APPROVE, Decision.REJECT] if selectors.is_county_reviewer(user) else []
    if filing.status != FilingStatus.SUBMITTED:
        return []
    if selectors.goes_to_county(filing) and not selectors.is_county_reviewer(user):
        return [Decision.FORWARD, Decision.REJECT]
    return [Decision.APPROVE, Decision.REJECT]


def _render_review(
    request: HttpRequest, filing: Filing, status: int = 200, **forms
) -> HttpResponse:
    employees = Paginator(selectors.filing_employees(filing), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    decisions = _decisions(request.user, filing)
    context = {
        "filing": filing,
        "enterprise": filing.enterprise,
        "employees": employees,
        "can_reveal": request.user.has_perm("core.reveal_identity"),
        "decisions": decisions,
        "to_county": selectors.goes_to_county(filing),
        "can_inspect": request.user.has_perm(REVIEW)
        and filing.status in (FilingStatus.SUBMITTED, FilingStatus.FORWARDED),
        "inspection_form": forms.get("inspection_form") or InspectionForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "inspections": list(filing.inspections.all()),
        "events": list(filing.events.all()),
    }
    return render(request, "enterprises/review.html", context, status=status)


@login_required
@permission_required(REVIEW, raise_exception=True)
def review(request: HttpRequest, external_id) -> HttpResponse:
    return _render_review(request, _visible_filing(request, external_id))


def _review_url(filing: Filing, anchor: str = "") -> str:
    url = reverse("enterprises:review", kwargs={"external_id": filing.external_id})
    return f"{url}#{anchor}" if anchor else url


@login_required
@permission_required(REVIEW, raise_exception=True)
@require_POST
def inspect(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    form = InspectionForm(request.POST)
    if form.is_valid():
        try:
            services.record_inspection(Actor.from_request(request), filing, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect(_review_url(filing, "decide"))
    return _render_review(request, filing, status=422, inspection_form=form)


@login_required
@permission_required(REVIEW, raise_exception=True)
@require_POST
def decide(request: HttpRequest, external_id) -> HttpResponse:
    filing = _visible_filing(request, external_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        actor = Actor.from_request(request)
        decision, reasons = form.cleaned_data["decision"], form.cleaned_data["reasons"].strip()
        try:
            if decision == Decision.APPROVE:
                services.approve_filing(actor, filing, note=reasons)
            elif decision == Decision.REJECT:
                services.reject_filing(actor, filing, reasons)
            else:
                services.forward_filing(actor, filing, note=reasons)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            done = {
                Decision.APPROVE: _("Filing approved."),
                Decision.REJECT: _("Filing rejected; the company sees your reasons."),
                Decision.FORWARD: _("Filing forwarded to the county."),
            }
            messages.success(request, done[decision])
            return redirect("enterprises:queue")
    return _render_review(request, filing, status=422, decision_form=form)


@login_required
@permission_required(REVIEW, raise_exception=True)
@require_POST
def employee_reveal(request: HttpRequest, external_id, pk: int, field: str) -> HttpResponse:
    if field not in REVEALABLE:
        raise Http404
    filing = _visible_filing(request, external_id)
    employee = Employee.objects.filter(filing=filing, pk=pk).first()
    if employee is None:
        raise Http404
    employee.filing = filing
    value = services.reveal_employee_field(Actor.from_request(request), employee, field)
    return render(request, "core/_revealed.html", {"value": value, "field": field})
