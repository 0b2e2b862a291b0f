"""`fangyi seed-demo` registers two dozen enterprises with valid credit codes across villages
and industries, with filings in every state (draft, submitted, forwarded, approved, rejected
with reasons, reopened with daily temperature summaries), rosters imported through the roster
import (flagged employees among them), and the demo `enterprise` account speaking for one.

Seeded once for the module (one class on `seeded_demo`); each test's writes are rolled back."""

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from fangyi.core import demo
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User
from fangyi.core.roles import Role
from fangyi.enterprises import demo as enterprises_demo
from fangyi.enterprises.credit_code import validate_credit_code
from fangyi.enterprises.models import (
    Employee,
    Enterprise,
    Filing,
    FilingStatus,
    Inspection,
    TemperatureSummary,
)


def test_it_adds_the_step_once_after_quarantine():
    apps.get_app_config("enterprises").ready()
    apps.get_app_config("enterprises").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("enterprises") == 1 and enterprises_demo.ENTERPRISES_STEP in demo.STEPS
    assert names.index("quarantine") < names.index("enterprises")


def snapshot() -> list[tuple]:
    return sorted(
        Filing.objects.within(demo.COUNTY_CODE).values_list(
            "enterprise__name", "status", "employee_count", "flagged_count"
        )
    )


class TestTheSeededDemo:
    def test_it_registers_enterprises_with_valid_codes_across_villages_and_industries(
        self, seeded_demo
    ):
        enterprises = Enterprise.objects.within(demo.COUNTY_CODE)
        assert enterprises.count() == len(enterprises_demo.COMPANIES) >= 20
        for enterprise in enterprises:
            assert validate_credit_code(enterprise.credit_code) == enterprise.credit_code
            assert enterprise.contact_phone_cipher and enterprise.address
        assert len(set(enterprises.values_list("industry", flat=True))) >= 6
        assert len(set(enterprises.values_list("size", flat=True))) == 4
        assert len({e.jurisdiction_id for e in enterprises}) >= 6
        assert enterprises.within("999901101").exists()  # 白水镇 too
        account = User.objects.get(username="enterprise")
        assert account.role == Role.ENTERPRISE_CONTACT
        assert list(Enterprise.objects.visible_to(account)) == [
            enterprises.get(name=enterprises_demo.ACCOUNT_COMPANY)
        ]

    def test_it_has_filings_in_every_state_with_their_history(self, seeded_demo):
        filings = Filing.objects.within(demo.COUNTY_CODE).select_related("enterprise")
        states = Counter(filings.values_list("status", flat=True))
        assert set(states) == set(FilingStatus.values)
        today = timezone.localdate()
        for filing in filings.filter(status=FilingStatus.REJECTED):
            assert len(filing.decision_reason) > 10
        refiled = filings.get(enterprise__name="北山石料厂", status=FilingStatus.DRAFT)
        assert refiled.employee_count == 30 and refiled.plan_file
        for filing in filings.filter(status=FilingStatus.FORWARDED):
            assert filing.enterprise.size in ("medium", "large")
        broken = filings.get(enterprise__name="青山镇快递服务站")
        assert broken.status == FilingStatus.DRAFT and len(broken.roster_errors) == 2
        assert {e["row"] for e in broken.roster_errors} and all(
            e["reason"] for e in broken.roster_errors
        )
        for filing in filings.exclude(status=FilingStatus.DRAFT):
            assert filing.submitted_at and timezone.localdate(filing.submitted_at) <= today
            assert Path(filing.plan_file).is_file()
            events = list(filing.events.values_list("at", flat=True))
            assert events == sorted(events) and events[-1] <= timezone.now()
        small = filings.filter(
            status__in=(FilingStatus.APPROVED, FilingStatus.REOPENED),
            enterprise__size__in=("micro", "small"),
        )
        for filing in small:
            inspection = Inspection.objects.filter(filing=filing).get()
            assert inspection.passed and inspection.inspected_on <= filing.decided_at.date()
        for filing in filings.filter(status=FilingStatus.REOPENED):
            days = list(
                TemperatureSummary.objects.filter(enterprise=filing.enterprise)
                .order_by("day")
                .values_list("day", flat=True)
            )
            assert days[0] == filing.reopened_on and days[-1] == today - timedelta(days=1)
            assert len(days) == (today - filing.reopened_on).days
        assert TemperatureSummary.objects.filter(fever__gt=0).count() == 1

    def test_it_flags_employees_who_are_under_quarantine_or_unwell(self, seeded_demo):
        employees = Employee.objects.filter(filing__enterprise__jurisdiction_id__gte="999901")
        assert employees.count() > 800
        flagged = employees.filter(flagged=True)
        kinds = Counter(flag["kind"] for e in flagged for flag in e.flags)
        assert {"quarantine", "health", "risk_area"} <= set(kinds)
        assert kinds["quarantine"] >= 4
        quarantined = [e for e in flagged if any(f["kind"] == "quarantine" for f in e.flags)]
        assert all(e.person_id for e in quarantined)
        ours = Filing.objects.get(enterprise__name=enterprises_demo.ACCOUNT_COMPANY)
        assert ours.status == FilingStatus.APPROVED and ours.flagged_count >= 2
        for filing in Filing.objects.all():
            assert filing.flagged_count == filing.employees.filter(flagged=True).count()

    def test_it_seeds_in_seconds_the_same_again_and_resets_only_its_rows(self, seeded_demo):
        first = snapshot()
        plans = [Path(p) for p in Filing.objects.values_list("plan_file", flat=True) if p]
        places = Jurisdiction.objects.count()

        deleted = enterprises_demo.reset_enterprises()

        assert deleted > 800
        for model in (Enterprise, Filing, Employee, TemperatureSummary):
            assert not model.objects.exists(), model
        assert plans and not any(p.exists() for p in plans)
        assert User.objects.filter(username="enterprise").exists()
        assert Jurisdiction.objects.count() == places
        assert enterprises_demo.reset_enterprises() == 0

        ctx = demo.DemoContext(
            "small", Actor.system("test"), demo.plan_county("small"), demo.no_progress
        )
        started = time.process_time()
        enterprises_demo.seed_enterprises(ctx)
        seconds = time.process_time() - started
        assert snapshot() == first
        assert seconds < 6, seconds  # ~2.5 s

    def test_it_lists_enterprises_and_filings_in_the_admin_read_only_without_ids(
        self, seeded_demo, client_for, django_assert_max_num_queries
    ):
        client = client_for(User.objects.get(username="admin"))
        for model in ("enterprise", "filing", "employee", "temperaturesummary"):
            with django_assert_max_num_queries(12):
                page = client.get(reverse(f"admin:enterprises_{model}_changelist"))
            assert page.status_code == 200, model
            assert client.get(reverse(f"admin:enterprises_{model}_add")).status_code == 403
        employee = Employee.objects.filter(flagged=True).exclude(id_number_cipher=None).first()
        page = client.get(reverse("admin:enterprises_employee_change", args=[employee.pk]))
        html = page.content.decode()
        assert page.status_code == 200 and employee.name in html
        assert employee.id_number not in html and (not employee.phone or employee.phone not in html)
        page = client.get(reverse("admin:enterprises_employee_changelist"))
        assert employee.id_number not in page.content.decode()
        filing = Filing.objects.filter(status=FilingStatus.REOPENED).first()
        page = client.get(reverse("admin:enterprises_filing_change", args=[filing.pk]))
        assert page.status_code == 200
        delete = reverse("admin:enterprises_filing_delete", args=[filing.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403

        contact = User.objects.get(username="enterprise")
        User.objects.filter(pk=contact.pk).update(is_staff=True)
        client = client_for(User.objects.get(pk=contact.pk))
        page = client.get(reverse("admin:enterprises_filing_changelist"))
        assert page.status_code == 200
        seen = set(page.context["cl"].queryset.values_list("enterprise__name", flat=True))
        assert seen == {enterprises_demo.ACCOUNT_COMPANY}
        other = Filing.objects.exclude(enterprise__name=enterprises_demo.ACCOUNT_COMPANY).first()
        page = client.get(reverse("admin:enterprises_filing_change", args=[other.pk]))
        assert page.status_code == 302
