"""Alerts (a fever at a checkpoint, a quarantined person leaving...): the list, acknowledging
one, and the home page's panel of open alerts. The apps raise them (core.services.raise_alert)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core import services
from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind, User
from fangyi.core.views import HomePanel

ALERT_STATES = ("open", "acknowledged", "all")
ALERTS_ON_HOME = 10


def _alert_rows(user: User):
    return Alert.objects.visible_to(user).select_related("person", "acknowledged_by")


@login_required
@permission_required("core.view_alert", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts in the user's jurisdiction, newest first: open ones (default), acknowledged, all."""
    state = request.GET.get("state") if request.GET.get("state") in ALERT_STATES else "open"
    kind = request.GET.get("kind") if request.GET.get("kind") in AlertKind.values else ""
    alerts = _alert_rows(request.user)
    if state == "open":
        alerts = alerts.filter(acknowledged_at__isnull=True)
    elif state == "acknowledged":
        alerts = alerts.filter(acknowledged_at__isnull=False)
    if kind:
        alerts = alerts.filter(kind=kind)
    page = Paginator(alerts, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("kind", kind)) if v)
    context = {
        "page": page,
        "state": state,
        "kind": kind,
        "kinds": AlertKind.choices,
        "query": query,
        "can_acknowledge": request.user.has_perm("core.change_alert"),
    }
    return render(request, "core/alert_list.html", context)


@login_required
@permission_required("core.change_alert", raise_exception=True)
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an alert as being handled. htmx swaps the row; otherwise back to `next`."""
    alert = get_object_or_404(_alert_rows(request.user), pk=pk)
    alert = services.acknowledge_alert(Actor.from_request(request), alert)
    if request.htmx:
        return render(request, "core/alert_row.html", {"alert": alert, "can_acknowledge": True})
    messages.success(request, _("Alert acknowledged."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "alert_list"
    return redirect(target)


def alerts_panel(user: User) -> HomePanel | None:
    """Open alerts on the home page, newest first (registered by the apps that raise them)."""
    if not user.has_perm("core.view_alert"):
        return None
    alerts = _alert_rows(user).filter(acknowledged_at__isnull=True)
    shown = list(alerts[:ALERTS_ON_HOME])
    count = len(shown) if len(shown) < ALERTS_ON_HOME else alerts.count()
    return HomePanel(
        "core/alert_panel.html",
        {"alerts": shown, "count": count, "can_acknowledge": user.has_perm("core.change_alert")},
    )
