"""Downloads: the ledger as filtered on the list page, and a push list's feedback sheet.

Each writes the .xlsx to a temporary file (constant memory whatever the size) and streams it;
the temporary file is deleted when the response is closed.
"""

from tempfile import NamedTemporaryFile

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction
from fangyi.ledger.exports import export_feedback, export_ledger
from fangyi.ledger.models import LedgerEntry, PushList
from fangyi.ledger.selectors import FILTER_KEYS, filter_entries


def _xlsx_response(file, name: str) -> FileResponse:
    file.seek(0)
    safe = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name)
    return FileResponse(file, as_attachment=True, filename=f"{safe}.xlsx")


def _temporary_xlsx():
    return NamedTemporaryFile(suffix=".xlsx")  # the FileResponse closes (and so deletes) it


@login_required
@permission_required("ledger.export_ledger", raise_exception=True)
def ledger_export(request: HttpRequest) -> FileResponse:
    """The ledger rows the user sees on the list page with the same filters, as .xlsx."""
    entries = filter_entries(LedgerEntry.objects.visible_to(request.user), request.GET)
    filters = {key: request.GET[key] for key in FILTER_KEYS if request.GET.get(key)}
    village = filters.get("village", "")
    place = (
        Jurisdiction.objects.visible_to(request.user).filter(code=village).first()
        if village.isdigit()
        else None
    )
    place = place or request.user.jurisdiction
    file = _temporary_xlsx()
    export_ledger(
        Actor.from_request(request),
        entries,
        file,
        description=" ".join(f"{key}={value}" for key, value in filters.items()),
        scope_code=place.code if place else "",
    )
    name = "-".join(
        part for part in (_("screening ledger"), place.name if place else "", _today()) if part
    )
    return _xlsx_response(file, name)


@login_required
@permission_required("ledger.view_pushlist", raise_exception=True)
def pushlist_feedback(request: HttpRequest, push_list_id) -> FileResponse:
    """The feedback sheet (核查反馈表) of one push list, to send back up."""
    push_list = get_object_or_404(
        PushList.objects.visible_to(request.user).select_related("town"),
        external_id=push_list_id,
    )
    file = _temporary_xlsx()
    export_feedback(Actor.from_request(request), push_list, file)
    name = "-".join((_("verification feedback"), push_list.name, _today()))
    return _xlsx_response(file, name)


def _today() -> str:
    return f"{timezone.localdate():%Y%m%d}"
