"""The public self-report page behind each order's link: the person under quarantine (or their
family) sends the temperature from their own phone, without an account and without JavaScript.

The link's token is the only key. What the page shows is the least a family needs: the masked
name, the day of the period, the check due now. An unknown token gets the same plain page
whatever the reason (no hint whether an order exists), and every request from an address
counts against an hourly limit, so guessing tokens is throttled. A hidden client id makes a
double tap one check, not two.
"""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fangyi.core.audit import client_ip
from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import DiseaseProfile
from fangyi.core.ratelimit import address_key, allow
from fangyi.quarantine import services
from fangyi.quarantine.models import CheckStatus, FollowUp, QuarantineOrder

RATE_WINDOW = timedelta(hours=1)
# Requests per address and hour (GET and POST, valid or not). A report is about three requests
# (the form, the POST, the confirmation), twice a day; families behind one carrier address
# share the budget (settings.SELF_REPORT_PER_HOUR).

SELF, FAMILY = "self", "family"


class SelfReportForm(ServiceErrorsMixin, forms.Form):
    temperature = forms.CharField(
        label=gettext_lazy("Temperature (°C)"),
        max_length=10,
        required=False,  # the service says what is missing or wrong (one place for the rules)
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "autocomplete": "off",
                "placeholder": gettext_lazy("e.g. 36.5"),
                "class": "sr-temperature",
            }
        ),
    )
    symptoms = forms.MultipleChoiceField(
        label=gettext_lazy("Any of these?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reporter = forms.ChoiceField(
        label=gettext_lazy("Who is reporting"),
        choices=[
            (SELF, pgettext_lazy("self-report", "myself")),
            (FAMILY, pgettext_lazy("self-report", "a family member")),
        ],
        initial=SELF,
        widget=forms.RadioSelect,
    )
    family_name = forms.CharField(
        label=gettext_lazy("Family member's name"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, symptoms: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symptoms"].choices = [(s, s) for s in symptoms]
        self.fields["reporter"].error_messages["required"] = _("say who is reporting")
        self.fields["client_id"].error_messages["invalid"] = _(
            "this form is out of date: reload the page and send it again"
        )
        self.fields["client_id"].error_messages["required"] = self.fields[
            "client_id"
        ].error_messages["invalid"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("reporter") == FAMILY and not (data.get("family_name") or "").strip():
            self.add_error("family_name", _("give the family member's name"))
        return data

    def reported_by(self) -> str:
        if self.cleaned_data["reporter"] == FAMILY:
            return _("%(name)s (family)") % {"name": self.cleaned_data["family_name"].strip()}
        return pgettext("reported by", "the person themself")


def masked_name(name: str) -> str:
    """张* / 王**: the surname stays, so the family knows the link is theirs; nothing more."""
    return name[:1] + "*" * max(len(name) - 1, 0)


def _limited(request: HttpRequest) -> bool:
    limit = settings.SELF_REPORT_PER_HOUR
    return not allow(
        address_key("quarantine-self", client_ip(request)), limit=limit, window=RATE_WINDOW
    )


def _url(token: str) -> str:
    return reverse("quarantine:self_report", kwargs={"token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest, token: str) -> HttpResponse:
    if _limited(request):
        return render(request, "quarantine/self_report_limited.html", status=429)
    order = services.find_order_by_token(token)
    if order is None:
        return render(request, "quarantine/self_report_invalid.html", status=404)
    problem = services.self_report_problem(order)
    if problem:
        return render(request, "quarantine/self_report_ended.html", {"reason": problem}, status=410)
    profile = DiseaseProfile.current()
    if request.method == "POST":
        form = SelfReportForm(request.POST, symptoms=profile.symptoms)
        if form.is_valid():
            try:
                check = services.submit_self_report(
                    token,
                    temperature=form.cleaned_data["temperature"],
                    symptoms=form.cleaned_data["symptoms"],
                    reported_by=form.reported_by(),
                    client_id=form.cleaned_data["client_id"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(f"{_url(token)}?done={check.client_id}")
    else:
        form = SelfReportForm(
            initial={"client_id": uuid.uuid4(), "reporter": SELF}, symptoms=profile.symptoms
        )
    return render(request, "quarantine/self_report.html", _context(order, form, request, profile))


def _recorded(order: QuarantineOrder, request: HttpRequest) -> FollowUp | None:
    """The check this phone just sent (its client id is in the confirmation's address)."""
    try:
        client_id = uuid.UUID(request.GET.get("done", ""))
    except ValueError:
        return None
    return order.checks.filter(client_id=client_id).first()


def _context(
    order: QuarantineOrder, form: SelfReportForm, request: HttpRequest, profile: DiseaseProfile
) -> dict:
    now = timezone.now()
    today = timezone.localdate(now)
    recorded = _recorded(order, request) if request.method == "GET" else None
    due = services.current_self_report_slot(order, now)
    upcoming = None
    if due is None:
        upcoming = order.checks.open().filter(due_at__gt=now).order_by("due_at").first()
    day = order.day_number(today)
    # Only what the family needs: no order id, address, ID number or phone reaches the page.
    return {
        "name": masked_name(order.person.name),
        "measure": order.get_kind_display(),
        "day": day,
        "days": order.days,
        "period_over": day > order.days,
        "form": form,
        "due": due,
        "due_at": _when(due.due_at, today) if due else "",
        # Late once past the grace (a few minutes after 08:00 is not late yet).
        "due_late": due is not None
        and (
            due.status == CheckStatus.MISSED
            or due.due_at + timedelta(minutes=profile.missed_check_grace_minutes) < now
        ),
        "upcoming": upcoming,
        "next_at": _when(upcoming.due_at, today) if upcoming else "",
        "opens_at": _when(upcoming.due_at - services.CHECK_OPENS_BEFORE, today) if upcoming else "",
        "recorded": recorded,
        "recorded_at": timezone.localtime(recorded.checked_at).strftime("%H:%M")
        if recorded
        else "",
        "fever": recorded is not None and profile.is_fever(recorded.temperature),
        "threshold": profile.fever_threshold,
    }


def _when(at, today) -> str:
    """ "today 16:00", "tomorrow 08:00", else "12-05 08:00" (local time)."""
    local = timezone.localtime(at)
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("today %(time)s") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("tomorrow %(time)s") % {"time": clock}
    return local.strftime("%m-%d %H:%M")
