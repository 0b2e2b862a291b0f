"""Reads of the ledger. Callers pass querysets already scoped with `visible_to(user)`; the
functions here only narrow, count and order them."""

import re
from collections.abc import Mapping
from datetime import date, datetime, time

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date

from fangyi.core.models import Jurisdiction, User
from fangyi.core.roles import ROLE_PERMISSIONS
from fangyi.core.scoping import code_upper_bound
from fangyi.core.selectors import person_match
from fangyi.ledger.models import Category, LedgerEntry, PushList, Status, VerificationTask

UNASSIGNED = "unassigned"
# The query-string keys `filter_entries` reads (the list page, its polling and the export).
FILTER_KEYS = ("village", "category", "status", "arrived_from", "arrived_to", "overdue", "q")


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def filter_entries(
    entries: QuerySet[LedgerEntry], params: Mapping[str, str], *, now: datetime | None = None
) -> QuerySet[LedgerEntry]:
    """Narrow `entries` by the ledger's filters, read from a query string (`request.GET`).

    Keys: village (a village/group code, or "unassigned" for entries still on the town),
    category, status, arrived_from / arrived_to (YYYY-MM-DD, inclusive), overdue ("1": an open
    verification task past its push list's deadline), q (the people search rule). Unknown or
    malformed values are ignored: the form shows the error, the export and the poll stay lenient.
    """
    village = (params.get("village") or "").strip()
    if village == UNASSIGNED:
        entries = entries.unassigned()
    elif re.fullmatch(r"\d{12}(\d{3})?", village):
        entries = entries.within(village)
    if (category := params.get("category")) in Category.values:
        entries = entries.filter(category=category)
    if (status := params.get("status")) in Status.values:
        entries = entries.filter(status=status)
    if arrived_from := _date(params.get("arrived_from")):
        entries = entries.filter(arrival_date__gte=arrived_from)
    if arrived_to := _date(params.get("arrived_to")):
        entries = entries.filter(arrival_date__lte=arrived_to)
    if params.get("overdue") in ("1", "on", "true"):
        overdue = VerificationTask.objects.overdue(now).filter(entry=OuterRef("pk"))
        entries = entries.filter(Exists(overdue))
    if (match := person_match(params.get("q") or "", prefix="person__")) is not None:
        entries = entries.filter(match)
    return entries


def ledger_page_entries(entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """What a page of the list shows, in the list's order (latest arrival first)."""
    return entries.select_related("person", "jurisdiction", "responsible_cadre").order_by(
        F("arrival_date").desc(nulls_last=True), "-pk"
    )


def status_counts(entries: QuerySet[LedgerEntry]) -> dict[str, int]:
    """Entries per status, every status present (zeros included), in Status order."""
    found = dict(
        entries.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: found.get(status, 0) for status in Status.values}


def entries_fingerprint(entries: QuerySet[LedgerEntry]) -> str:
    """A short string that changes whenever what the filtered list shows may have changed:
    the count, the latest change of an entry, and the latest history event (a verification or
    a push that left the entry's own fields alone still writes an event)."""
    found = entries.order_by().aggregate(
        n=Count("pk", distinct=True), at=Max("updated_at"), event=Max("events__id")
    )
    at = found["at"].timestamp() if found["at"] else 0
    return f"{found['n']}-{at:.6f}-{found['event'] or 0}"


def overdue_entry_ids(entries: list[LedgerEntry], now: datetime | None = None) -> set[int]:
    """Which of these (already fetched) entries have an overdue verification task: one query."""
    return set(
        VerificationTask.objects.overdue(now)
        .filter(entry__in=[entry.pk for entry in entries])
        .values_list("entry_id", flat=True)
    )


def ledger_villages(user: User) -> QuerySet[Jurisdiction]:
    """The villages the user may filter or dispatch to: children of a town user's town, or the
    user's own village (and its groups) for village users."""
    if not user.jurisdiction_id:
        return Jurisdiction.objects.filter(level="village") if user.is_superuser else _none()
    if len(user.jurisdiction_id) <= 9:
        return Jurisdiction.objects.filter(level="village").within(user.jurisdiction_id)
    return Jurisdiction.objects.within(user.jurisdiction_id).order_by("code")


def _none() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.none()


LEDGER_WORK_ROLES = [
    role for role, perms in ROLE_PERMISSIONS.items() if "ledger.change_ledgerentry" in perms
]


def responsible_cadres(user: User) -> QuerySet[User]:
    """Active staff inside the user's jurisdiction who may work the ledger (包保责任人 choices)."""
    cadres = (
        User.objects.filter(is_active=True, role__in=LEDGER_WORK_ROLES)
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "username")
    )
    if user.jurisdiction_id:
        code = user.jurisdiction_id
        upper = code_upper_bound(code)
        cadres = cadres.filter(jurisdiction_id__gte=code)
        return cadres.filter(jurisdiction_id__lt=upper) if upper else cadres
    return cadres if user.is_superuser else cadres.none()


def verification_counts(
    *,
    on_push_list: bool = False,
    now: datetime | None = None,
    verified_since: datetime | None = None,
) -> dict[str, Count]:
    """Count annotations of verification tasks: `tasks_total`, `tasks_verified`, `tasks_open`,
    `tasks_overdue` (open, and the push list's deadline passed: the rule of
    `VerificationTaskQuerySet.overdue`), and `tasks_verified_since` when `verified_since` is given.

    For a query over VerificationTask, or over PushList (`on_push_list`: its `tasks`)."""
    task, deadline = ("tasks__", "deadline_at") if on_push_list else ("", "push_list__deadline_at")
    open_ = Q(**{f"{task}result": ""})
    counts = {
        "tasks_total": Count(f"{task}pk"),
        "tasks_verified": Count(f"{task}pk", filter=~open_),
        "tasks_open": Count(f"{task}pk", filter=open_),
        "tasks_overdue": Count(
            f"{task}pk", filter=open_ & Q(**{f"{deadline}__lt": now or timezone.now()})
        ),
    }
    if verified_since is not None:
        since = Q(**{f"{task}verified_at__gte": verified_since})
        counts["tasks_verified_since"] = Count(f"{task}pk", filter=~open_ & since)
    return counts


def task_counts(tasks: QuerySet[VerificationTask], now: datetime | None = None) -> dict[str, int]:
    """Open, overdue, and verified today (local day) among `tasks`, in one query."""
    now = now or timezone.now()
    midnight = datetime.combine(
        timezone.localdate(now), time.min, tzinfo=timezone.get_current_timezone()
    )
    counts = verification_counts(now=now, verified_since=midnight)
    return tasks.aggregate(
        open=counts["tasks_open"],
        overdue=counts["tasks_overdue"],
        done_today=counts["tasks_verified_since"],
    )


def push_lists_with_progress(user: User) -> QuerySet[PushList]:
    """The push lists the user may see, newest first, each with its verification counts."""
    return (
        PushList.objects.visible_to(user)
        .select_related("town")
        .annotate(**verification_counts(on_push_list=True))
        .order_by("-received_at", "-id")
    )


def progress_by_village(user: User, push_list: PushList) -> list[dict]:
    """Verification counts per village (or the town, for people not yet dispatched)."""
    rows = list(
        VerificationTask.objects.visible_to(user)
        .filter(push_list=push_list)
        .values("entry__jurisdiction_id", "entry__jurisdiction__name")
        .annotate(**verification_counts())
        .order_by("entry__jurisdiction_id")
    )
    for row in rows:
        row["unassigned"] = len(row["entry__jurisdiction_id"]) <= 9
    return rows


def open_tasks(tasks: QuerySet[VerificationTask]) -> QuerySet[VerificationTask]:
    """Open tasks, earliest deadline first (so the overdue come first)."""
    return (
        tasks.open()
        .select_related("push_list", "entry__person", "entry__jurisdiction")
        .order_by("push_list__deadline_at", "entry__jurisdiction_id", "pk")
    )


def home_summary(user: User) -> dict | None:
    """The ledger's figures for the user's home page, or None if the role has no ledger."""
    if not user.has_perm("ledger.view_ledgerentry"):
        return None
    entries = LedgerEntry.objects.visible_to(user)
    tasks = task_counts(VerificationTask.objects.visible_to(user))
    return {
        "pending": entries.filter(status=Status.PENDING).count(),
        "unassigned": entries.unassigned().count(),
        **tasks,
    }
