"""Downloads of a roster in the familiar table layout (值班表): /roster/<pk>/export.xlsx and
/roster/<pk>/export.pdf, optionally ?checkpoint=ID for one checkpoint. Another town's roster, or
a checkpoint not on it, is a 404; every download is written to the audit log."""

from tempfile import NamedTemporaryFile

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.audit import Actor
from fangyi.roster import exports
from fangyi.roster.models import Roster


def _roster_and_checkpoint(request: HttpRequest, pk: int) -> tuple[Roster, Checkpoint | None]:
    roster = get_object_or_404(
        Roster.objects.visible_to(request.user).select_related("town"), pk=pk
    )
    raw = request.GET.get("checkpoint", "")
    if not raw:
        return roster, None
    if not raw.isdigit():
        raise Http404
    checkpoint = Checkpoint.objects.filter(
        pk=int(raw), pk__in=roster.shifts.values("checkpoint_id")
    ).first()
    if checkpoint is None:
        raise Http404
    return roster, checkpoint


def _filename(roster: Roster, checkpoint: Checkpoint | None, suffix: str) -> str:
    parts = ["roster", roster.town_id, f"{roster.starts_on:%Y%m%d}", f"{roster.days}d"]
    if checkpoint is not None:
        parts.append(f"cp{checkpoint.pk}")
    return "-".join(parts) + suffix


@login_required
@permission_required("roster.view_roster", raise_exception=True)
def roster_export_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    roster, checkpoint = _roster_and_checkpoint(request, pk)
    # The FileResponse closes (and so deletes) it.
    file = NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    exports.export_roster_xlsx(Actor.from_request(request), roster, file, checkpoint=checkpoint)
    file.seek(0)
    response = FileResponse(
        file, as_attachment=True, filename=_filename(roster, checkpoint, ".xlsx")
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("roster.view_roster", raise_exception=True)
def roster_export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    roster, checkpoint = _roster_and_checkpoint(request, pk)
    content = exports.export_roster_pdf(Actor.from_request(request), roster, checkpoint=checkpoint)
    response = HttpResponse(content, content_type="application/pdf")
    filename = _filename(roster, checkpoint, ".pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
