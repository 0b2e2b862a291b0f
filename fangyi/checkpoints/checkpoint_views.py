"""Checkpoint setup pages: the list of the user's checkpoints, set up / edit, a checkpoint's page,
and its printable poster (PDF and PNG) with the QR code of its public self-registration form.

Every checkpoint is looked up through `Checkpoint.objects.visible_to(request.user)`, so another
village's checkpoint is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangyi.checkpoints import posters, services
from fangyi.checkpoints.forms import CheckpointFilterForm, CheckpointForm
from fangyi.checkpoints.models import CODE_ALPHABET, Checkpoint, CheckpointStatus
from fangyi.core.audit import Actor

VIEW = "checkpoints.view_checkpoint"
# A checkpoint code in a URL (models.new_checkpoint_code): "K" and six letters of the alphabet.
# Spelled out so these paths never shadow the app's other paths ("registrations/"...).
CODE = f"K[{CODE_ALPHABET}]{{6}}"


def _visible_checkpoint(request: HttpRequest, code: str) -> Checkpoint:
    return get_object_or_404(
        Checkpoint.objects.visible_to(request.user).select_related("jurisdiction__parent"),
        code=code,
    )


def self_registration_url(request: HttpRequest, checkpoint: Checkpoint) -> str:
    """The absolute address the poster's QR code opens."""
    return request.build_absolute_uri(
        reverse("checkpoints:self_register", kwargs={"code": checkpoint.code})
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    form = CheckpointFilterForm(request.GET or None, user=request.user)
    checkpoints = Checkpoint.objects.visible_to(request.user).select_related("jurisdiction")
    if form.is_valid():
        village, status = form.cleaned_data["village"], form.cleaned_data["status"]
        if village:
            checkpoints = checkpoints.within(village)
        if status:
            checkpoints = checkpoints.filter(status=status)
    page = Paginator(checkpoints.order_by("jurisdiction_id", "name", "pk"), settings.PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k in ("village", "status") if (v := request.GET.get(k))])
    context = {
        "form": form,
        "page": page,
        "query": query,
        "filtered": bool(query),
        "can_add": request.user.has_perm("checkpoints.add_checkpoint"),
    }
    return render(request, "checkpoints/checkpoint_list.html", context)


def _as_validation_error(error: Exception) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    return ValidationError(str(error.args[0]) if error.args else _("not allowed"))


@login_required
@permission_required("checkpoints.add_checkpoint", raise_exception=True)
def checkpoint_create(request: HttpRequest) -> HttpResponse:
    form = CheckpointForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            checkpoint = services.create_checkpoint(
                Actor.from_request(request), **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(
                request,
                _("Checkpoint %(name)s is set up: print its poster.") % {"name": checkpoint.name},
            )
            return redirect("checkpoints:checkpoint_detail", code=checkpoint.code)
    return render(request, "checkpoints/checkpoint_form.html", {"form": form})


@login_required
@permission_required("checkpoints.change_checkpoint", raise_exception=True)
def checkpoint_edit(request: HttpRequest, code: str) -> HttpResponse:
    checkpoint = _visible_checkpoint(request, code)
    form = CheckpointForm(request.POST or None, user=request.user, checkpoint=checkpoint)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_checkpoint(Actor.from_request(request), checkpoint, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("checkpoints:checkpoint_detail", code=checkpoint.code)
    return render(
        request, "checkpoints/checkpoint_form.html", {"form": form, "checkpoint": checkpoint}
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def checkpoint_detail(request: HttpRequest, code: str) -> HttpResponse:
    checkpoint = _visible_checkpoint(request, code)
    lockdowns = []
    if checkpoint.status == CheckpointStatus.SEALED_EXIT:
        lockdowns = list(
            checkpoint.lockdowns.filter(lifted_at__isnull=True).select_related("village")
        )
    context = {
        "checkpoint": checkpoint,
        "place": posters.place_name(checkpoint),
        "self_url": self_registration_url(request, checkpoint),
        "lockdowns": lockdowns,
        "can_change": request.user.has_perm("checkpoints.change_checkpoint"),
    }
    return render(request, "checkpoints/checkpoint_detail.html", context)


def _poster_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def poster_pdf(request: HttpRequest, code: str) -> HttpResponse:
    checkpoint = _visible_checkpoint(request, code)
    content = posters.poster_pdf(checkpoint, self_registration_url(request, checkpoint))
    return _poster_response(content, "application/pdf", f"poster-{checkpoint.code}.pdf")


@login_required
@permission_required(VIEW, raise_exception=True)
def poster_png(request: HttpRequest, code: str) -> HttpResponse:
    checkpoint = _visible_checkpoint(request, code)
    content = posters.poster_png(checkpoint, self_registration_url(request, checkpoint))
    return _poster_response(content, "image/png", f"poster-{checkpoint.code}.png")
