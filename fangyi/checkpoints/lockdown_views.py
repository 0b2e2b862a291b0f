"""Village lockdown pages (整村封闭): the list, sealing a village, one lockdown with its exits,
passes and refused attempts, lifting it; issuing a pass (通行证) to a named person, revoking it,
and the printable pass.

Town commanders and cadres seal, lift and issue (checkpoints.add_lockdown, change_lockdown,
add_pass, change_pass); a village cadre sees their own village's lockdown. Lockdowns are read
through `visible_to(request.user)`: another village's is a 404.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.checkpoints import selectors, services
from fangyi.checkpoints.forms import IssuePassForm, LiftLockdownForm, SealVillageForm
from fangyi.checkpoints.models import Lockdown, Pass
from fangyi.core.audit import Actor
from fangyi.core.selectors import search_people

VIEW = "checkpoints.view_lockdown"
CANDIDATES = 20  # people offered for a pass at a time: the search narrows them


def _visible_lockdown(request: HttpRequest, pk: int) -> Lockdown:
    lockdown = selectors.lockdown_for_page(request.user, pk)
    if lockdown is None:
        raise Http404
    return lockdown


def _visible_pass(request: HttpRequest, code: str) -> Pass:
    found = selectors.pass_for_page(request.user, code)
    if found is None:
        raise Http404
    return found


@login_required
@permission_required(VIEW, raise_exception=True)
def lockdown_list(request: HttpRequest) -> HttpResponse:
    lockdowns = list(selectors.lockdowns_for_list(request.user))
    now = timezone.now()
    context = {
        "active": [lockdown for lockdown in lockdowns if lockdown.is_active_at(now)],
        "planned": [x for x in lockdowns if x.lifted_at is None and not x.is_active_at(now)],
        "lifted": [lockdown for lockdown in lockdowns if lockdown.lifted_at is not None],
    }
    return render(request, "checkpoints/lockdown_list.html", context)


@login_required
@permission_required("checkpoints.add_lockdown", raise_exception=True)
def lockdown_seal(request: HttpRequest) -> HttpResponse:
    """The form; with ?village=code (the village select's htmx request) it lists that village's
    checkpoints to choose the exits from."""
    data = request.POST if request.method == "POST" else None
    initial = {"village": request.GET.get("village")} if request.GET.get("village") else None
    form = SealVillageForm(data, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            lockdown = services.seal_village(
                Actor.from_request(request),
                values["village"],
                reason=values["reason"],
                exits=list(values["exits"]),
                starts_at=values["starts_at"],
                planned_end_at=values["planned_end_at"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("%(village)s is sealed.") % {"village": lockdown.village.name}
            )
            return redirect("checkpoints:lockdown", pk=lockdown.pk)
    village = form.chosen_village
    chosen = {str(pk) for pk in (form["exits"].value() or [])}
    exits = [
        (checkpoint, str(checkpoint.pk) in chosen)
        for checkpoint in selectors.village_checkpoints(request.user, village)
    ]
    context = {"form": form, "village": village, "exits": exits}
    template = (
        "checkpoints/lockdown_exits.html"
        if request.htmx and request.method == "GET"
        else "checkpoints/lockdown_form.html"
    )
    return render(request, template, context)


@login_required
@permission_required(VIEW, raise_exception=True)
def lockdown_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lockdown = _visible_lockdown(request, pk)
    now = timezone.now()
    passes = [
        (p, p.revoked_at is None and p.valid_from <= now < p.valid_until)
        for p in selectors.lockdown_passes(lockdown)
    ]
    context = {
        "lockdown": lockdown,
        "active": lockdown.is_active_at(now),
        "exits": list(lockdown.exits.select_related("jurisdiction").order_by("name")),
        "passes": passes,
        "attempts": selectors.refused_attempts(lockdown),
        "lift_form": LiftLockdownForm(),
        "can_lift": request.user.has_perm("checkpoints.change_lockdown")
        and lockdown.lifted_at is None,
        "can_issue": request.user.has_perm("checkpoints.add_pass") and lockdown.lifted_at is None,
        "can_revoke": request.user.has_perm("checkpoints.change_pass"),
    }
    return render(request, "checkpoints/lockdown_detail.html", context)


@login_required
@permission_required("checkpoints.change_lockdown", raise_exception=True)
@require_POST
def lockdown_lift(request: HttpRequest, pk: int) -> HttpResponse:
    lockdown = _visible_lockdown(request, pk)
    form = LiftLockdownForm(request.POST)
    if form.is_valid():
        try:
            services.lift_lockdown(
                Actor.from_request(request), lockdown, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("The lockdown of %(village)s is lifted.") % {"village": lockdown.village.name},
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("checkpoints:lockdown", pk=lockdown.pk)


@login_required
@permission_required("checkpoints.add_pass", raise_exception=True)
def pass_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Find a person of the village (the people search), then the pass's reason and window.
    The search box refreshes the candidates by htmx; without JS its button does."""
    lockdown = _visible_lockdown(request, pk)
    if lockdown.lifted_at is not None and request.method == "GET":
        messages.error(request, _("this lockdown was lifted: passes are no longer needed"))
        return redirect("checkpoints:lockdown", pk=lockdown.pk)
    data = request.POST if request.method == "POST" else None
    form = IssuePassForm(data, user=request.user, lockdown=lockdown)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            travel_pass = services.issue_pass(
                Actor.from_request(request),
                lockdown,
                values["person"],
                reason=values["reason"],
                valid_from=values["valid_from"],
                valid_until=values["valid_until"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Pass %(code)s issued to %(name)s.")
                % {"code": travel_pass.code, "name": travel_pass.person.name},
            )
            return redirect("checkpoints:lockdown", pk=lockdown.pk)
    query = (request.POST.get("q") if data else request.GET.get("q")) or ""
    candidates = list(search_people(request.user, query).within(lockdown.village_id)[:CANDIDATES])
    picked = str(form["person"].value() or "")
    chosen = form.cleaned_data.get("person") if form.is_bound else None
    if chosen is not None and chosen not in candidates:
        candidates.insert(0, chosen)  # the form came back with errors: keep the choice shown
    context = {
        "lockdown": lockdown,
        "form": form,
        "query": query,
        "candidates": candidates,
        "picked": picked,
    }
    template = (
        "checkpoints/pass_candidates.html"
        if request.htmx and request.method == "GET"
        else "checkpoints/pass_form.html"
    )
    return render(request, template, context)


@login_required
@permission_required("checkpoints.change_pass", raise_exception=True)
@require_POST
def pass_revoke(request: HttpRequest, code: str) -> HttpResponse:
    travel_pass = _visible_pass(request, code)
    services.revoke_pass(Actor.from_request(request), travel_pass)
    messages.success(request, _("Pass %(code)s revoked.") % {"code": travel_pass.code})
    return redirect("checkpoints:lockdown", pk=travel_pass.lockdown_id)


@login_required
@permission_required("checkpoints.view_pass", raise_exception=True)
def pass_print(request: HttpRequest, code: str) -> HttpResponse:
    """The pass as a page to print (A6-ish) with its number as a QR code for the exit's staff."""
    travel_pass = _visible_pass(request, code)
    qr = segno.make(travel_pass.code, error="m").svg_inline(scale=7, border=2)
    now = timezone.now()
    context = {"pass": travel_pass, "qr": qr, "valid_now": travel_pass.is_valid_at(now)}
    return render(request, "checkpoints/pass_print.html", context)
