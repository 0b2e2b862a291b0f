"""Registration pages: the list (filters, plate search), one registration with its passengers
(ID numbers and phones masked; revealing one is audited), the statistics, and the home page's
panel of today's figures.

Views authorise, validate, call one service and render. Registrations are read through
`visible_to(request.user)`: another village's registration is a 404.
"""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.checkpoints import selectors, services
from fangyi.checkpoints.forms import RegistrationFilterForm, StatisticsForm
from fangyi.checkpoints.models import Passenger
from fangyi.core.audit import Actor
from fangyi.core.models import User
from fangyi.core.views import HomePanel

VIEW = "checkpoints.view_registration"
REVEALABLE = ("id_number", "phone")


def _filter_query(params) -> str:
    return urlencode([(k, v) for k in selectors.FILTER_KEYS for v in params.getlist(k) if v])


@login_required
@permission_required(VIEW, raise_exception=True)
def registration_list(request: HttpRequest) -> HttpResponse:
    checkpoints = selectors.checkpoint_choices(request.user)
    form = RegistrationFilterForm(request.GET or None, checkpoints=checkpoints)
    form.is_valid()  # errors are shown; filter_registrations ignores malformed values
    page = Paginator(
        selectors.registration_rows(request.user, request.GET), settings.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _filter_query(request.GET),
        "filters_open": any(request.GET.get(k) for k in selectors.FILTER_KEYS if k != "plate"),
    }
    return render(request, "checkpoints/registration_list.html", context)


def _visible_registration(request: HttpRequest, external_id):
    registration = selectors.registration_for_page(request.user, external_id)
    if registration is None:
        raise Http404
    return registration


@login_required
@permission_required(VIEW, raise_exception=True)
def registration_detail(request: HttpRequest, external_id) -> HttpResponse:
    registration = _visible_registration(request, external_id)
    context = {
        "registration": registration,
        "passengers": selectors.registration_passengers(registration),
        "alerts": list(
            selectors.registration_alerts(request.user, services.registration_link(registration))
        ),
        "can_reveal": request.user.has_perm("core.reveal_identity"),
    }
    return render(request, "checkpoints/registration_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def passenger_reveal(request: HttpRequest, external_id, position: int, field: str) -> HttpResponse:
    """One passenger's full ID number or phone; the service checks the role and audits it."""
    if field not in REVEALABLE:
        raise Http404
    registration = _visible_registration(request, external_id)
    passenger = (
        Passenger.objects.select_related("registration__jurisdiction")
        .filter(registration=registration, position=position)
        .first()
    )
    if passenger is None:
        raise Http404
    value = services.reveal_passenger_field(Actor.from_request(request), passenger, field)
    return render(request, "core/_revealed.html", {"value": value, "field": field})


# Statistics ----------------------------------------------------------------------------------


def _number(n: int) -> str:
    """31325 → "31,325", as the reports write it (whatever the locale's grouping)."""
    return f"{n:,}"


def summary_sentence(place: str, as_of: date, figures: selectors.Figures) -> str:
    """The cumulative figures in the reports' wording ("累计检查车辆 31,325 辆…")."""
    return _(
        "As of %(date)s, %(place)s has checked %(vehicles)s vehicles and %(people)s people in "
        "total, persuaded %(vehicles_back)s vehicles and %(people_back)s people to turn back, "
        "found %(fevers)s people with a fever and sent %(quarantined)s people to quarantine."
    ) % {
        "date": date_format(as_of, "SHORT_DATE_FORMAT"),
        "place": place,
        "vehicles": _number(figures.vehicles),
        "people": _number(figures.people),
        "vehicles_back": _number(figures.vehicles_persuaded),
        "people_back": _number(figures.people_persuaded),
        "fevers": _number(figures.fevers),
        "quarantined": _number(figures.quarantined),
    }


def _place_name(user: User) -> str:
    return user.jurisdiction.name if user.jurisdiction_id else _("all jurisdictions")


@login_required
@permission_required(VIEW, raise_exception=True)
def statistics(request: HttpRequest) -> HttpResponse:
    checkpoints = selectors.checkpoint_choices(request.user)
    # Always bound; without a range, today and the 7 days before (shown in the date fields).
    params = request.GET.copy()
    if not params.get("start") and not params.get("end"):
        start, end = selectors.default_range()
        params["start"], params["end"] = start.isoformat(), end.isoformat()
    form = StatisticsForm(params, checkpoints=checkpoints)
    context = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        chosen = data["checkpoint_object"]
        stats = selectors.checkpoint_statistics(
            request.user, data["start"], data["end"], checkpoint=chosen
        )
        place = chosen.name if chosen else _place_name(request.user)
        context |= {
            "stats": stats,
            "chosen": chosen,
            "summary": summary_sentence(place, stats.end, stats.cumulative),
            "day_rows": list(zip(stats.days, stats.day_totals, strict=True)),
            "query": _statistics_query(data),
        }
    return render(request, "checkpoints/statistics.html", context)


def _statistics_query(data: dict) -> str:
    """The range as a query string, for the per-checkpoint links."""
    return urlencode({"start": data["start"].isoformat(), "end": data["end"].isoformat()})


def figures_panel(user: User) -> HomePanel | None:
    """Today's checkpoint figures on the home page (registered in CheckpointsConfig.ready)."""
    if not user.has_perm(VIEW):
        return None
    today = timezone.localdate()
    figures, cumulative = selectors.figures_of_day(user, today)
    if figures.is_empty and cumulative.is_empty:
        return None
    return HomePanel(
        "checkpoints/statistics_panel.html",
        {
            "today": figures,
            "day": today.isoformat(),
            "summary": summary_sentence(_place_name(user), today, cumulative),
        },
    )
