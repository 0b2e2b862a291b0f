"""The town's enterprise pages: the list (with each firm's latest filing), register and edit
(the credit code's check character validated), and the counts (filed, awaiting, approved,
reopened, rejected by village and by industry; reopened firms missing today's temperatures).

The filing pages are in filing_views.py, the review pages in review_views.py.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.enterprises import selectors, services
from fangyi.enterprises.forms import EnterpriseForm
from fangyi.enterprises.models import Enterprise, Filing, FilingStatus, Industry

VIEW = "enterprises.view_enterprise"


@login_required
@permission_required(VIEW, raise_exception=True)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    latest = Filing.objects.filter(enterprise=OuterRef("pk")).order_by("-created_at", "-id")
    enterprises = selectors.visible_enterprises(request.user).annotate(
        filing_status=Subquery(latest.values("status")[:1]),
        filing_id=Subquery(latest.values("external_id")[:1]),
    )
    industry = request.GET.get("industry", "")
    if industry in Industry.values:
        enterprises = enterprises.filter(industry=industry)
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(name__contains=query)
    page = Paginator(enterprises.order_by("jurisdiction_id", "name", "pk"), settings.PAGE_SIZE)
    statuses = dict(FilingStatus.choices)
    page = page.get_page(request.GET.get("page"))
    for enterprise in page:
        enterprise.filing_label = statuses.get(enterprise.filing_status, "")
        enterprise.can_start = enterprise.filing_status in (None, FilingStatus.REJECTED)
    context = {
        "page": page,
        "q": query,
        "industry": industry,
        "industries": Industry.choices,
        "query": urlencode([(k, v) for k in ("q", "industry") if (v := request.GET.get(k))]),
        "can_add": request.user.has_perm("enterprises.add_enterprise"),
    }
    return render(request, "enterprises/enterprise_list.html", context)


def _initial(enterprise: Enterprise) -> dict:
    return {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "address": enterprise.address,
        "jurisdiction": enterprise.jurisdiction_id,
        "industry": enterprise.industry,
        "size": enterprise.size,
        "staff_count": enterprise.staff_count,
        "contact_name": enterprise.contact_name,
        "contacts": list(enterprise.contacts.values_list("pk", flat=True)),
    }


@login_required
@permission_required("enterprises.add_enterprise", raise_exception=True)
def enterprise_new(request: HttpRequest) -> HttpResponse:
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.register_enterprise(
                Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _saved(enterprise))
            return redirect("enterprises:enterprises")
    status = 422 if form.is_bound else 200
    return render(request, "enterprises/enterprise_form.html", {"form": form}, status=status)


@login_required
@permission_required("enterprises.change_enterprise", raise_exception=True)
def enterprise_edit(request: HttpRequest, external_id) -> HttpResponse:
    enterprise = selectors.enterprise_for_page(request.user, external_id)
    if enterprise is None:
        raise Http404
    form = EnterpriseForm(
        request.POST or None, user=request.user, editing=True, initial=_initial(enterprise)
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if not fields["contact_phone"]:
            fields.pop("contact_phone")  # empty keeps the current phone
        try:
            services.update_enterprise(Actor.from_request(request), enterprise, **fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _saved(enterprise))
            return redirect("enterprises:enterprises")
    status = 422 if form.is_bound else 200
    context = {"form": form, "enterprise": enterprise}
    return render(request, "enterprises/enterprise_form.html", context, status=status)


def _saved(enterprise: Enterprise) -> str:
    return _("%(name)s saved.") % {"name": enterprise.name}


@login_required
@permission_required(VIEW, raise_exception=True)
def counts(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "counts": selectors.filing_counts(request.user),
        "missing": list(selectors.missing_temperatures(request.user, today)[:200]),
        "today": today,
    }
    return render(request, "enterprises/counts.html", context)
