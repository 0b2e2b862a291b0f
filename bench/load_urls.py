"""The real URL map with one endpoint in front that does nothing (the load test's ceiling)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fangyi.urls import handler403
from fangyi.urls import urlpatterns as real_urlpatterns

__all__ = ["handler403", "urlpatterns"]


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *real_urlpatterns]
