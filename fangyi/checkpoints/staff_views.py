"""The staff registration screen: one page for a phone at a checkpoint, working offline.

The page itself only renders what the phone needs (the staff's checkpoints, the fever threshold,
the plate keyboard, its strings); register.js keeps each registration in IndexedDB and sends
them to the batch API (api.py) when the network is there. The service worker and the web
manifest are served from here, under /checkpoints/, so the worker's scope covers the page.
"""

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fangyi.checkpoints import suggestions
from fangyi.checkpoints.models import Checkpoint, CheckpointStatus, Result
from fangyi.checkpoints.plates import PROVINCES
from fangyi.core.models import DiseaseProfile, User
from fangyi.core.roles import Role
from fangyi.core.temperature import HIGHEST, LOWEST
from fangyi.core.views import HomePanel

REGISTER = "checkpoints.add_registration"

# The province characters most plates seen in the demo region start with; the checkpoint's own
# province goes first. The others wait behind "more".
COMMON_PROVINCES = "皖浙鄂苏沪豫赣粤京鲁湘川"
PROVINCE_BY_CODE = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉",
    "23": "黑", "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣",
    "37": "鲁", "41": "豫", "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼",
    "50": "渝", "51": "川", "52": "贵", "53": "云", "54": "藏", "61": "陕", "62": "甘",
    "63": "青", "64": "宁", "65": "新",
}  # fmt: skip

# Files the service worker keeps so the page opens with no network.
SHELL_STATIC = [
    "fangyi/app.css",
    "vendor/htmx.min.js",
    "checkpoints/register.css",
    "checkpoints/register.js",
    "checkpoints/icon-192.png",
    "checkpoints/icon-512.png",
]


def _result_buttons() -> list[dict]:
    short = {
        Result.PASSED: _("Passed"),
        Result.PERSUADED_BACK: _("Persuaded back"),
        Result.FEVER_CLINIC: _("Fever clinic"),
        Result.HOME_QUARANTINE: _("Home quarantine"),
        Result.CENTRALIZED: _("Centralized"),
    }
    return [{"value": value, "label": label} for value, label in short.items()]


def _province_keys(checkpoints: list[Checkpoint]) -> tuple[str, str]:
    """(the keys shown first, the rest behind "more")."""
    local = [PROVINCE_BY_CODE.get(cp.jurisdiction_id[:2], "") for cp in checkpoints]
    first = "".join(dict.fromkeys([p for p in local if p] + list(COMMON_PROVINCES)))
    return first, "".join(p for p in PROVINCES if p not in first)


def _js_text() -> dict[str, str]:
    """The strings register.js shows, in the user's language (the page is cached offline with
    them)."""
    return {
        "online": _("online"),
        "offline": _("offline: saved on this phone"),
        "sending": _("sending…"),
        "send_failed": _("not sent (no network): will retry"),
        "server_error": _("the server answered %(status)s: will retry"),
        "login": _("Your login has expired: log in again. The registrations stay on this phone."),
        "login_short": _("not sent: log in again"),
        "saved": _("Saved on this phone"),
        "waiting": _("waiting"),
        "rejected": _("to correct"),
        "edit": _("Correct"),
        "correcting": _("Correcting the registration of %(time)s (%(plate)s)"),
        "delete": _("Delete"),
        "delete_confirm": _("Delete this registration from the phone? It was never stored."),
        "dismiss": _("OK"),
        "person": _("Person %(n)s"),
        "remove": _("remove"),
        "on_foot": _("on foot"),
        "times": _("%(n)s times"),
        "plate_required": _("enter the plate number"),
        "plate_province": _("a plate starts with a province character such as 皖 or 浙"),
        "plate_length": _("a plate has 7 characters (8 for new-energy vehicles)"),
        "plate_io": _("plates never contain the letters I or O: did you mean 1 or 0?"),
        "plate_invalid": _("“%(plate)s” is not a valid plate number"),
        "temp_not_number": _("“%(value)s” is not a temperature"),
        "temp_typo": _("%(value)s °C is impossible: did you mean %(guess)s?"),
        "temp_range": _(
            "%(value)s °C is impossible: a temperature is between %(low)s and %(high)s"
        ),
        "fever": _("fever: goes to the fever clinic"),
        "name_required": _("the name is required"),
        "idphone_required": _("enter the ID number or the phone number"),
        "idphone_invalid": _("not an ID number (18 characters) nor a mobile number (11 digits)"),
        "id_checksum": _("this ID number's last character is wrong: check it"),
        "result_required": _("choose the result of the check"),
        "fix_below": _("Correct what is marked in red."),
        "self_found": _("self-registered: %(name)s"),
        "self_unknown": _("code not found (it is checked again when sent)"),
        "self_unusable": _("this code was already used or has expired"),
        "sent_today": _("Sent today: %(n)s"),
        "closed": _("closed"),
        "sealed": _("sealed exit: passes only"),
    }


def _field_labels() -> dict[str, str]:
    """Names of the fields the server's problems point at ("passengers.1.temperature")."""
    return {
        "id": _("Registration"),
        "checkpoint": _("Checkpoint"),
        "occurred_at": _("Time"),
        "direction": _("Direction"),
        "plate": _("Plate number"),
        "from_place": _("From"),
        "to_place": _("To"),
        "reason": _("Reason"),
        "result": _("Result"),
        "notes": _("Notes"),
        "passengers": _("People"),
        "name": _("Name"),
        "id_number": _("ID number"),
        "phone": _("Phone"),
        "person_id": _("Resident"),
        "self_code": _("Self-registration code"),
        "pass_code": _("Pass number"),
        "temperature": _("Temperature"),
    }


def _checkpoint_json(checkpoint: Checkpoint) -> dict:
    return {
        "code": checkpoint.code,
        "name": checkpoint.name,
        "place": checkpoint.jurisdiction.name,
        "status": checkpoint.status,
        "sealed": checkpoint.status == CheckpointStatus.SEALED_EXIT,
        "closed": checkpoint.status == CheckpointStatus.CLOSED,
    }


@login_required
@permission_required(REGISTER, raise_exception=True)
@require_GET
@never_cache  # personal to the account; the service worker keeps its own copy
def register(request: HttpRequest) -> HttpResponse:
    checkpoints = list(
        Checkpoint.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "name")
    )
    common, more = _province_keys(checkpoints)
    config = {
        "user": str(request.user.pk),
        "checkpoints": [_checkpoint_json(cp) for cp in checkpoints],
        "fever": str(DiseaseProfile.current().fever_threshold),
        "low": str(LOWEST),
        "high": str(HIGHEST),
        "provinces": PROVINCES,
        "defaultProvince": common[0],
        "results": _result_buttons(),
        "urls": {
            "batch": reverse("api:create_registrations"),
            "selfRegistration": reverse("api:get_self_registration", args=["CODE"]),
            "suggestions": reverse("checkpoints:register_suggestions"),
            "serviceWorker": reverse("checkpoints:service_worker"),
            "scope": reverse("checkpoints:register").rsplit("register/", 1)[0],
        },
        "text": _js_text(),
        "fields": _field_labels(),
    }
    return render(
        request,
        "checkpoints/register.html",
        {
            "config": config,
            "checkpoints": checkpoints,
            "results": config["results"],
            "common_provinces": common,
            "more_provinces": more,
        },
    )


@require_GET
@never_cache
def register_suggestions(request: HttpRequest) -> JsonResponse:
    """Suggestions for the screen: ?checkpoint=CODE[&q=typed text]. Masked data only.

    A lapsed session gets a 401, not a redirect to the login page: the page fetches this while
    its staff may be logging in again, and a login page fetched here without a cookie would set
    a fresh CSRF cookie under the one the staff's login form was rendered with."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Log in again.")}, status=401)
    if not request.user.has_perm(REGISTER):
        raise PermissionDenied
    code = request.GET.get("checkpoint", "").strip().upper()
    checkpoint = (
        Checkpoint.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .filter(code=code)
        .first()
    )
    if checkpoint is None:
        raise Http404(_("no such checkpoint"))
    query = request.GET.get("q", "")[:40]
    return JsonResponse(suggestions.suggestions_for(request.user, checkpoint, query))


def register_panel(user: User) -> HomePanel | None:
    """The home page of a checkpoint staff account leads straight to the screen."""
    if user.role != Role.CHECKPOINT_STAFF or not user.has_perm(REGISTER):
        return None
    return HomePanel("checkpoints/register_home_panel.html", {})


def _shell_version() -> str:
    if settings.DEBUG:
        return _compute_shell_version()
    return _cached_shell_version()


@cache
def _cached_shell_version() -> str:
    return _compute_shell_version()


def _compute_shell_version() -> str:
    """Changes when a file the worker keeps changes, so phones fetch the new ones."""
    digest = hashlib.sha256(get_template("checkpoints/register_sw.js").template.source.encode())
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker that keeps the page shell for offline use. Public (no personal data in it):
    browsers fetch it to update it even when the session has expired."""
    response = render(
        request,
        "checkpoints/register_sw.js",
        {
            "version": _shell_version(),
            "page": reverse("checkpoints:register"),
            "assets": json.dumps(
                [static(name) for name in SHELL_STATIC] + [reverse("checkpoints:manifest")]
            ),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web manifest: the page installs like an app. Public (browsers fetch it without
    cookies)."""
    start = reverse("checkpoints:register")
    body = {
        "name": _("Fangyi checkpoint registration"),
        "short_name": _("Register"),
        "description": _("Register people and vehicles at a checkpoint, also with no network."),
        "start_url": start,
        "scope": start.rsplit("register/", 1)[0],
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f6f8",
        "theme_color": "#b71c1c",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("checkpoints/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("checkpoints/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("checkpoints/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
