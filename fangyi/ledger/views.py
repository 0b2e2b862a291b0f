"""Ledger pages: the entry list (filters, search, live refresh, bulk actions), an entry, a
person's entries, and the verification tasks with the one-screen verify form.

Views authorise, validate, call one service and render. Every object is looked up through
`visible_to(request.user)`, so another village's entry or task is a 404.
"""

from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from fangyi.core.audit import Actor
from fangyi.core.models import Person
from fangyi.core.views import HomePanel
from fangyi.ledger import selectors, services
from fangyi.ledger.forms import BulkForm, EntryFilterForm, EntryForm, VerifyForm
from fangyi.ledger.models import LedgerEntry, Status, VerificationTask

VIEW = "ledger.view_ledgerentry"


def _filter_query(params) -> str:
    """The filters of a query string, re-encoded (no page, no fingerprint)."""
    return urlencode([(k, v) for k in selectors.FILTER_KEYS for v in params.getlist(k) if v])


def _results_context(request: HttpRequest) -> dict:
    now = timezone.now()
    visible = LedgerEntry.objects.visible_to(request.user)
    filtered = selectors.filter_entries(visible, request.GET, now=now)
    without_status = request.GET.copy()
    without_status.pop("status", None)
    counts = selectors.status_counts(selectors.filter_entries(visible, without_status, now=now))
    query = _filter_query(request.GET)
    base = _filter_query(without_status)
    chosen = request.GET.get("status", "")
    status_links = [
        {
            "status": status,
            "label": label,
            "count": counts[status],
            "query": urlencode([*parse_qsl(base), ("status", status)]),
            "chosen": status == chosen,
        }
        for status, label in Status.choices
    ]
    page = Paginator(selectors.ledger_page_entries(filtered), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    overdue = selectors.overdue_entry_ids(list(page), now)
    rows = [(entry, entry.pk in overdue) for entry in page]
    return {
        "page": page,
        "rows": rows,
        "all_count": sum(counts.values()),
        "chosen_status": chosen,
        "status_links": status_links,
        "clear_status_query": base,
        "query": query,
        "fingerprint": selectors.entries_fingerprint(filtered),
        "can_export": request.user.has_perm("ledger.export_ledger"),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def entry_list(request: HttpRequest) -> HttpResponse:
    form = EntryFilterForm(request.GET or None, user=request.user)
    form.is_valid()  # errors are shown; filter_entries ignores malformed values
    bulk = BulkForm(user=request.user)
    context = {
        **_results_context(request),
        "form": form,
        "filters_open": any(request.GET.get(key) for key in selectors.FILTER_KEYS[:-1]),
        "bulk": bulk,
        "can_change": request.user.has_perm("ledger.change_ledgerentry"),
    }
    return render(request, "ledger/entry_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def entry_results(request: HttpRequest) -> HttpResponse:
    """The list's results (htmx). With `fp` (the fingerprint the page holds) it answers 204 when
    nothing changed, so the 10-second poll costs one aggregate query."""
    fingerprint = request.GET.get("fp")
    if fingerprint:
        filtered = selectors.filter_entries(
            LedgerEntry.objects.visible_to(request.user), request.GET
        )
        if selectors.entries_fingerprint(filtered) == fingerprint:
            return HttpResponse(status=204)
    context = {
        **_results_context(request),
        "can_change": request.user.has_perm("ledger.change_ledgerentry"),
    }
    response = render(request, "ledger/_entry_results.html", context)
    if not fingerprint and request.htmx:
        query = _filter_query(request.GET)
        page = request.GET.get("page")
        if page:
            query = f"{query}&page={page}" if query else f"page={page}"
        push_url(response, reverse("ledger:entries") + (f"?{query}" if query else ""))
    return response


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("ledger:entries")


@login_required
@permission_required("ledger.change_ledgerentry", raise_exception=True)
@require_POST
def entry_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, user=request.user)
    back = _safe_next(request, request.POST.get("next", ""))
    if form.is_valid():
        data = form.cleaned_data
        entries = list(
            LedgerEntry.objects.visible_to(request.user)
            .filter(external_id__in=data["entry"])
            .select_related("jurisdiction", "person", "responsible_cadre")
            .order_by("pk")
        )
        actor = Actor.from_request(request)
        try:
            if data["action"] == BulkForm.ASSIGN:
                changed = services.assign_cadre(actor, entries, data["cadre"])
            else:
                changed = services.dispatch_entries(actor, entries, data["village"])
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(
                request,
                ngettext("%(count)d entry changed.", "%(count)d entries changed.", changed)
                % {"count": changed},
            )
            return redirect(back)
    for message in _form_messages(form):
        messages.error(request, message)
    return redirect(back)


def _as_validation_error(error: Exception) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    return ValidationError(str(error.args[0]) if error.args else _("not allowed"))


def _form_messages(form) -> list[str]:
    found = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            found.append(f"{label}：{error}" if label and field != "entry" else str(error))
    return found


def _visible_entry(request: HttpRequest, entry_id) -> LedgerEntry:
    return get_object_or_404(
        LedgerEntry.objects.visible_to(request.user).select_related(
            "person", "jurisdiction", "responsible_cadre", "push_list"
        ),
        external_id=entry_id,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def entry_detail(request: HttpRequest, entry_id) -> HttpResponse:
    entry = _visible_entry(request, entry_id)
    now = timezone.now()
    tasks = [
        (task, task.is_overdue(now))
        for task in entry.verification_tasks.select_related("push_list", "verified_by").order_by(
            "push_list__deadline_at", "pk"
        )
    ]
    history = [(event, _change_lines(event.changes)) for event in entry.events.all()[:200]]
    context = {"entry": entry, "tasks": tasks, "history": history}
    return render(request, "ledger/entry_detail.html", context)


def _change_lines(changes: dict) -> list[tuple[str, str, str]]:
    """An event's changes as (field label, old, new), labels in the user's language."""
    extra = {
        "local_contact_phone": _("local contact's phone"),
        "verification": _("verification"),
        "jurisdiction": _("village / group"),
    }
    lines = []
    for name, value in changes.items():
        try:
            label = extra.get(name) or LedgerEntry._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            label = name
        old, new = value if isinstance(value, list) and len(value) == 2 else ("", value)
        lines.append((str(label), old, new))
    return lines


@login_required
@permission_required("ledger.change_ledgerentry", raise_exception=True)
def entry_edit(request: HttpRequest, entry_id) -> HttpResponse:
    entry = _visible_entry(request, entry_id)
    form = EntryForm(request.POST or None, user=request.user, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.update_entry(
                Actor.from_request(request), entry, **form.service_values(editing=True)
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            if changes:
                messages.success(request, _("Saved; the change is kept in the history."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("ledger:entry_detail", entry_id=entry.external_id)
    return render(request, "ledger/entry_form.html", {"form": form, "entry": entry})


def _visible_person(request: HttpRequest, person_id) -> Person:
    person = (
        Person.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .filter(external_id=person_id)
        .first()
    )
    if person is None:
        raise Http404
    return person


@login_required
@permission_required("ledger.add_ledgerentry", raise_exception=True)
def entry_create(request: HttpRequest, person_id) -> HttpResponse:
    person = _visible_person(request, person_id)
    form = EntryForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.create_entry(
                Actor.from_request(request), person, **form.service_values(editing=False)
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(request, _("%(name)s is on the ledger.") % {"name": person.name})
            return redirect("ledger:entry_detail", entry_id=entry.external_id)
    return render(request, "ledger/entry_form.html", {"form": form, "person": person})


@login_required
@permission_required(VIEW, raise_exception=True)
def person_entries(request: HttpRequest, person_id) -> HttpResponse:
    """All entries of one person that the user may see. The person is reachable when the user
    sees them in the register or holds one of their entries (an entry dispatched to a village
    whose person is still registered on the town)."""
    entries = list(
        LedgerEntry.objects.visible_to(request.user)
        .filter(person__external_id=person_id)
        .select_related("person", "jurisdiction", "responsible_cadre")
        .order_by("created_at", "pk")
    )
    person = entries[0].person if entries else _visible_person(request, person_id)
    overdue = selectors.overdue_entry_ids(entries)
    rows = [(entry, entry.pk in overdue) for entry in entries]
    can_add = request.user.has_perm("ledger.add_ledgerentry") and (
        Person.objects.visible_to(request.user).filter(pk=person.pk).exists()
    )
    return render(
        request,
        "ledger/person_entries.html",
        {"person": person, "rows": rows, "can_add": can_add},
    )


@login_required
@permission_required("ledger.view_verificationtask", raise_exception=True)
def task_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    tasks = VerificationTask.objects.visible_to(request.user)
    counts = selectors.task_counts(tasks, now)
    page = Paginator(selectors.open_tasks(tasks), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(task, task.push_list.deadline_at < now) for task in page]
    can_verify = request.user.has_perm("ledger.change_verificationtask")
    return render(
        request,
        "ledger/task_list.html",
        {"page": page, "rows": rows, "counts": counts, "can_verify": can_verify},
    )


@login_required
@permission_required("ledger.change_verificationtask", raise_exception=True)
def task_verify(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(
        VerificationTask.objects.visible_to(request.user).select_related(
            "push_list", "verified_by", "entry__person", "entry__jurisdiction"
        ),
        pk=task_id,
    )
    form = VerifyForm(request.POST or None, task=task)
    earlier = (
        (task.get_result_display(), task.verified_by, task.verified_at) if task.result else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.verify_task(
                Actor.from_request(request),
                task,
                result=data["result"],
                status=data["status"],
                note=data["note"],
                symptoms=data["symptoms"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_service_errors(_as_validation_error(error))
        else:
            messages.success(
                request,
                _("%(name)s: %(result)s.")
                % {"name": task.entry.person.name, "result": task.get_result_display()},
            )
            return redirect("ledger:tasks")
    context = {
        "task": task,
        "entry": task.entry,
        "form": form,
        "earlier": earlier,
        "overdue": not earlier and task.push_list.deadline_at < timezone.now(),
    }
    return render(request, "ledger/task_verify.html", context)


def home_panel(user) -> HomePanel | None:
    """The ledger's block on the home page (registered in LedgerConfig.ready)."""
    summary = selectors.home_summary(user)
    return HomePanel("ledger/_home_panel.html", summary) if summary is not None else None
