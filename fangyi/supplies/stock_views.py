"""Stock pages: the overview of every store × item, a store's batches and movement history, the
stock actions (receive, issue for use, transfer, stocktake), the item catalogue, the stores,
and the stock ledger download.

Rows are read through `visible_to(request.user)`: another village's store is a 404. Every
write is one service call; a service's ValidationError goes back onto the form with what was
typed.
"""

from datetime import timedelta
from tempfile import NamedTemporaryFile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.supplies import exports, services, stock_selectors
from fangyi.supplies.models import Item, Movement, StockLevel, Store
from fangyi.supplies.services import format_quantity
from fangyi.supplies.stock_forms import (
    IssueForm,
    ItemForm,
    LedgerExportForm,
    MovementFilterForm,
    ReceiveForm,
    StockFilterForm,
    StocktakeForm,
    StoreForm,
    TransferForm,
)

VIEW = "supplies.view_store"
STORE_PAGE_SIZE = 25


def _visible_store(request: HttpRequest, pk: int) -> Store:
    return get_object_or_404(
        Store.objects.visible_to(request.user).select_related("jurisdiction", "checkpoint"), pk=pk
    )


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else None


@login_required
@permission_required(VIEW, raise_exception=True)
def stock_overview(request: HttpRequest) -> HttpResponse:
    form = StockFilterForm(request.GET or None, user=request.user)
    values = form.cleaned_data if form.is_valid() else {}
    stores = Store.objects.visible_to(request.user).filter(active=True)
    if values.get("kind"):
        stores = stores.filter(kind=values["kind"])
    if values.get("village"):
        stores = stores.within(values["village"].code)
    overview = stock_selectors.stock_overview(
        stores,
        category=values.get("category", ""),
        only_problems=bool(values.get("problems")),
        today=timezone.localdate(),
    )
    page = Paginator(overview, STORE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        [(k, v) for k in ("kind", "village", "category", "problems") if (v := request.GET.get(k))]
    )
    context = {
        "form": form,
        "page": page,
        "query": query,
        "filtered": bool(query),
        "store_count": len(overview),
        "problem_count": sum(row.problems for row in overview),
        "can_export": request.user.has_perm("supplies.export_stock"),
    }
    return render(request, "supplies/stock_overview.html", context)


def _store_actions(user) -> dict[str, bool]:
    return {
        "can_receive": user.has_perm("supplies.receive_stock"),
        "can_issue": user.has_perm("supplies.issue_stock"),
        "can_adjust": user.has_perm("supplies.adjust_stock"),
        "can_edit": user.has_perm("supplies.change_store"),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    today = timezone.localdate()
    soon = today + timedelta(days=services.EXPIRY_WARNING_DAYS)
    chosen_batch = _int_param(request, "batch")
    batches = [
        {
            "level": level,
            "quantity": format_quantity(level.quantity),
            "expired": bool(level.batch.expires_on and level.batch.expires_on < today),
            "expiring": bool(level.batch.expires_on and today <= level.batch.expires_on <= soon),
            "chosen": level.batch_id == chosen_batch,
        }
        for level in stock_selectors.batches_on_hand(store)
    ]
    filters = MovementFilterForm(request.GET or None)
    chosen_item = filters.cleaned_data.get("item") if filters.is_valid() else None
    movements = Movement.objects.filter(store=store).select_related(
        "item", "batch", "operation", "operation__store", "operation__to_store"
    )
    if chosen_item is not None:
        movements = movements.filter(item=chosen_item)
    page = Paginator(movements.order_by("-at", "-pk"), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for movement in page:
        operation = movement.operation
        if operation.to_store_id and operation.store_id == store.pk:
            counterpart = _("to %(store)s") % {"store": operation.to_store}
        elif operation.to_store_id:
            counterpart = _("from %(store)s") % {"store": operation.store}
        else:
            counterpart = operation.recipient
        rows.append(
            {
                "movement": movement,
                "operation": operation,
                "counterpart": counterpart,
                "quantity": ("+" if movement.quantity > 0 else "")
                + format_quantity(movement.quantity),
            }
        )
    context = {
        "store": store,
        "batches": batches,
        "today": today,
        "soon": soon,
        "chosen_batch": chosen_batch,
        "chosen_item": chosen_item,
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": urlencode([("item", chosen_item.pk)]) if chosen_item else "",
        **_store_actions(request.user),
    }
    return render(request, "supplies/store_detail.html", context)


def _action_page(request, store, form, template, title, status=200):
    context = {"store": store, "form": form, "title": title}
    return render(request, template, context, status=status)


def _lines_with_stock(store: Store) -> tuple[list[int], dict[int, str]]:
    """Items the store holds, labelled with what can be issued (and what is expired)."""
    labels = {}
    for item, usable, expired in stock_selectors.stock_by_item(store, timezone.localdate()):
        label = _("%(item)s (%(have)s %(unit)s can be issued)") % {
            "item": item,
            "have": format_quantity(usable),
            "unit": item.unit,
        }
        if expired:
            label += " " + _("+%(n)s expired") % {"n": format_quantity(expired)}
        labels[item.pk] = label
    return list(labels), labels


@login_required
@permission_required("supplies.receive_stock", raise_exception=True)
def receive(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    form = ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lines = [
            services.ReceivedLine(
                line["item"],
                line["quantity"],
                batch_number=line["batch"],
                expires_on=line["expires"],
                maker=line["maker"],
            )
            for line in form.lines()
        ]
        try:
            services.receive_stock(
                Actor.from_request(request),
                store,
                lines,
                source=form.cleaned_data["source"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The stock is received into %(store)s.") % {"store": store})
            return redirect("supplies:store", pk=store.pk)
    status = 400 if request.method == "POST" else 200
    return _action_page(
        request, store, form, "supplies/stock_action.html", _("Receive stock"), status
    )


@login_required
@permission_required("supplies.issue_stock", raise_exception=True)
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    item_ids, labels = _lines_with_stock(store)
    items = Item.objects.filter(pk__in=item_ids)
    form = IssueForm(request.POST or None, items=items, item_labels=labels)
    if request.method == "POST" and form.is_valid():
        lines = [services.WantedLine(line["item"], line["quantity"]) for line in form.lines()]
        try:
            services.issue_stock(
                Actor.from_request(request),
                store,
                lines,
                recipient=form.cleaned_data["recipient"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Issued to %(recipient)s.") % {"recipient": form.cleaned_data["recipient"]},
            )
            return redirect("supplies:store", pk=store.pk)
    status = 400 if request.method == "POST" else 200
    return _action_page(
        request, store, form, "supplies/stock_action.html", _("Issue for use"), status
    )


@login_required
@permission_required("supplies.issue_stock", raise_exception=True)
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    item_ids, labels = _lines_with_stock(store)
    stores = (
        Store.objects.visible_to(request.user)
        .filter(active=True)
        .exclude(pk=store.pk)
        .order_by("jurisdiction_id", "kind", "name")
    )
    form = TransferForm(
        request.POST or None,
        items=Item.objects.filter(pk__in=item_ids),
        item_labels=labels,
        stores=stores,
    )
    if request.method == "POST" and form.is_valid():
        lines = [services.WantedLine(line["item"], line["quantity"]) for line in form.lines()]
        try:
            services.transfer_stock(
                Actor.from_request(request),
                store,
                form.cleaned_data["to_store"],
                lines,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Transferred to %(store)s.") % {"store": form.cleaned_data["to_store"]},
            )
            return redirect("supplies:store", pk=store.pk)
    status = 400 if request.method == "POST" else 200
    return _action_page(request, store, form, "supplies/stock_action.html", _("Transfer"), status)


@login_required
@permission_required("supplies.adjust_stock", raise_exception=True)
def stocktake(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    levels = list(
        StockLevel.objects.filter(store=store)
        .select_related("batch", "item")
        .order_by("item__name", "batch__expires_on", "pk")
    )
    initial = {"batch": _int_param(request, "batch")}
    form = StocktakeForm(request.POST or None, levels=levels, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            operation = services.adjust_stock(
                Actor.from_request(request),
                store,
                form.cleaned_data["batch"],
                form.cleaned_data["counted"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The stocktake is recorded.")
                if operation
                else _("The count matches the stock: nothing to change."),
            )
            return redirect("supplies:store", pk=store.pk)
    status = 400 if request.method == "POST" else 200
    return _action_page(request, store, form, "supplies/stock_action.html", _("Stocktake"), status)


# The catalogue and the stores ---------------------------------------------------------------


@login_required
@permission_required(VIEW, raise_exception=True)
def item_list(request: HttpRequest) -> HttpResponse:
    items = Item.objects.order_by("category", "name", "specification")
    context = {
        "rows": [(item, format_quantity(item.warning_threshold)) for item in items],
        "can_add": request.user.has_perm("supplies.add_item"),
        "can_change": request.user.has_perm("supplies.change_item"),
    }
    return render(request, "supplies/item_list.html", context)


def _item_form(request: HttpRequest, item: Item | None) -> HttpResponse:
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_item(Actor.from_request(request), form.instance)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(item)s is saved.") % {"item": saved})
            return redirect("supplies:items")
    status = 400 if request.method == "POST" else 200
    return render(request, "supplies/item_form.html", {"form": form, "item": item}, status=status)


@login_required
@permission_required("supplies.add_item", raise_exception=True)
def item_create(request: HttpRequest) -> HttpResponse:
    return _item_form(request, None)


@login_required
@permission_required("supplies.change_item", raise_exception=True)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_form(request, get_object_or_404(Item, pk=pk))


@login_required
@permission_required(VIEW, raise_exception=True)
def store_list(request: HttpRequest) -> HttpResponse:
    stores = (
        Store.objects.visible_to(request.user)
        .select_related("jurisdiction", "checkpoint")
        .order_by("jurisdiction_id", "kind", "name", "pk")
    )
    page = Paginator(stores, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "can_add": request.user.has_perm("supplies.add_store")}
    return render(request, "supplies/store_list.html", context)


def _store_form(request: HttpRequest, store: Store | None) -> HttpResponse:
    form = StoreForm(request.POST or None, instance=store, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_store(Actor.from_request(request), form.instance)
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDenied:
            form.add_error("jurisdiction", _("that place is outside your jurisdiction"))
        else:
            messages.success(request, _("%(store)s is saved.") % {"store": saved})
            return redirect("supplies:store", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "supplies/store_form.html", {"form": form, "store": store}, status=status
    )


@login_required
@permission_required("supplies.add_store", raise_exception=True)
def store_create(request: HttpRequest) -> HttpResponse:
    return _store_form(request, None)


@login_required
@permission_required("supplies.change_store", raise_exception=True)
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _store_form(request, _visible_store(request, pk))


# The stock ledger download ------------------------------------------------------------------


@login_required
@permission_required("supplies.export_stock", raise_exception=True)
def ledger_export(request: HttpRequest) -> HttpResponse:
    stores = Store.objects.visible_to(request.user).order_by("jurisdiction_id", "kind", "name")
    form = LedgerExportForm(request.GET or None, stores=stores)
    if not request.GET or not form.is_valid():
        status = 400 if request.GET else 200
        return render(request, "supplies/ledger_export.html", {"form": form}, status=status)
    values = form.cleaned_data
    # The FileResponse closes (and so deletes) it.
    file = NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exports.export_stock_ledger(
        Actor.from_request(request),
        Movement.objects.visible_to(request.user),
        file,
        since=values.get("since"),
        until=values.get("until"),
        store=values.get("store"),
    )
    file.seek(0)
    response = FileResponse(
        file, as_attachment=True, filename=exports.ledger_filename(request.user, values)
    )
    response["Cache-Control"] = "private, no-store"
    return response
