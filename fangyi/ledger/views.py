"""PLACEHOLDER: being written this session; every function here is replaced."""

from django.http import Http404


def py(request, **kwargs):
    raise Http404


def entry_list(request, **kwargs):
    raise Http404


def entry_results(request, **kwargs):
    raise Http404


def entry_bulk(request, **kwargs):
    raise Http404


def entry_create(request, **kwargs):
    raise Http404


def entry_detail(request, **kwargs):
    raise Http404


def entry_edit(request, **kwargs):
    raise Http404


def person_entries(request, **kwargs):
    raise Http404


def task_list(request, **kwargs):
    raise Http404


def task_verify(request, **kwargs):
    raise Http404
