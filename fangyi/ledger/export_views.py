"""PLACEHOLDER: being written this session; every function here is replaced."""

from django.http import Http404


def py(request, **kwargs):
    raise Http404


def ledger_export(request, **kwargs):
    raise Http404


def pushlist_feedback(request, **kwargs):
    raise Http404
