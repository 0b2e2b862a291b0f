"""`fangyi seed-demo` gives every village a volunteer team with a leader (the demo `volunteer`
account leads 东湾村's), and a week of household service requests for the running quarantine
orders, elderly residents and the care home, in every state, one of them overdue.

Seeded once for the module (one class on `seeded_demo`); each test's writes are rolled back."""

import time
from collections import Counter

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from fangyi.core import demo
from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind, AuditEntry, Jurisdiction, User
from fangyi.core.roles import Role
from fangyi.quarantine.models import RUNNING
from fangyi.volunteers import demo as volunteers_demo
from fangyi.volunteers import services
from fangyi.volunteers.models import (
    OPEN_REQUEST,
    RequestChannel,
    RequesterKind,
    RequestStatus,
    ServiceRequest,
    Volunteer,
    VolunteerTeam,
)


def test_it_adds_the_step_once_after_quarantine():
    apps.get_app_config("volunteers").ready()
    apps.get_app_config("volunteers").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("volunteers") == 1 and volunteers_demo.VOLUNTEERS_STEP in demo.STEPS
    assert names.index("quarantine") < names.index("volunteers")


def snapshot() -> list[tuple]:
    return sorted(
        ServiceRequest.objects.within(demo.COUNTY_CODE).values_list(
            "jurisdiction_id", "household_name", "kind", "status", "details"
        )
    ) + sorted(Volunteer.objects.within(demo.COUNTY_CODE).values_list("name", "team__name"))


class TestTheSeededDemo:
    def test_it_gives_every_village_a_team_with_a_leader_of_its_own(self, seeded_demo):
        villages = [v.code for t in demo.plan_county("small") for v in t.villages]
        teams = VolunteerTeam.objects.within(demo.COUNTY_CODE).select_related("leader")
        assert sorted({t.jurisdiction_id for t in teams}) == sorted(villages)
        for team in teams:
            assert team.leader is not None and team.leader.jurisdiction_id == team.jurisdiction_id
            assert team.members.count() >= 2
        volunteers = Volunteer.objects.within(demo.COUNTY_CODE)
        assert volunteers.count() >= 4 * len(villages)
        assert volunteers.filter(party_member=True).exists()
        assert not volunteers.filter(phone_index="").exists()
        account = Volunteer.objects.get(user__username="volunteer")
        assert account.name == "郑小雨" and account.jurisdiction_id == "999901100201"
        assert account.team.leader == account
        # The other villages' leaders of 青山镇 have accounts with the demo password.
        leaders = User.objects.filter(username__startswith="volunteer", role=Role.VOLUNTEER)
        assert leaders.count() == 6
        assert all(user.check_password(demo.DEMO_PASSWORD) for user in leaders)
        assert all(hasattr(user, "volunteer") for user in leaders)

    def test_it_has_requests_in_every_state_for_running_orders_and_elderly_residents(
        self, seeded_demo
    ):
        requests = ServiceRequest.objects.within(demo.COUNTY_CODE)
        states = Counter(requests.values_list("status", flat=True))
        assert set(states) == set(RequestStatus.values)
        assert states[RequestStatus.CONFIRMED] > 20 and states[RequestStatus.NEW] >= 2
        assert states[RequestStatus.CANCELLED] == 1
        kinds = set(requests.values_list("requester_kind", flat=True))
        assert {RequesterKind.QUARANTINE, RequesterKind.ELDERLY, RequesterKind.CARE_HOME} <= kinds
        for request in requests.filter(requester_kind=RequesterKind.QUARANTINE).select_related(
            "order"
        ):
            assert request.order is not None
            assert request.order.jurisdiction_id.startswith(request.jurisdiction_id)
        quarantined = requests.filter(requester_kind=RequesterKind.QUARANTINE)
        assert quarantined.filter(order__status__in=RUNNING).count() == quarantined.count()
        household = requests.get(channel=RequestChannel.SELF_REPORT)
        assert household.status == RequestStatus.NEW and household.order.is_running
        assert requests.filter(confirmed_via=RequestChannel.SELF_REPORT).exists()
        assert requests.filter(confirmed_via=RequestChannel.STAFF).exists()
        assert requests.exclude(delivery_photo="").exists()
        # Dated over the last week, each step after the one before.
        now = timezone.now()
        first = requests.order_by("created_at").first().created_at
        assert 5 <= (timezone.localdate(now) - timezone.localdate(first)).days <= 7
        for request in requests.filter(status=RequestStatus.CONFIRMED)[:30]:
            assert request.created_at < request.accepted_at < request.done_at
            assert request.done_at < request.confirmed_at < now and request.hours > 0
            statuses = [e.status for e in request.events.all()]
            assert statuses[0] == RequestStatus.NEW and statuses[-1] == RequestStatus.CONFIRMED
            ats = [e.at for e in request.events.all()]
            assert ats == sorted(ats) and ats[-1] == request.confirmed_at

    def test_it_shows_the_volunteer_their_tasks_and_the_town_one_overdue_request(
        self, seeded_demo, client_for
    ):
        now = timezone.now()
        mine = ServiceRequest.objects.filter(volunteer__user__username="volunteer")
        assert mine.filter(status=RequestStatus.NEW).exists()
        assert mine.filter(status=RequestStatus.ACCEPTED).exists()
        assert mine.filter(status=RequestStatus.CONFIRMED).count() >= 3
        overdue = ServiceRequest.objects.overdue(now)
        assert overdue.count() == 1
        late = overdue.get()
        assert late.jurisdiction_id.startswith(demo.MAIN_TOWN_CODE)
        alert = Alert.objects.get(kind=AlertKind.SERVICE_OVERDUE)
        assert alert.link == services.request_link(late) and alert.acknowledged_at is None
        assert services.sweep_overdue_requests(now=now) == 0
        for request in ServiceRequest.objects.filter(status__in=OPEN_REQUEST).exclude(pk=late.pk):
            assert request.needed_by > now

    def test_it_seeds_in_seconds_the_same_again_and_resets_only_its_rows(self, seeded_demo):
        first = snapshot()
        seeded_at = AuditEntry.objects.latest("pk").at  # the class's seeding wrote it last
        places = Jurisdiction.objects.count()

        deleted = volunteers_demo.reset_volunteers()

        assert deleted > 100
        assert not ServiceRequest.objects.exists() and not Volunteer.objects.exists()
        assert not VolunteerTeam.objects.exists()
        assert not Alert.objects.filter(kind=AlertKind.SERVICE_OVERDUE).exists()
        assert not User.objects.filter(username="volunteer2").exists()
        assert User.objects.filter(username="volunteer").exists()  # the core demo's
        assert Jurisdiction.objects.count() == places
        assert volunteers_demo.reset_volunteers() == 0

        ctx = demo.DemoContext(
            "small", Actor.system("test"), demo.plan_county("small"), demo.no_progress
        )
        started = time.process_time()
        volunteers_demo.seed_volunteers(ctx)
        seconds = time.process_time() - started
        again = snapshot()
        assert [row[:3] for row in again] == [row[:3] for row in first]
        if timezone.now().replace(minute=0, second=0, microsecond=0) == seeded_at.replace(
            minute=0, second=0, microsecond=0
        ):
            # The requests' states follow the hour they were seeded in (see the demo).
            assert [row[:4] for row in again] == [row[:4] for row in first]
        assert seconds < 5, seconds  # ~2 s

    def test_it_lists_volunteers_and_requests_in_the_admin_read_only_without_phones(
        self, seeded_demo, client_for, django_assert_max_num_queries
    ):
        client = client_for(User.objects.get(username="admin"))
        for model in ("volunteerteam", "volunteer", "servicerequest"):
            with django_assert_max_num_queries(12):
                page = client.get(reverse(f"admin:volunteers_{model}_changelist"))
            assert page.status_code == 200, model
            assert client.get(reverse(f"admin:volunteers_{model}_add")).status_code == 403
        volunteer = Volunteer.objects.get(user__username="volunteer")
        page = client.get(reverse("admin:volunteers_volunteer_change", args=[volunteer.pk]))
        assert page.status_code == 200 and "郑小雨" in page.content.decode()
        assert volunteer.phone not in page.content.decode()
        request = ServiceRequest.objects.exclude(phone_cipher=None).first()
        page = client.get(reverse("admin:volunteers_servicerequest_change", args=[request.pk]))
        assert page.status_code == 200 and request.phone not in page.content.decode()
        delete = reverse("admin:volunteers_servicerequest_delete", args=[request.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403

        cadre = User.objects.get(username="village2")  # 西岭村
        User.objects.filter(pk=cadre.pk).update(is_staff=True)
        client = client_for(User.objects.get(pk=cadre.pk))
        page = client.get(reverse("admin:volunteers_servicerequest_changelist"))
        assert page.status_code == 200
        seen = set(page.context["cl"].queryset.values_list("jurisdiction_id", flat=True))
        assert seen == {"999901100202"}
        other = ServiceRequest.objects.filter(jurisdiction_id="999901100201").first()
        page = client.get(reverse("admin:volunteers_servicerequest_change", args=[other.pk]))
        assert page.status_code == 302
