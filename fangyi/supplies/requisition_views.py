"""Requisition pages: a village or checkpoint store asks the town for items; the town decides
per line (fully, partly, not at all) seeing what its warehouse can issue now, issues, and the
asking store confirms receipt (or withdraws while the requisition is open).

Requisitions are read through `Requisition.objects.visible_to(request.user)`: another
village's requisition is a 404; deciding and issuing need supplies.approve_requisition (a
village cadre gets a 403).
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangyi.core.audit import Actor
from fangyi.supplies import services, stock_selectors
from fangyi.supplies.models import (
    OPEN_REQUISITION,
    Requisition,
    RequisitionStatus,
    Store,
    StoreKind,
)
from fangyi.supplies.services import format_quantity
from fangyi.supplies.stock_forms import DecisionForm, RequisitionForm

VIEW = "supplies.view_requisition"
APPROVE = "supplies.approve_requisition"
SHOWS = ("todo", "open", "all")


def _visible_requisition(request: HttpRequest, pk: int) -> Requisition:
    return get_object_or_404(
        Requisition.objects.visible_to(request.user).select_related(
            "store",
            "store__jurisdiction",
            "from_store",
            "requested_by",
            "decided_by",
            "received_by",
        ),
        pk=pk,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def requisition_list(request: HttpRequest) -> HttpResponse:
    approver = request.user.has_perm(APPROVE)
    show = request.GET.get("show", "")
    if show not in SHOWS:
        show = "todo" if approver else "open"
    requisitions = Requisition.objects.visible_to(request.user)
    counts = dict(requisitions.order_by().values_list("status").annotate(n=Count("id")))
    if show == "todo":
        requisitions = requisitions.filter(status=RequisitionStatus.SUBMITTED)
    elif show == "open":
        requisitions = requisitions.filter(status__in=[*OPEN_REQUISITION, RequisitionStatus.ISSUED])
    requisitions = requisitions.select_related("store", "store__jurisdiction").annotate(
        line_count=Count("lines")
    )
    page = Paginator(requisitions.order_by("-created_at", "-pk"), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "show": show,
        "todo": counts.get(RequisitionStatus.SUBMITTED, 0),
        "open": sum(counts.get(s, 0) for s in (*OPEN_REQUISITION, RequisitionStatus.ISSUED)),
        "all": sum(counts.values()),
        "query": f"show={show}",
        "approver": approver,
        "can_add": request.user.has_perm("supplies.add_requisition"),
    }
    return render(request, "supplies/requisition_list.html", context)


def _asking_stores(user):
    return (
        Store.objects.visible_to(user)
        .filter(active=True, kind__in=[StoreKind.VILLAGE, StoreKind.CHECKPOINT])
        .order_by("jurisdiction_id", "kind", "name")
    )


@login_required
@permission_required("supplies.add_requisition", raise_exception=True)
def requisition_new(request: HttpRequest) -> HttpResponse:
    stores = _asking_stores(request.user)
    initial = {}
    if (raw := request.GET.get("store", "")).isdigit():
        initial["store"] = int(raw)
    form = RequisitionForm(request.POST or None, stores=stores, initial=initial)
    if request.method == "POST" and form.is_valid():
        lines = [services.WantedLine(line["item"], line["quantity"]) for line in form.lines()]
        try:
            requisition = services.submit_requisition(
                Actor.from_request(request),
                form.cleaned_data["store"],
                lines,
                purpose=form.cleaned_data["purpose"],
                needed_by=form.cleaned_data["needed_by"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The requisition is sent to the town."))
            return redirect("supplies:requisition", pk=requisition.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "supplies/requisition_new.html",
        {"form": form, "has_stores": stores.exists()},
        status=status,
    )


def _warehouses(requisition: Requisition, user):
    return (
        Store.objects.visible_to(user)
        .filter(kind=StoreKind.WAREHOUSE, active=True)
        .within(requisition.store.town_code)
        .order_by("name")
    )


def _render_detail(request, requisition, *, decision_form=None, status=200):
    lines = list(requisition.lines.select_related("item").order_by("pk"))
    approver = request.user.has_perm(APPROVE)
    deciding = approver and requisition.status == RequisitionStatus.SUBMITTED
    warehouses = _warehouses(requisition, request.user) if approver else Store.objects.none()
    if deciding and decision_form is None:
        decision_form = DecisionForm(lines=lines, warehouses=warehouses)
    warehouse = None
    if deciding:
        chosen = decision_form["from_store"].value()
        warehouse = (
            next((s for s in warehouses if str(s.pk) == str(chosen)), None) or warehouses.first()
        )
    elif approver and requisition.status == RequisitionStatus.APPROVED:
        warehouse = requisition.from_store
    can_issue_now = (
        stock_selectors.issuable(warehouse, [line.item for line in lines], timezone.localdate())
        if warehouse is not None
        else {}
    )
    rows = []
    for line in lines:
        have = can_issue_now.get(line.item_id, Decimal(0))
        rows.append(
            {
                "line": line,
                "field": decision_form[f"line_{line.pk}"] if deciding else None,
                "requested": format_quantity(line.requested),
                "approved": format_quantity(line.approved),
                "issued": format_quantity(line.issued),
                "can_issue": format_quantity(have) if warehouse is not None else None,
                "short": warehouse is not None
                and requisition.status in OPEN_REQUISITION
                and have < (line.approved if line.approved is not None else line.requested),
            }
        )
    user = request.user
    may_change = user.has_perm("supplies.change_requisition")
    context = {
        "requisition": requisition,
        "rows": rows,
        "deciding": deciding,
        "decision_form": decision_form,
        "warehouse": warehouse,
        "can_issue": approver and requisition.status == RequisitionStatus.APPROVED,
        # The asking store confirms and withdraws; the town (approver) decides and issues.
        "can_confirm": may_change
        and not approver
        and requisition.status == RequisitionStatus.ISSUED,
        "can_withdraw": may_change and not approver and requisition.status in OPEN_REQUISITION,
    }
    return render(request, "supplies/requisition_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def requisition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_requisition(request, pk))


@login_required
@permission_required(APPROVE, raise_exception=True)
@require_POST
def requisition_decide(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = _visible_requisition(request, pk)
    if requisition.status != RequisitionStatus.SUBMITTED:
        # Decided meanwhile (another tab, another cadre): say so on the page as it is now.
        messages.error(
            request,
            _("this requisition is %(status)s already")
            % {"status": requisition.get_status_display()},
        )
        return redirect("supplies:requisition", pk=requisition.pk)
    lines = list(requisition.lines.select_related("item").order_by("pk"))
    form = DecisionForm(
        request.POST, lines=lines, warehouses=_warehouses(requisition, request.user)
    )
    if form.is_valid():
        rejecting = "reject" in request.POST
        approved = {pk: "0" for pk in form.line_ids} if rejecting else form.approved()
        try:
            decided = services.decide_requisition(
                Actor.from_request(request),
                requisition,
                approved=approved,
                from_store=form.cleaned_data["from_store"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The requisition is approved: issue it when the items are ready.")
                if decided.status == RequisitionStatus.APPROVED
                else _("The requisition is rejected."),
            )
            return redirect("supplies:requisition", pk=requisition.pk)
    return _render_detail(request, requisition, decision_form=form, status=400)


def _act(request, pk, action, done_message):
    requisition = _visible_requisition(request, pk)
    try:
        action(Actor.from_request(request), requisition)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message)
    return redirect("supplies:requisition", pk=requisition.pk)


@login_required
@permission_required(APPROVE, raise_exception=True)
@require_POST
def requisition_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        services.issue_requisition,
        _("Issued: the stock is on its way to the asking store."),
    )


@login_required
@permission_required("supplies.change_requisition", raise_exception=True)
@require_POST
def requisition_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.confirm_receipt, _("Receipt confirmed."))


@login_required
@permission_required("supplies.change_requisition", raise_exception=True)
@require_POST
def requisition_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.withdraw_requisition, _("The requisition is withdrawn."))
