"""The household's own page behind its quarantine self-report link: ask for groceries, medicine
or another service, see what was asked and where it stands, confirm a delivery ("已收到").

The same safety habits as the self-report page (quarantine/self_report_views.py): the token is
the only key; an unknown token gets the same plain 404 page whatever the reason; an ended order
or an expired link a 410 with the reason; every request from an address counts against the
hourly limit shared with the self-report page; a hidden client id makes a double tap one
request; the page holds no personal data beyond the masked name; no JavaScript is needed.
"""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fangyi.core.audit import client_ip
from fangyi.core.ratelimit import address_key, allow
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.models import QuarantineOrder
from fangyi.quarantine.self_report_views import RATE_WINDOW, masked_name
from fangyi.volunteers import services
from fangyi.volunteers.forms import HouseholdRequestForm
from fangyi.volunteers.models import ServiceRequest

SHOWN_REQUESTS = 20


def _limited(request: HttpRequest) -> bool:
    """The self-report page's budget (the same key): one link, one budget, whichever page."""
    key = address_key("quarantine-self", client_ip(request))
    return not allow(key, limit=settings.SELF_REPORT_PER_HOUR, window=RATE_WINDOW)


def _url(token: str) -> str:
    return reverse("volunteers:household", kwargs={"token": token})


def _order_or_response(request: HttpRequest, token: str) -> QuarantineOrder | HttpResponse:
    if _limited(request):
        return render(request, "quarantine/self_report_limited.html", status=429)
    order = quarantine_services.find_order_by_token(token)
    if order is None:
        return render(request, "quarantine/self_report_invalid.html", status=404)
    problem = quarantine_services.self_report_problem(order)
    if problem:
        return render(request, "quarantine/self_report_ended.html", {"reason": problem}, status=410)
    return order


@never_cache
@require_http_methods(["GET", "POST"])
def household(request: HttpRequest, token: str) -> HttpResponse:
    order = _order_or_response(request, token)
    if isinstance(order, HttpResponse):
        return order
    status = 200
    if request.method == "POST":
        form = HouseholdRequestForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.request_from_household(
                    token,
                    kind=form.cleaned_data["kind"],
                    details=form.cleaned_data["details"],
                    needed_by=form.needed_by(),
                    client_id=form.cleaned_data["client_id"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(f"{_url(token)}?sent=1")
    else:
        form = HouseholdRequestForm(initial={"client_id": uuid.uuid4(), "needed_day": "today"})
    requests = list(
        ServiceRequest.objects.filter(order=order).order_by("-created_at", "-pk")[:SHOWN_REQUESTS]
    )
    now = timezone.now()
    context = {
        "name": masked_name(order.person.name),
        "form": form,
        "requests": [
            {
                "row": row,
                # Only what the family needs: what, when, the status; no volunteer's name.
                "needed_by": timezone.localtime(row.needed_by).strftime("%m-%d %H:%M"),
                "late": row.is_overdue(now),
            }
            for row in requests
        ],
        "sent": request.method == "GET" and request.GET.get("sent") == "1",
        "confirmed": request.method == "GET" and request.GET.get("confirmed") == "1",
        "token": token,
        "self_report_url": reverse("quarantine:self_report", kwargs={"token": token}),
    }
    return render(request, "volunteers/household.html", context, status=status)


@never_cache
@require_POST
def household_confirm(request: HttpRequest, token: str, external_id) -> HttpResponse:
    order = _order_or_response(request, token)
    if isinstance(order, HttpResponse):
        return order
    try:
        services.confirm_from_household(token, external_id)
    except PermissionDenied:
        return render(request, "quarantine/self_report_invalid.html", status=404)
    except ValidationError as error:
        return render(
            request,
            "quarantine/self_report_ended.html",
            {"reason": " ".join(error.messages)},
            status=400,
        )
    return redirect(f"{_url(token)}?confirmed=1")
