"""The overdue sweep: one SERVICE_OVERDUE alert per open request past its needed-by time, never
twice, none for delivered or cancelled ones; `fangyi volunteers-sweep` reports the count."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind
from fangyi.volunteers import services
from fangyi.volunteers.testing import SYSTEM, in_hours, make_request


def test_it_raises_one_alert_per_overdue_request(erin, erin_volunteer, village_a, village_b):
    late = make_request(village_a, needed_by=in_hours(1))
    make_request(village_a, needed_by=in_hours(5))  # not due yet
    delivered = make_request(village_a, needed_by=in_hours(1))
    services.accept_request(Actor(user=erin), delivered)
    services.complete_request(Actor(user=erin), delivered, note="ok")
    cancelled = make_request(village_a, needed_by=in_hours(1))
    services.cancel_request(SYSTEM, cancelled, "不需要了")
    other = make_request(village_b, needed_by=in_hours(1), household_name="赵", address="西村")
    later = timezone.now() + timedelta(hours=2)

    assert services.sweep_overdue_requests(later) == 2
    assert services.sweep_overdue_requests(later + timedelta(hours=1)) == 0
    alerts = Alert.objects.filter(kind=AlertKind.SERVICE_OVERDUE).order_by("jurisdiction_id")
    assert [a.jurisdiction_id for a in alerts] == [village_a.code, village_b.code]
    assert alerts[0].link == services.request_link(late)
    assert alerts[1].link == services.request_link(other)
    assert "was needed by" in alerts[0].message and "王奶奶" in alerts[0].message


def test_it_runs_as_a_command(village_a):
    make_request(village_a, needed_by=timezone.now() - timedelta(minutes=30))
    out = io.StringIO()
    call_command("volunteers_sweep", stdout=out)
    assert Alert.objects.filter(kind=AlertKind.SERVICE_OVERDUE).count() == 1
    assert out.getvalue().strip()
