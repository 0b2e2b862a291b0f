"""Core pages. Views authorise, validate, call one service and render; scoping is visible_to."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fangyi.core import services
from fangyi.core.audit import Actor
from fangyi.core.forms import AuditFilterForm, PersonForm
from fangyi.core.models import AuditEntry, Person, User
from fangyi.core.selectors import people_count_by_child, search_people


@dataclass(frozen=True)
class HomePanel:
    """A block on the home page: `template` rendered with `context`."""

    template: str
    context: dict


# Apps add a function user → HomePanel | None here from AppConfig.ready() (the ledger shows its
# open and overdue verification), so the home page grows with the apps without importing them.
HOME_PANELS: list[Callable[[User], HomePanel | None]] = []


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's jurisdiction at a glance: people per unit, then each app's panel."""
    jurisdiction = request.user.jurisdiction
    can_read_people = request.user.has_perm("core.view_person")
    children = (
        people_count_by_child(request.user, jurisdiction)
        if jurisdiction and can_read_people
        else []
    )
    total = Person.objects.visible_to(request.user).count() if can_read_people else None
    panels = [panel for make in HOME_PANELS if (panel := make(request.user)) is not None]
    return render(
        request,
        "core/home.html",
        {"jurisdiction": jurisdiction, "children": children, "total": total, "panels": panels},
    )


@login_required
@permission_required("core.view_person", raise_exception=True)
def people_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = Paginator(search_people(request.user, query), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "core/_people_results.html" if request.htmx else "core/people_list.html"
    return render(request, template, {"page": page, "query": query})


def _visible_person(request: HttpRequest, external_id) -> Person:
    return get_object_or_404(
        Person.objects.visible_to(request.user).select_related("jurisdiction"),
        external_id=external_id,
    )


@login_required
@permission_required("core.view_person", raise_exception=True)
def person_detail(request: HttpRequest, external_id) -> HttpResponse:
    person = _visible_person(request, external_id)
    can_reveal = request.user.has_perm("core.reveal_identity")
    return render(request, "core/person_detail.html", {"person": person, "can_reveal": can_reveal})


@login_required
@permission_required("core.view_person", raise_exception=True)
@require_POST
def person_reveal(request: HttpRequest, external_id, field: str) -> HttpResponse:
    """Show one full ID number or phone; the service checks the role and writes the audit entry."""
    if field not in ("id_number", "phone"):
        raise Http404
    person = _visible_person(request, external_id)
    value = services.reveal_person_field(Actor.from_request(request), person, field)
    return render(request, "core/_revealed.html", {"value": value, "field": field})


@login_required
@permission_required("core.add_person", raise_exception=True)
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(Actor.from_request(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("person_detail", external_id=person.external_id)
    return render(request, "core/person_form.html", {"form": form})


@login_required
@permission_required("core.change_person", raise_exception=True)
def person_edit(request: HttpRequest, external_id) -> HttpResponse:
    person = _visible_person(request, external_id)
    initial = {
        "name": person.name,
        "jurisdiction": person.jurisdiction,
        "household_address": person.household_address,
        "current_address": person.current_address,
    }
    form = PersonForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {
            k: v for k, v in form.cleaned_data.items() if v or k not in ("id_number", "phone")
        }
        try:
            services.update_person(Actor.from_request(request), person, **values)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("person_detail", external_id=person.external_id)
    return render(request, "core/person_form.html", {"form": form, "person": person})


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.visible_to(request.user).select_related("actor")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor_username=data["actor"].strip())
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["record"]:
            record = data["record"].strip()
            entries = entries.filter(object_id=record) | entries.filter(
                object_repr__contains=record
            )
        tz = timezone.get_current_timezone()
        if data["since"]:
            entries = entries.filter(at__gte=datetime.combine(data["since"], time.min, tz))
        if data["until"]:
            entries = entries.filter(
                at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tz)
            )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"form": form, "page": page})


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    has_reason = isinstance(exception, PermissionDenied) and exception.args
    message = str(exception.args[0]) if has_reason else ""
    return render(request, "403.html", {"message": message}, status=403)
