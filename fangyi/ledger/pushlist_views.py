"""PLACEHOLDER: being written this session; every function here is replaced."""

from django.http import Http404


def py(request, **kwargs):
    raise Http404


def pushlist_list(request, **kwargs):
    raise Http404


def pushlist_upload(request, **kwargs):
    raise Http404


def pushlist_detail(request, **kwargs):
    raise Http404


def pushlist_mapping(request, **kwargs):
    raise Http404


def pushlist_progress(request, **kwargs):
    raise Http404


def pushlist_error_sheet(request, **kwargs):
    raise Http404
