"""The disease profile page (/quarantine/profile/): the rules in force, for everyone logged in,
and the form that changes them for the county command (core.change_diseaseprofile). Saving
goes through core.profile_services.update_disease_profile (validated, audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile
from fangyi.core.profile_services import update_disease_profile
from fangyi.core.roles import Role
from fangyi.quarantine.site_forms import DiseaseProfileForm

CHANGE = "core.change_diseaseprofile"


def _rules(profile: DiseaseProfile) -> dict:
    """The profile as the page shows it (labels for the stored codes)."""
    roles = dict(Role.choices)
    kinds = dict(DiseaseProfile._meta.get_field("close_contact_kind").choices)
    return {
        "team_roles": [roles.get(r, r) for r in profile.team_roles],
        "after_centralized": kinds.get(profile.after_centralized_kind, ""),
        "risk_high": [a["name"] for a in profile.risk_areas if a.get("level", "high") == "high"],
        "risk_medium": [a["name"] for a in profile.risk_areas if a.get("level") == "medium"],
    }


@login_required
def disease_profile(request: HttpRequest) -> HttpResponse:
    # Read fresh (not the cached DiseaseProfile.current()): the page right after a save.
    profile, _created = DiseaseProfile.objects.get_or_create(pk=1)
    can_change = request.user.has_perm(CHANGE)
    form = None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("only the county command changes the disease profile"))
        form = DiseaseProfileForm(request.POST, profile=profile)
        if form.is_valid():
            try:
                update_disease_profile(Actor.from_request(request), **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                if isinstance(error, PermissionDenied):
                    error = ValidationError(str(error))
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("The disease profile is saved: new orders follow these rules.")
                )
                return redirect("quarantine:profile")
    elif can_change:
        form = DiseaseProfileForm(profile=profile)
    context = {
        "profile": profile,
        "rules": _rules(profile),
        "form": form,
    }
    return render(request, "quarantine/profile.html", context)
