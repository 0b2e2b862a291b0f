"""Quarantine pages: the town board, "my people today", the order detail with its timeline and
actions. (Placeholder by the lead: the board helper writes this module.)"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from fangyi.quarantine.models import QuarantineOrder


@login_required
@permission_required("quarantine.view_quarantineorder", raise_exception=True)
def order_detail(request: HttpRequest, external_id) -> HttpResponse:
    order = get_object_or_404(
        QuarantineOrder.objects.visible_to(request.user), external_id=external_id
    )
    return HttpResponse(str(order))
