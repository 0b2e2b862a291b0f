"""The volunteers pages: the registry, teams, the village's open requests, a request with its
history, a volunteer's own tasks on a phone, the town's summary.

Rows are read through `visible_to` (another village's volunteer or request is a 404). A volunteer
without dispatch rights sees only their tasks (selectors.tasks_filter): another volunteer's
request is a 404 for them too.
"""

import mimetypes
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.core.identity import mask_phone
from fangyi.volunteers import selectors, services
from fangyi.volunteers.forms import (
    CancelForm,
    DispatchForm,
    DoneForm,
    LeaderForm,
    RequestForm,
    TeamForm,
    VolunteerForm,
    default_needed_by,
)
from fangyi.volunteers.models import ServiceRequest, Volunteer, VolunteerTeam

PAGE_SIZE = 50


def _errors(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error)
    return " ".join(error.messages)


def _me(request: HttpRequest) -> Volunteer | None:
    return (
        Volunteer.objects.filter(user=request.user, active=True)
        .select_related("team", "jurisdiction")
        .first()
    )


# The registry and teams ----------------------------------------------------------------------


@login_required
@permission_required("volunteers.view_volunteer", raise_exception=True)
def volunteer_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.volunteers_with_hours(request.user).order_by("jurisdiction", "name", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/volunteer_list.html",
        {"page": page, "can_add": request.user.has_perm("volunteers.add_volunteer")},
    )


def _volunteer_values(form: VolunteerForm) -> dict:
    return dict(form.cleaned_data)


@login_required
@permission_required("volunteers.add_volunteer", raise_exception=True)
def volunteer_create(request: HttpRequest) -> HttpResponse:
    form = VolunteerForm(
        request.POST or None,
        initial={"jurisdiction": request.user.jurisdiction_id},
        actor_user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.register_volunteer(
                Actor.from_request(request), **_volunteer_values(form)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": volunteer.name})
            return redirect("volunteers:volunteers")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "volunteers/volunteer_form.html", {"form": form, "volunteer": None}, status=status
    )


@login_required
@permission_required("volunteers.change_volunteer", raise_exception=True)
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_object_or_404(Volunteer.objects.visible_to(request.user), pk=pk)
    initial = {
        "name": volunteer.name,
        "jurisdiction": volunteer.jurisdiction_id,
        "skills": volunteer.skills,
        "availability": volunteer.availability,
        "party_member": volunteer.party_member,
        "team": volunteer.team_id,
        "user": volunteer.user_id,
    }
    form = VolunteerForm(
        request.POST or None, initial=initial, actor_user=request.user, editing=volunteer
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_volunteer(
                Actor.from_request(request), volunteer, **_volunteer_values(form)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": volunteer.name})
            return redirect("volunteers:volunteers")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "volunteers/volunteer_form.html",
        {"form": form, "volunteer": volunteer},
        status=status,
    )


@login_required
@permission_required("volunteers.view_volunteer", raise_exception=True)
def team_list(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.has_perm("volunteers.change_volunteer")
    form = TeamForm(
        request.POST or None,
        initial={"jurisdiction": request.user.jurisdiction_id},
        actor_user=request.user,
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            team = VolunteerTeam(**form.cleaned_data)
            try:
                services.save_team(Actor.from_request(request), team)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Team %(name)s is added.") % {"name": team.name})
                return redirect("volunteers:teams")
    teams = list(
        VolunteerTeam.objects.visible_to(request.user)
        .select_related("jurisdiction", "leader")
        .prefetch_related("members")
    )
    choices = selectors.dispatch_choices({t.jurisdiction_id for t in teams})
    rows = [{"team": t, "leader_choices": choices[t.jurisdiction_id][0]} for t in teams]
    return render(
        request,
        "volunteers/team_list.html",
        {"rows": rows, "form": form, "can_edit": can_edit},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required("volunteers.change_volunteer", raise_exception=True)
@require_POST
def team_leader(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(VolunteerTeam.objects.visible_to(request.user), pk=pk)
    form = LeaderForm(request.POST, team=team)
    if not form.is_valid():
        messages.error(request, _("Choose a volunteer of the team's village."))
        return redirect("volunteers:teams")
    try:
        services.set_team_leader(Actor.from_request(request), team, form.cleaned_data["leader"])
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("The team's leader is saved."))
    return redirect("volunteers:teams")


# Requests ------------------------------------------------------------------------------------


@login_required
@permission_required("volunteers.dispatch_servicerequest", raise_exception=True)
def request_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = selectors.open_requests(request.user, now)
    choices = selectors.dispatch_choices({row.jurisdiction_id for row in rows})
    for row in rows:
        row.volunteer_choices, row.team_choices = choices.get(row.jurisdiction_id, ([], []))
    return render(
        request,
        "volunteers/request_list.html",
        {
            "rows": rows,
            "overdue": sum(1 for r in rows if r.overdue),
            "can_add": request.user.has_perm("volunteers.add_servicerequest"),
        },
    )


@login_required
@permission_required("volunteers.add_servicerequest", raise_exception=True)
def request_create(request: HttpRequest) -> HttpResponse:
    initial = {
        "client_id": uuid.uuid4(),
        "needed_by": default_needed_by(),
        "jurisdiction": request.user.jurisdiction_id,
    }
    form = RequestForm(request.POST or None, initial=initial, actor_user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_request(
                Actor.from_request(request),
                jurisdiction=data["jurisdiction"],
                kind=data["kind"],
                details=data["details"],
                needed_by=data["needed_by"],
                household_name=data["household_name"],
                address=data["address"],
                phone=data["phone"],
                requester_kind=data["requester_kind"],
                order=data["order"],
                client_id=data["client_id"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The request is raised: dispatch it to a volunteer."))
            return redirect(services.request_link(created))
    status = 400 if request.method == "POST" else 200
    return render(request, "volunteers/request_form.html", {"form": form}, status=status)


def _visible_request(request: HttpRequest, external_id) -> ServiceRequest:
    """Dispatchers read any request of their jurisdiction; a volunteer only their tasks."""
    qs = selectors.request_rows(ServiceRequest.objects.visible_to(request.user))
    if not request.user.has_perm("volunteers.dispatch_servicerequest"):
        volunteer = _me(request)
        if volunteer is None:
            raise Http404
        qs = qs.filter(selectors.tasks_filter(volunteer))
    return get_object_or_404(qs, external_id=external_id)


@login_required
@permission_required("volunteers.view_servicerequest", raise_exception=True)
def request_detail(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    can_dispatch = request.user.has_perm("volunteers.dispatch_servicerequest")
    me = _me(request)
    context = {
        "row": row,
        "overdue": row.is_overdue(),
        "events": row.events.select_related("actor"),
        "can_dispatch": can_dispatch and row.status in ("new", "accepted"),
        "can_confirm": can_dispatch and row.status == "done",
        "can_accept": services.can_accept(me, row),
        "can_complete": row.status == "accepted"
        and ((me is not None and row.volunteer_id == me.pk) or can_dispatch),
        "dispatch_form": DispatchForm(
            initial={"volunteer": row.volunteer_id, "team": row.team_id},
            village_id=row.jurisdiction_id,
        ),
        "cancel_form": CancelForm(),
        "phone_masked": mask_phone(row.phone) if row.phone_cipher else "",
    }
    return render(request, "volunteers/request_detail.html", context)


@login_required
@permission_required("volunteers.view_servicerequest", raise_exception=True)
@require_POST
def request_phone(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    phone = services.reveal_request_phone(Actor.from_request(request), row)
    return render(request, "volunteers/request_phone.html", {"row": row, "phone": phone})


@login_required
@permission_required("volunteers.view_servicerequest", raise_exception=True)
def request_photo(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    path = services.photo_path(row)
    if path is None or not path.is_file():
        raise Http404
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=kind)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("volunteers.dispatch_servicerequest", raise_exception=True)
@require_POST
def request_dispatch(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    form = DispatchForm(request.POST, village_id=row.jurisdiction_id)
    if not form.is_valid():
        messages.error(request, _("Choose a volunteer or a team of the request's village."))
    else:
        try:
            services.dispatch_request(Actor.from_request(request), row, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("Dispatched."))
    if request.POST.get("next") == "list":
        return redirect("volunteers:requests")
    return redirect(services.request_link(row))


@login_required
@permission_required("volunteers.dispatch_servicerequest", raise_exception=True)
@require_POST
def request_confirm(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    try:
        services.confirm_request(Actor.from_request(request), row)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Confirmed: the household has received it."))
    return redirect(services.request_link(row))


@login_required
@permission_required("volunteers.dispatch_servicerequest", raise_exception=True)
@require_POST
def request_cancel(request: HttpRequest, external_id) -> HttpResponse:
    row = _visible_request(request, external_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is cancelled."))
    else:
        try:
            services.cancel_request(Actor.from_request(request), row, form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("The request is cancelled."))
    return redirect(services.request_link(row))


# My tasks (a volunteer's phone) --------------------------------------------------------------


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    volunteer = _me(request)
    context = {"volunteer": volunteer}
    if volunteer is not None:
        context["tasks"] = selectors.my_tasks(volunteer, timezone.now())
    return render(request, "volunteers/my_tasks.html", context)


@login_required
@require_POST
def task_accept(request: HttpRequest, external_id) -> HttpResponse:
    volunteer = _me(request)
    if volunteer is None:
        raise Http404
    row = get_object_or_404(
        ServiceRequest.objects.filter(selectors.tasks_filter(volunteer)), external_id=external_id
    )
    try:
        services.accept_request(Actor.from_request(request), row)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Accepted: %(what)s") % {"what": row})
    return redirect("volunteers:mine")


@login_required
def task_done(request: HttpRequest, external_id) -> HttpResponse:
    volunteer = _me(request)
    if volunteer is None:
        raise Http404
    row = get_object_or_404(
        selectors.request_rows(ServiceRequest.objects.filter(volunteer=volunteer)),
        external_id=external_id,
    )
    form = DoneForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            photo = services.read_upload(data["photo"]) if data["photo"] else None
            services.complete_request(
                Actor.from_request(request),
                row,
                note=data["note"],
                photo=photo,
                hours=data["hours"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as error:
            messages.error(request, _errors(error))
            return redirect("volunteers:mine")
        else:
            messages.success(request, _("Delivered. Thank you!"))
            return redirect("volunteers:mine")
    status = 400 if request.method == "POST" else 200
    return render(request, "volunteers/task_done.html", {"row": row, "form": form}, status=status)


# The town's summary --------------------------------------------------------------------------


@login_required
@permission_required("volunteers.view_volunteer", raise_exception=True)
@permission_required("volunteers.view_servicerequest", raise_exception=True)
def summary(request: HttpRequest) -> HttpResponse:
    context = selectors.town_summary(request.user, timezone.now())
    return render(request, "volunteers/summary.html", context)
