"""The public pages of donations, no login: a town's thank-you list and where one donation
went. They show the donor's public name (爱心人士 when the donor asked not to be named), the
items, quantities, money and day; never a contact, a phone, a note or who received it.

An unknown town or donation gets the same plain 404 whatever the reason, and every request from
an address counts against an hourly limit (settings.SUPPLIES_PUBLIC_PER_HOUR).
"""

from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fangyi.core.audit import client_ip
from fangyi.core.ratelimit import address_key, allow
from fangyi.supplies import donation_selectors
from fangyi.supplies.models import Donation

RATE_WINDOW = timedelta(hours=1)
PAGE_SIZE = 50


def public_limit() -> int:
    return settings.SUPPLIES_PUBLIC_PER_HOUR


def limited(request: HttpRequest) -> bool:
    """Count this request; True when the address made too many this hour (API too)."""
    return not allow(
        address_key("supplies-public", client_ip(request)),
        limit=public_limit(),
        window=RATE_WINDOW,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "supplies/public_not_found.html", status=404)


@require_GET
def public_thanks(request: HttpRequest, town: str) -> HttpResponse:
    if limited(request):
        return render(request, "supplies/public_limited.html", status=429)
    place = donation_selectors.public_town(town)
    if place is None:
        return _not_found(request)
    page = Paginator(donation_selectors.town_donations(place), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "supplies/public_thanks.html",
        {"town": place, "page": page, "rows": donation_selectors.thanks_rows(page.object_list)},
    )


@require_GET
def public_donation(request: HttpRequest, external_id) -> HttpResponse:
    if limited(request):
        return render(request, "supplies/public_limited.html", status=429)
    donation = Donation.objects.select_related("store").filter(external_id=external_id).first()
    if donation is None:
        return _not_found(request)
    town = donation_selectors.public_town(donation.store.town_code)
    row = donation_selectors.thanks_rows([donation])[0]
    return render(
        request,
        "supplies/public_donation.html",
        {"town": town, "row": row, "trail": donation_selectors.donation_trail(donation)},
    )
