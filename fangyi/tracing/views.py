"""Tracing pages (流调): the cases list (also the county's chain list), reporting a case, and
the case page: classification, trajectory, contacts with their suggestions, putting contacts
under quarantine, and the chain graph.

Anyone with tracing.view_case reads the cases of their jurisdiction (another's is a 404); the
town's tracing group (tracing.add_case / change_case / add_contact / change_contact) writes.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.core.selectors import search_people
from fangyi.tracing import selectors, services
from fangyi.tracing.forms import (
    CandidateForm,
    ContactForm,
    QuarantineContactsForm,
    ReclassifyForm,
    ReportCaseForm,
    TrajectoryForm,
)
from fangyi.tracing.models import Case, Classification, Degree

VIEW = "tracing.view_case"
CANDIDATES = 20  # people offered by the search at a time: typing narrows them


def _visible_case(request: HttpRequest, external_id) -> Case:
    case = selectors.case_for_page(request.user, external_id)
    if case is None:
        raise Http404
    return case


def _back(case: Case, anchor: str = ""):
    response = redirect("tracing:case", external_id=case.external_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@permission_required(VIEW, raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases of the user's jurisdiction; ?classification= filters, ?group=chains puts each
    case after the case it came from (the chain list)."""
    classification = request.GET.get("classification", "")
    grouped = request.GET.get("group") == "chains"
    cases = selectors.chain_list(request.user, classification, group=grouped)
    page = Paginator(cases, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(
        f"{key}={value}"
        for key, value in (
            ("classification", classification),
            ("group", "chains" if grouped else ""),
        )
        if value
    )
    context = {
        "page": page,
        "classification": classification if classification in Classification.values else "",
        "classifications": Classification.choices,
        "grouped": grouped,
        "query": query,
    }
    return render(request, "tracing/case_list.html", context)


@login_required
@permission_required("tracing.add_case", raise_exception=True)
def case_report(request: HttpRequest) -> HttpResponse:
    """Find the person (?person=<uuid> from their page), then the classification and dates.
    The search box refreshes the candidates by htmx; without JS its button does."""
    data = request.POST if request.method == "POST" else None
    initial = {"person": request.GET["person"]} if request.GET.get("person") else None
    form = ReportCaseForm(data, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            case = services.report_case(
                Actor.from_request(request),
                values["person"],
                classification=values["classification"],
                report_date=values["report_date"],
                onset_date=values["onset_date"],
                hospital=values["hospital"],
                notes=values["notes"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied as denied:
            form.add_error(None, str(denied))
        else:
            messages.success(
                request,
                _("%(name)s is recorded as a %(classification)s case.")
                % {"name": case.person.name, "classification": case.get_classification_display()},
            )
            return redirect("tracing:case", external_id=case.external_id)
    return _with_person_candidates(request, form, "tracing/case_report.html", {"form": form})


def _with_person_candidates(request, form, template: str, context: dict) -> HttpResponse:
    """Render a form that picks a person by search: the candidates partial for htmx."""
    data = request.POST if request.method == "POST" else None
    query = (request.POST.get("q") if data else request.GET.get("q")) or ""
    candidates = list(search_people(request.user, query)[:CANDIDATES]) if query else []
    chosen = getattr(form, "cleaned_data", {}).get("person") if form.is_bound else None
    if chosen is None and not form.is_bound and form.initial.get("person"):
        chosen = form.fields["person"].queryset.filter(external_id=form.initial["person"]).first()
    if chosen is not None and chosen not in candidates:
        candidates.insert(0, chosen)  # keep the choice shown
    context |= {
        "query": query,
        "candidates": candidates,
        "picked": str(form["person"].value() or (chosen.external_id if chosen else "")),
    }
    if request.htmx and request.method == "GET":
        template = "tracing/person_candidates.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, case: Case) -> dict:
    user = request.user
    contacts = selectors.contact_rows(case)
    can_trace = user.has_perm("tracing.add_contact")
    return {
        "case": case,
        "window": selectors.window_days(case),
        "trajectory": selectors.case_trajectory(case),
        "contacts": contacts,
        "can_order_any": any(not row.running for row in contacts),
        "candidates": selectors.contact_candidates(user, case) if can_trace else [],
        "chain": selectors.chain_payload(user, case),
        "reclassify_form": ReclassifyForm(initial={"classification": case.classification}),
        "trajectory_form": TrajectoryForm(),
        "quarantine_form": QuarantineContactsForm(user=user, case=case),
        "can_change": user.has_perm("tracing.change_case"),
        "can_trace": can_trace,
        "can_quarantine": user.has_perm("tracing.change_contact")
        and user.has_perm("quarantine.add_quarantineorder"),
        "can_see_orders": user.has_perm("quarantine.view_quarantineorder"),
        "can_see_people": user.has_perm("core.view_person"),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def case_detail(request: HttpRequest, external_id) -> HttpResponse:
    case = _visible_case(request, external_id)
    return render(request, "tracing/case_detail.html", _detail_context(request, case))


@login_required
@permission_required("tracing.change_case", raise_exception=True)
@require_POST
def case_reclassify(request: HttpRequest, external_id) -> HttpResponse:
    case = _visible_case(request, external_id)
    form = ReclassifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("choose the classification"))
        return _back(case)
    try:
        case = services.reclassify_case(
            Actor.from_request(request), case, form.cleaned_data["classification"]
        )
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request,
            _("The case is now %(classification)s.")
            % {"classification": case.get_classification_display()},
        )
    return _back(case)


@login_required
@permission_required("tracing.change_case", raise_exception=True)
@require_POST
def trajectory_add(request: HttpRequest, external_id) -> HttpResponse:
    """The detail page's trajectory form; with errors the page comes back with what was typed."""
    case = _visible_case(request, external_id)
    form = TrajectoryForm(request.POST)
    if form.is_valid():
        try:
            services.add_trajectory_entry(Actor.from_request(request), case, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The place is added to the trajectory."))
            return _back(case, "trajectory")
    messages.error(request, _("The place was not added: see the trajectory form."))
    return _detail_with(request, case, trajectory_form=form)


def _detail_with(request: HttpRequest, case: Case, **forms) -> HttpResponse:
    """The case page again with a form that came back with errors (status 422)."""
    context = _detail_context(request, case) | forms
    return render(request, "tracing/case_detail.html", context, status=422)


@login_required
@permission_required("tracing.change_case", raise_exception=True)
@require_POST
def trajectory_pull(request: HttpRequest, external_id) -> HttpResponse:
    case = _visible_case(request, external_id)
    added = services.pull_checkpoint_registrations(Actor.from_request(request), case)
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)d checkpoint registration added to the trajectory.",
                "%(count)d checkpoint registrations added to the trajectory.",
                added,
            )
            % {"count": added},
        )
    else:
        messages.info(request, _("No new checkpoint registration in the infectious window."))
    return _back(case, "trajectory")


@login_required
@permission_required("tracing.add_contact", raise_exception=True)
def contact_add(request: HttpRequest, external_id) -> HttpResponse:
    """A contact the tracers found: search the person, then degree, relation, where and when."""
    case = _visible_case(request, external_id)
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, user=request.user, case=case)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        person = values.pop("person")
        values.pop("q")
        try:
            contact = services.add_contact(Actor.from_request(request), case, person, **values)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(name)s is added as a %(degree)s.")
                % {"name": contact.person.name, "degree": contact.get_degree_display()},
            )
            return _back(case, "contacts")
    return _with_person_candidates(
        request, form, "tracing/contact_form.html", {"form": form, "case": case}
    )


@login_required
@permission_required("tracing.add_contact", raise_exception=True)
@require_POST
def candidate_add(request: HttpRequest, external_id) -> HttpResponse:
    """One tap on a suggestion: the candidate must still be offered to this user."""
    case = _visible_case(request, external_id)
    form = CandidateForm(request.POST)
    candidate = (
        selectors.find_candidate(request.user, case, form.cleaned_data["key"])
        if form.is_valid()
        else None
    )
    if candidate is None:
        messages.error(request, _("This suggestion is no longer offered: reload the page."))
        return _back(case, "candidates")
    actor = Actor.from_request(request)
    values = {
        "degree": form.cleaned_data["degree"] or Degree.CLOSE,
        "relation": candidate.relation,
        "last_exposure_date": candidate.last_exposure_date,
        "note": candidate.reason,
    }
    try:
        if candidate.passenger is not None:
            contact = services.add_contact_from_passenger(
                actor, case, candidate.passenger, **values
            )
        else:
            contact = services.add_contact(actor, case, candidate.person, **values)
    except ValidationError as error:
        _flash_errors(request, error)
        return _back(case, "candidates")
    messages.success(
        request,
        _("%(name)s is added as a %(degree)s.")
        % {"name": contact.person.name, "degree": contact.get_degree_display()},
    )
    return _back(case, "contacts")


@login_required
@permission_required("tracing.change_contact", raise_exception=True)
@require_POST
def contacts_quarantine(request: HttpRequest, external_id) -> HttpResponse:
    """The one action: the checked contacts under the profile's measures, with teams."""
    case = _visible_case(request, external_id)
    form = QuarantineContactsForm(request.POST, user=request.user, case=case)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(case, "contacts")
    try:
        orders = services.quarantine_contacts(
            Actor.from_request(request),
            list(form.cleaned_data["contacts"]),
            site=form.cleaned_data["site"],
        )
    except ValidationError as error:
        _flash_errors(request, error)
        return _back(case, "contacts")
    if orders:
        messages.success(
            request,
            ngettext(
                "%(count)d person put under quarantine: %(names)s.",
                "%(count)d people put under quarantine: %(names)s.",
                len(orders),
            )
            % {
                "count": len(orders),
                "names": "、".join(
                    f"{o.person.name}（{o.get_kind_display()}"
                    + (f" {o.room}" if o.room_id else "")
                    + f"，{o.planned_end_date:%m-%d}）"
                    for o in orders
                ),
            },
        )
    else:
        messages.info(request, _("The chosen contacts were already under quarantine."))
    return _back(case, "contacts")
