"""Tracing pages. (Placeholder by the lead: the tracing helper writes this module.)"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from fangyi.tracing.models import Case


@login_required
@permission_required("tracing.view_case", raise_exception=True)
def case_detail(request: HttpRequest, external_id) -> HttpResponse:
    case = get_object_or_404(Case.objects.visible_to(request.user), external_id=external_id)
    return HttpResponse(str(case))
