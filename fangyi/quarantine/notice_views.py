"""The release notice download (/quarantine/orders/<id>/notice.pdf): the PDF of a released
order, for whoever may see the order; every download is written to the audit log."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from fangyi.core.audit import Actor
from fangyi.quarantine import notices
from fangyi.quarantine.models import QuarantineOrder


@login_required
@permission_required("quarantine.view_quarantineorder", raise_exception=True)
def release_notice(request: HttpRequest, external_id) -> HttpResponse:
    order = get_object_or_404(
        QuarantineOrder.objects.visible_to(request.user).select_related(
            "person", "ended_by", "site", "room"
        ),
        external_id=external_id,
    )
    problem = notices.notice_problem(order)
    if problem:
        # The order exists and is the user's: say why there is no notice (yet), not "not found".
        return render(
            request,
            "quarantine/notice_unavailable.html",
            {"order": order, "problem": problem},
            status=409,
        )
    content = notices.export_release_notice(Actor.from_request(request), order)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"release-notice-{notices.notice_number(order)}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
