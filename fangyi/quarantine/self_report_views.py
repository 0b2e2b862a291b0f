"""The public self-report page behind each order's link (being written)."""

from django.http import Http404, HttpRequest, HttpResponse


def self_report(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
