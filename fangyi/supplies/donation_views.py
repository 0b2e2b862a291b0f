"""The town's donation register, receiving a donation, a donation's page ("where it went") and
the donor's receipt PDF. A donation of another town (or another village) is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fangyi.core.audit import Actor
from fangyi.supplies import donation_selectors, receipts, services
from fangyi.supplies.donation_forms import DonatedLineFormSet, DonationForm
from fangyi.supplies.models import Donation, Item, Store, StoreKind

PAGE_SIZE = 50


def _donations(request: HttpRequest):
    return Donation.objects.visible_to(request.user).select_related("store")


@login_required
@permission_required("supplies.view_donation", raise_exception=True)
def donation_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    donations = _donations(request).order_by("-received_at", "-id")
    if query:
        donations = donations.filter(
            Q(donor_name__icontains=query) | Q(receipt_number__icontains=query)
        )
    page = Paginator(donations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supplies/donation_list.html",
        {
            "page": page,
            "rows": donation_selectors.register_rows(page.object_list),
            "q": query,
            "query": urlencode({"q": query}) if query else "",
            "can_add": request.user.has_perm("supplies.add_donation"),
            "public_url": _public_url(request),
        },
    )


def _public_url(request: HttpRequest) -> str:
    code = request.user.jurisdiction_id or ""
    if len(code) < 9:
        return ""
    return reverse("supplies:public_thanks", kwargs={"town": code[:9]})


def _receiving_stores(request: HttpRequest):
    return (
        Store.objects.visible_to(request.user)
        .filter(active=True)
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "kind", "name")
    )


@login_required
@permission_required("supplies.add_donation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def donation_create(request: HttpRequest) -> HttpResponse:
    stores = _receiving_stores(request)
    items = Item.objects.filter(active=True)
    if request.method == "POST":
        form = DonationForm(request.POST, stores=stores)
        lines = DonatedLineFormSet(request.POST, prefix="lines", form_kwargs={"items": items})
        if form.is_valid() and lines.is_valid():
            try:
                donation = services.receive_donation(
                    Actor.from_request(request),
                    form.cleaned_data["store"],
                    lines=lines.lines(),
                    **form.service_values(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Donation %(number)s from %(donor)s received.")
                    % {"number": donation.receipt_number, "donor": donation.donor_name},
                )
                return redirect("supplies:donation", external_id=donation.external_id)
    else:
        warehouse = stores.filter(kind=StoreKind.WAREHOUSE).first()
        form = DonationForm(stores=stores, initial={"store": warehouse})
        lines = DonatedLineFormSet(prefix="lines", form_kwargs={"items": items})
    return render(request, "supplies/donation_form.html", {"form": form, "lines": lines})


@login_required
@permission_required("supplies.view_donation", raise_exception=True)
def donation_detail(request: HttpRequest, external_id) -> HttpResponse:
    donation = get_object_or_404(
        _donations(request).select_related("received_by", "store__jurisdiction"),
        external_id=external_id,
    )
    return render(
        request,
        "supplies/donation_detail.html",
        {
            "donation": donation,
            "trail": donation_selectors.donation_trail(donation),
            "phone_masked": donation_selectors.contact_phone_masked(donation),
            "can_print": request.user.has_perm("supplies.add_donation"),
        },
    )


@login_required
@permission_required("supplies.add_donation", raise_exception=True)
def donation_receipt(request: HttpRequest, external_id) -> HttpResponse:
    donation = get_object_or_404(
        _donations(request).select_related("received_by"), external_id=external_id
    )
    content = receipts.export_donation_receipt(Actor.from_request(request), donation)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{donation.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
