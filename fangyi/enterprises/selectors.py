"""Reads for the enterprise pages, always through `visible_to(user)`: an enterprise contact sees
only the companies they speak for, a village its village's, the town its town's."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from fangyi.core.models import Jurisdiction
from fangyi.core.roles import Role
from fangyi.enterprises.models import (
    CURRENT_FILING,
    FORWARDED_SIZES,
    Employee,
    Enterprise,
    Filing,
    FilingStatus,
    Industry,
    TemperatureSummary,
)

AWAITING = (FilingStatus.SUBMITTED, FilingStatus.FORWARDED)


def visible_enterprises(user) -> QuerySet[Enterprise]:
    return Enterprise.objects.visible_to(user).select_related("jurisdiction")


def enterprises_with_current_filing(user) -> list[Enterprise]:
    """The user's enterprises, each with `.current` (its current filing or None) and `.last`
    (its latest filing of any status), in two queries."""
    enterprises = list(
        visible_enterprises(user).prefetch_related(
            Prefetch("filings", queryset=Filing.objects.order_by("-created_at", "-id"))
        )
    )
    for enterprise in enterprises:
        filings = list(enterprise.filings.all())
        enterprise.last = filings[0] if filings else None
        enterprise.current = next((f for f in filings if f.status in CURRENT_FILING), None)
    return enterprises


def enterprise_for_page(user, external_id) -> Enterprise | None:
    return visible_enterprises(user).filter(external_id=external_id).first()


def filing_for_page(user, external_id) -> Filing | None:
    return (
        Filing.objects.visible_to(user)
        .select_related("enterprise__jurisdiction", "submitted_by", "decided_by")
        .filter(external_id=external_id)
        .first()
    )


def filing_employees(filing: Filing, flagged_only: bool = False) -> QuerySet[Employee]:
    """Flagged first, then in the roster's order."""
    employees = filing.employees.order_by("-flagged", "source_row", "pk")
    return employees.filter(flagged=True) if flagged_only else employees


def enterprise_filings(enterprise: Enterprise) -> QuerySet[Filing]:
    return enterprise.filings.order_by("-created_at", "-id")


def recent_temperatures(enterprise: Enterprise, days: int = 14) -> list[TemperatureSummary]:
    return list(enterprise.temperature_summaries.order_by("-day")[:days])


def is_county_reviewer(user) -> bool:
    """The county's group decides forwarded filings (as services._is_county_level)."""
    if getattr(user, "role", "") == Role.COUNTY_COMMANDER:
        return True
    code = user.jurisdiction_id or ""
    return (user.is_superuser and not code) or (bool(code) and len(code) <= 6)


def review_queue(user) -> QuerySet[Filing]:
    """Filings awaiting the user's decision, oldest first: the town decides submitted filings
    (medium and large ones go on to the county); the county decides forwarded ones."""
    status = FilingStatus.FORWARDED if is_county_reviewer(user) else FilingStatus.SUBMITTED
    return (
        Filing.objects.visible_to(user)
        .filter(status=status)
        .select_related("enterprise__jurisdiction")
        .order_by("submitted_at", "pk")
    )


def with_the_county(user) -> QuerySet[Filing]:
    """For the town: what it forwarded and the county has not decided yet."""
    return (
        Filing.objects.visible_to(user)
        .filter(status=FilingStatus.FORWARDED)
        .select_related("enterprise__jurisdiction")
        .order_by("submitted_at", "pk")
    )


def goes_to_county(filing: Filing) -> bool:
    return filing.enterprise.size in FORWARDED_SIZES


@dataclass
class CountRow:
    label: str
    enterprises: int = 0
    filed: int = 0
    awaiting: int = 0
    approved: int = 0
    reopened: int = 0
    rejected: int = 0
    key: str = ""

    def add(self, status: str | None, n: int) -> None:
        self.enterprises += n
        if not status:
            return
        self.filed += n
        if status in AWAITING:
            self.awaiting += n
        elif status == FilingStatus.APPROVED:
            self.approved += n
        elif status == FilingStatus.REOPENED:
            self.approved += n  # reopened firms were approved first
            self.reopened += n
        elif status == FilingStatus.REJECTED:
            self.rejected += n


@dataclass
class Counts:
    by_village: list[CountRow] = field(default_factory=list)
    by_industry: list[CountRow] = field(default_factory=list)
    total: CountRow = field(default_factory=lambda: CountRow(label=""))


def filing_counts(user) -> Counts:
    """Each visible enterprise counted once, by the status of its latest filing past the draft
    (a firm rejected and filed again counts as filed once): by village and by industry."""
    latest = (
        Filing.objects.filter(enterprise=OuterRef("pk"))
        .exclude(status=FilingStatus.DRAFT)
        .order_by("-created_at", "-id")
        .values("status")[:1]
    )
    rows = (
        Enterprise.objects.visible_to(user)
        .annotate(state=Subquery(latest))
        .values("jurisdiction_id", "industry", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    villages: dict[str, CountRow] = {}
    industries: dict[str, CountRow] = {}
    total = CountRow(label="")
    for row in rows:
        code, state, n = row["jurisdiction_id"], row["state"], row["n"]
        villages.setdefault(code, CountRow(label="", key=code)).add(state, n)
        industries.setdefault(row["industry"], CountRow(label="", key=row["industry"])).add(
            state, n
        )
        total.add(state, n)
    names = dict(Jurisdiction.objects.filter(code__in=villages).values_list("code", "name"))
    for code, count_row in villages.items():
        count_row.label = names.get(code, code)
    labels = dict(Industry.choices)
    for key, count_row in industries.items():
        count_row.label = str(labels.get(key, key))
    return Counts(
        by_village=[villages[code] for code in sorted(villages)],
        by_industry=sorted(industries.values(), key=lambda r: (-r.enterprises, r.key)),
        total=total,
    )


def missing_temperatures(user, day: date | None = None) -> QuerySet[Enterprise]:
    """Reopened enterprises that have not reported `day`'s (today's) temperatures."""
    day = day or timezone.localdate()
    return (
        visible_enterprises(user)
        .filter(filings__status=FilingStatus.REOPENED)
        .exclude(temperature_summaries__day=day)
        .distinct()
        .order_by("jurisdiction_id", "name")
    )
