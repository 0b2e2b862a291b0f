"""The daily briefing's content (Briefing.content): built once from the rollups and the few
raw rows a problem list needs, in the default language, then stored (frozen once published).
The schema is the one `documents.py` and the briefing pages render."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.command import selectors
from fangyi.command.figures import FIGURES
from fangyi.command.models import Briefing, BriefingStatus
from fangyi.command.rollups import day_start
from fangyi.core.identity import mask_name
from fangyi.core.models import Jurisdiction
from fangyi.ledger.models import VerificationTask
from fangyi.quarantine.models import RUNNING, QuarantineOrder
from fangyi.quarantine.selectors import missed_checks, order_path
from fangyi.roster.models import Assignment, RosterStatus, Shift
from fangyi.roster.services import NO_SHOW_MINUTES
from fangyi.volunteers.models import ServiceRequest

CONTENT_VERSION = 1
VILLAGE_CODE_LENGTH = 12
TREND_KEYS = (
    "checkpoint.people",
    "checkpoint.persuaded",
    *(f.key for f in FIGURES if f.key.startswith("quarantine.active.")),
    "cases.new",
    "ledger.new",
    "push.pending",
)


def build_content(jurisdiction: Jurisdiction, day: date, now: datetime) -> dict:
    """Everything the briefing of `jurisdiction` for `day` shows, as JSON-ready values."""
    with translation.override(settings.LANGUAGE_CODE):
        figures = selectors.figures_for(jurisdiction, day)
        stock = selectors.key_stock(jurisdiction, day)
        moment = min(day_start(day + timedelta(days=1)), now)
        return {
            "version": CONTENT_VERSION,
            "jurisdiction": {
                "code": jurisdiction.code,
                "name": jurisdiction.name,
                "level": jurisdiction.level,
            },
            "day": day.isoformat(),
            "generated_at": timezone.localtime(now).isoformat(),
            "figures": [
                {"key": v.key, "value": v.value, "previous": v.previous, "total": v.total}
                for v in figures.values.values()
            ],
            "children": [
                {
                    "code": row.jurisdiction.code if row.jurisdiction else None,
                    "name": row.jurisdiction.name if row.jurisdiction else jurisdiction.name,
                    "values": row.values,
                }
                for row in selectors.children_table(jurisdiction, day)
            ],
            "trend": {
                "days": [d.isoformat() for d in figures.days],
                "series": {key: figures.series[key] for key in TREND_KEYS},
            },
            "checkpoints": selectors.checkpoints_open(jurisdiction),
            "stock": [_stock_line(line) for line in stock],
            "problems": _problems(jurisdiction, day, moment, now, stock),
            "releases_tomorrow": _releases_tomorrow(jurisdiction, day),
            "corrections": _corrections(jurisdiction, day),
        }


def _stock_line(line: selectors.StockLine) -> dict:
    return {
        "item": str(line.item),
        "unit": line.item.get_unit_display(),
        "on_hand": str(line.on_hand),
        "per_day": str(line.used_per_day),
        "days_of_cover": None if line.days_of_cover is None else str(line.days_of_cover),
        "low": line.low,
    }


def _problems(
    jurisdiction: Jurisdiction,
    day: date,
    moment: datetime,
    now: datetime,
    stock: list[selectors.StockLine],
) -> list[dict]:
    """What needs action, as it stood at `moment` (the end of the day, or now if earlier);
    shifts as recorded by `now` (the rule of the shift figures: assignments and check-ins
    entered late count)."""
    problems = _overdue_verifications(jurisdiction, moment)
    problems += _missed_checks(jurisdiction, moment)
    problems += _shift_problems(jurisdiction, day, moment, now)
    problems += _low_stock(jurisdiction, stock)
    problems += _overdue_requests(jurisdiction, moment)
    return problems


def _low_stock(jurisdiction: Jurisdiction, stock: list[selectors.StockLine]) -> list[dict]:
    problems = []
    for line in stock:
        if line.low:
            problems.append(
                {
                    "kind": "low_stock",
                    "where": jurisdiction.name,
                    "where_code": jurisdiction.code,
                    "who": "",
                    "what": _("%(item)s: %(on_hand)s %(unit)s left, under the warning level")
                    % {
                        "item": line.item,
                        "on_hand": line.on_hand,
                        "unit": line.item.get_unit_display(),
                    },
                    "count": 1,
                    "link": "/supplies/",
                }
            )
    return problems


def _missed_checks(jurisdiction: Jurisdiction, moment: datetime) -> list[dict]:
    """Running orders with missed checks, per village, with the orders' current teams."""
    rows = missed_checks(None, moment, within=jurisdiction.code)
    names = _village_names(row.village_code for row in rows)
    groups: dict[str, dict] = {}
    for row in rows:
        code = _village_code(row.village_code)
        group = groups.setdefault(
            code,
            {"name": names[code], "people": 0, "missed": 0, "who": [], "link": row.link},
        )
        group["people"] += 1
        group["missed"] += row.missed
        for member in row.team:
            if member not in group["who"]:
                group["who"].append(member)
        if group["people"] > 1:
            group["link"] = "/quarantine/"
    return [
        {
            "kind": "missed_check",
            "where": g["name"],
            "where_code": code,
            "who": "、".join(g["who"]),
            "what": ngettext(
                "%(n)d missed check of %(people)d person under observation",
                "%(n)d missed checks of %(people)d people under observation",
                g["missed"],
            )
            % {"n": g["missed"], "people": g["people"]},
            "count": g["missed"],
            "link": g["link"],
        }
        for code, g in sorted(groups.items())
    ]


def _village_code(code: str) -> str:
    """A group's rows are its village's (problems are listed per village)."""
    return code[:VILLAGE_CODE_LENGTH]


def _village_names(codes) -> dict[str, str]:
    wanted = {_village_code(code) for code in codes}
    return dict(Jurisdiction.objects.filter(code__in=wanted).values_list("code", "name"))


def _shift_problems(
    jurisdiction: Jurisdiction, day: date, moment: datetime, now: datetime
) -> list[dict]:
    """The day's published shifts short of staff, and those nobody checked in to (15 minutes
    after their start), per checkpoint with its responsible person."""
    start = day_start(day)
    end = min(day_start(day + timedelta(days=1)), moment)
    shifts = (
        Shift.objects.within(jurisdiction.code)
        .filter(starts_at__gte=start, starts_at__lt=end, roster__status=RosterStatus.PUBLISHED)
        .annotate(
            staffed=Count("assignments", filter=Q(assignments__assigned_at__lt=now)),
            present=Exists(Assignment.objects.filter(shift=OuterRef("pk"), checked_in_at__lt=now)),
        )
        .values_list(
            "pk",
            "starts_at",
            "needed",
            "staffed",
            "present",
            "checkpoint__name",
            "checkpoint__jurisdiction_id",
            "checkpoint__responsible_person",
        )
        .order_by("checkpoint__jurisdiction_id", "checkpoint__name", "starts_at")
    )
    late = now - timedelta(minutes=NO_SHOW_MINUTES)
    short: dict[tuple, list] = defaultdict(list)
    absent: dict[tuple, list] = defaultdict(list)
    for pk, starts_at, needed, staffed, present, name, code, person in shifts:
        where = (code, name, person)
        if staffed < needed:
            short[where].append((pk, starts_at, needed - staffed))
        if not present and starts_at <= late:
            absent[where].append((pk, starts_at, 0))
    problems = []
    for kind, groups, text in (
        ("uncovered_shift", short, _("%(n)d shifts short of staff (%(times)s)")),
        ("no_show", absent, _("%(n)d shifts nobody checked in to (%(times)s)")),
    ):
        for (code, name, person), rows in groups.items():
            times = "、".join(timezone.localtime(at).strftime("%H:%M") for _pk, at, _n in rows)
            problems.append(
                {
                    "kind": kind,
                    "where": name,
                    "where_code": code,
                    "who": person,
                    "what": text % {"n": len(rows), "times": times},
                    "count": len(rows),
                    "link": f"/roster/shift/{rows[0][0]}/",
                }
            )
    return problems


def _overdue_requests(jurisdiction: Jurisdiction, moment: datetime) -> list[dict]:
    """Open service requests past the time needed, per village, with their teams/volunteers."""
    rows = (
        ServiceRequest.objects.within(jurisdiction.code)
        .overdue(moment)
        .values_list(
            "external_id", "jurisdiction_id", "jurisdiction__name", "team__name", "volunteer__name"
        )
        .order_by("jurisdiction_id", "needed_by", "pk")
    )
    groups: dict[str, dict] = {}
    for external_id, code, name, team, volunteer in rows:
        group = groups.setdefault(
            code, {"name": name, "n": 0, "who": [], "link": f"/volunteers/requests/{external_id}/"}
        )
        group["n"] += 1
        if group["n"] > 1:
            group["link"] = "/volunteers/requests/"
        for who in (team, volunteer):
            if who and who not in group["who"]:
                group["who"].append(who)
    return [
        {
            "kind": "overdue_request",
            "where": g["name"],
            "where_code": code,
            "who": "、".join(g["who"]),
            "what": ngettext(
                "%(n)d service request past the time needed",
                "%(n)d service requests past the time needed",
                g["n"],
            )
            % {"n": g["n"]},
            "count": g["n"],
            "link": g["link"],
        }
        for code, g in groups.items()
    ]


def _overdue_verifications(jurisdiction: Jurisdiction, moment: datetime) -> list[dict]:
    """Pushed people not verified by their list's deadline, as of `moment`, per village and list."""
    tasks = (
        VerificationTask.objects.within(jurisdiction.code)
        .filter(push_list__deadline_at__lt=moment, push_list__received_at__lt=moment)
        .exclude(verified_at__lt=moment, result__gt="")
        .values_list(
            "entry__jurisdiction_id",
            "push_list__external_id",
            "push_list__name",
            "push_list__deadline_at",
            "entry__responsible_cadre__full_name",
            "entry__responsible_cadre__username",
        )
        .order_by("entry__jurisdiction_id", "push_list__deadline_at")
    )
    tasks = list(tasks)
    names = _village_names(task[0] for task in tasks)
    groups: dict[tuple, dict] = {}
    for code, list_id, list_name, deadline, full_name, username in tasks:
        code = _village_code(code)
        group = groups.setdefault(
            (code, list_id),
            {"name": names[code], "list": list_name, "deadline": deadline, "n": 0, "who": []},
        )
        group["n"] += 1
        cadre = full_name or username
        if cadre and cadre not in group["who"]:
            group["who"].append(cadre)
    return [
        {
            "kind": "overdue_verification",
            "where": g["name"],
            "where_code": code,
            "who": "、".join(g["who"]),
            "what": ngettext(
                "%(n)d person on %(list)s not verified, deadline %(deadline)s",
                "%(n)d people on %(list)s not verified, deadline %(deadline)s",
                g["n"],
            )
            % {
                "n": g["n"],
                "list": g["list"],
                "deadline": timezone.localtime(g["deadline"]).strftime("%m-%d %H:%M"),
            },
            "count": g["n"],
            "link": f"/ledger/push-lists/{list_id}/",
        }
        for (code, list_id), g in groups.items()
    ]


def _releases_tomorrow(jurisdiction: Jurisdiction, day: date) -> list[dict]:
    orders = (
        QuarantineOrder.objects.within(jurisdiction.code)
        .filter(status__in=RUNNING, planned_end_date=day + timedelta(days=1))
        .values_list(
            "external_id",
            "person__name",
            "jurisdiction__name",
            "kind",
            "start_date",
            "planned_end_date",
        )
        .order_by("jurisdiction_id", "start_date", "pk")
    )
    return [
        {
            "name": mask_name(name),
            "where": where,
            "kind": kind,
            "start_date": start.isoformat(),
            "due": due.isoformat(),
            "link": order_path(external_id),
        }
        for external_id, name, where, kind, start, due in orders
    ]


def _corrections(jurisdiction: Jurisdiction, day: date) -> list[dict]:
    """Figures of the previous published briefing whose value for its day has changed since."""
    previous = (
        Briefing.objects.filter(
            jurisdiction=jurisdiction, status=BriefingStatus.PUBLISHED, day__lt=day
        )
        .order_by("-day")
        .first()
    )
    if previous is None:
        return []
    published = {f["key"]: f["value"] for f in previous.content.get("figures", [])}
    now = selectors.figures_for(jurisdiction, previous.day)
    return [
        {"day": previous.day.isoformat(), "key": key, "published": value, "now": now.value(key)}
        for key, value in published.items()
        if key in now.values and now.value(key) != value
    ]
