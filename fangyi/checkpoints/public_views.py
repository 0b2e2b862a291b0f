"""Travellers' self-registration behind a checkpoint poster's QR code: public, no login.

The traveller fills in their own details on their own phone and gets a short code (and its QR)
to show the staff, who add the temperature and the result. What this page may show is only that
traveller's own code: it is kept in their browser session and never looked up from the address,
so nobody can read another traveller's registration here. Every POST counts against a per-address
hourly limit, valid or not.
"""

from datetime import timedelta

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fangyi.checkpoints import services
from fangyi.checkpoints.forms import SelfRegistrationForm
from fangyi.checkpoints.models import Checkpoint, CheckpointStatus, SelfRegistration
from fangyi.core.audit import client_ip
from fangyi.core.ratelimit import address_key, allow

SESSION_KEY = "checkpoints.self_registration"  # {"checkpoint": code, "code": code}
RATE_WINDOW = timedelta(hours=1)


def _checkpoint(code: str) -> Checkpoint | None:
    return Checkpoint.objects.select_related("jurisdiction").filter(code=code.upper()).first()


def _unknown(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "checkpoints/self_unknown.html", {"code": code[:12]}, status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def self_register(request: HttpRequest, code: str) -> HttpResponse:
    if request.method == "POST" and not allow(
        address_key("self-registration", client_ip(request)),
        limit=settings.SELF_REGISTRATION_PER_HOUR,
        window=RATE_WINDOW,
    ):
        return render(request, "checkpoints/self_limited.html", status=429)
    checkpoint = _checkpoint(code)
    if checkpoint is None:
        return _unknown(request, code)
    form = SelfRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.submit_self_registration(checkpoint, form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            # Only this browser learns the code: the done page reads it from the session.
            request.session.cycle_key()
            request.session[SESSION_KEY] = {
                "checkpoint": checkpoint.code,
                "code": registration.code,
            }
            return redirect("checkpoints:self_done", code=checkpoint.code)
    context = {
        "checkpoint": checkpoint,
        "form": form,
        "closed": checkpoint.status == CheckpointStatus.CLOSED,
        "has_earlier": _own_registration(request, checkpoint) is not None,
    }
    return render(request, "checkpoints/self_form.html", context)


def _own_registration(request: HttpRequest, checkpoint: Checkpoint) -> SelfRegistration | None:
    """The registration this browser submitted at this checkpoint, while it can still be used."""
    kept = request.session.get(SESSION_KEY) or {}
    if kept.get("checkpoint") != checkpoint.code or not kept.get("code"):
        return None
    registration = SelfRegistration.objects.filter(checkpoint=checkpoint, code=kept["code"]).first()
    return registration if registration is not None and registration.is_usable() else None


@never_cache
@require_http_methods(["GET"])
def self_done(request: HttpRequest, code: str) -> HttpResponse:
    checkpoint = _checkpoint(code)
    if checkpoint is None:
        return _unknown(request, code)
    registration = _own_registration(request, checkpoint)
    if registration is None:
        return redirect("checkpoints:self_register", code=checkpoint.code)
    qr = segno.make_qr(registration.code, error="m")
    context = {
        "checkpoint": checkpoint,
        "code": registration.code,
        "expires_at": registration.expires_at,
        "qr_data_uri": qr.svg_data_uri(scale=8, border=4),
    }
    return render(request, "checkpoints/self_done.html", context)
