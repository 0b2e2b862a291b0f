"""The daily briefing's content (Briefing.content): built once from the rollups and the few
raw rows a problem list needs, in the default language, then stored (frozen once published).
The schema is the one `documents.py` and the briefing pages render."""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.command import selectors
from fangyi.command.figures import TREND_CHARTS, FigureKind
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
TREND_KEYS = tuple(key for chart in TREND_CHARTS for key in chart.keys)


def build_content(jurisdiction: Jurisdiction, day: date, now: datetime) -> dict:
    """Everything the briefing of `jurisdiction` for `day` shows, as JSON-ready values."""
    with translation.override(settings.LANGUAGE_CODE):
        figures = selectors.figures_for(jurisdiction, day)
        measured_on = selectors.snapshot_day(day)
        measured_before = selectors.snapshot_day(day - timedelta(days=1))
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
                _figure_row(v, measured_on, measured_before) for v in figures.values.values()
            ],
            "snapshot_day": measured_on.isoformat() if measured_on else None,
            "children": [
                {
                    "code": row.jurisdiction.code if row.jurisdiction else None,
                    "name": row.jurisdiction.name if row.jurisdiction else jurisdiction.name,
                    "values": row.values,
                    "totals": row.totals,
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


def _figure_row(
    value: selectors.FigureValue, measured_on: date | None, measured_before: date | None
) -> dict:
    """A snapshot figure is `measured` only if a rollup pass stands for the day (else its 0
    is no count at all), and has a change only if one stands for the day before too; content
    stored before these fields counts as measured."""
    row = {"key": value.key, "value": value.value, "previous": value.previous, "total": value.total}
    if value.figure.kind == FigureKind.SNAPSHOT:
        row["measured"] = measured_on is not None
        row["previous_measured"] = measured_before is not None
    return row


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
    return [
        _problem(
            "low_stock",
            jurisdiction.name,
            jurisdiction.code,
            "",
            _("%(item)s: %(on_hand)s %(unit)s left, under the warning level")
            % {"item": line.item, "on_hand": line.on_hand, "unit": line.item.get_unit_display()},
            1,
            "/supplies/",
        )
        for line in stock
        if line.low
    ]


def _problem(
    kind: str, where: str, where_code: str, who: str, what: str, count: int, link: str
) -> dict:
    return {
        "kind": kind,
        "where": where,
        "where_code": where_code,
        "who": who,
        "what": what,
        "count": count,
        "link": link,
    }


T = TypeVar("T")


@dataclass
class _Group:
    """The rows of one problem at one place: the rows, their total count and who is
    responsible (each once, in the rows' order)."""

    name: str
    rows: list = field(default_factory=list)
    count: int = 0
    who: list[str] = field(default_factory=list)

    def link(self, one: str, many: str) -> str:
        """The row's own page if there is one row, else the list page."""
        return one if len(self.rows) == 1 else many


def _grouped(
    rows: Iterable[T],
    key: Callable[[T], Hashable],
    name: Callable[[T], str],
    who: Callable[[T], Iterable[str]],
    count: Callable[[T], int] = lambda row: 1,
) -> dict[Hashable, _Group]:
    """`rows` gathered by `key`, in the order of their first row."""
    groups: dict[Hashable, _Group] = {}
    for row in rows:
        group_key = key(row)
        group = groups.get(group_key)
        if group is None:
            group = groups[group_key] = _Group(name(row))
        group.rows.append(row)
        group.count += count(row)
        for person in who(row):
            if person and person not in group.who:
                group.who.append(person)
    return groups


def _missed_checks(jurisdiction: Jurisdiction, moment: datetime) -> list[dict]:
    """Running orders with missed checks, per village, with the orders' current teams."""
    rows = missed_checks(None, moment, within=jurisdiction.code)
    names = _village_names(row.village_code for row in rows)
    groups = _grouped(
        rows,
        key=lambda row: _village_code(row.village_code),
        name=lambda row: names[_village_code(row.village_code)],
        who=lambda row: row.team,
        count=lambda row: row.missed,
    )
    return [
        _problem(
            "missed_check",
            group.name,
            code,
            "、".join(group.who),
            ngettext(
                "%(n)d missed check of %(people)d person under observation",
                "%(n)d missed checks of %(people)d people under observation",
                group.count,
            )
            % {"n": group.count, "people": len(group.rows)},
            group.count,
            group.link(group.rows[0].link, "/quarantine/"),
        )
        for code, group in sorted(groups.items())
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
    shifts = list(
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
    problems = []
    for kind, rows, text in (
        (
            "uncovered_shift",
            [s for s in shifts if s[3] < s[2]],
            _("%(n)d shifts short of staff (%(times)s)"),
        ),
        (
            "no_show",
            [s for s in shifts if not s[4] and s[1] <= late],
            _("%(n)d shifts nobody checked in to (%(times)s)"),
        ),
    ):
        groups = _grouped(
            rows, key=lambda s: (s[6], s[5], s[7]), name=lambda s: s[5], who=lambda s: [s[7]]
        )
        for (code, name, person), group in groups.items():
            times = "、".join(timezone.localtime(s[1]).strftime("%H:%M") for s in group.rows)
            problems.append(
                _problem(
                    kind,
                    name,
                    code,
                    person,
                    text % {"n": len(group.rows), "times": times},
                    len(group.rows),
                    f"/roster/shift/{group.rows[0][0]}/",
                )
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
    groups = _grouped(rows, key=lambda r: r[1], name=lambda r: r[2], who=lambda r: (r[3], r[4]))
    return [
        _problem(
            "overdue_request",
            group.name,
            code,
            "、".join(group.who),
            ngettext(
                "%(n)d service request past the time needed",
                "%(n)d service requests past the time needed",
                group.count,
            )
            % {"n": group.count},
            group.count,
            group.link(f"/volunteers/requests/{group.rows[0][0]}/", "/volunteers/requests/"),
        )
        for code, group in groups.items()
    ]


def _overdue_verifications(jurisdiction: Jurisdiction, moment: datetime) -> list[dict]:
    """Pushed people not verified by their list's deadline, as of `moment`, per village: one
    row however many lists are late there (a county has thousands of village × list pairs)."""
    tasks = list(
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
    names = _village_names(task[0] for task in tasks)
    groups = _grouped(
        tasks,
        key=lambda t: _village_code(t[0]),
        name=lambda t: names[_village_code(t[0])],
        who=lambda t: [t[4] or t[5]],
    )
    problems = []
    for code, group in groups.items():
        _code, first_list, list_name, deadline, *_cadre = group.rows[0]  # the earliest deadline
        lists = len({row[1] for row in group.rows})
        values = {
            "n": group.count,
            "list": list_name,
            "lists": lists,
            "deadline": timezone.localtime(deadline).strftime("%m-%d %H:%M"),
        }
        if lists == 1:
            what = ngettext(
                "%(n)d person on %(list)s not verified, deadline %(deadline)s",
                "%(n)d people on %(list)s not verified, deadline %(deadline)s",
                group.count,
            )
            link = f"/ledger/push-lists/{first_list}/"
        else:
            what = _(
                "%(n)d people on %(lists)d lists not verified, the earliest deadline %(deadline)s"
            )
            link = "/ledger/tasks/"
        problems.append(
            _problem(
                "overdue_verification",
                group.name,
                code,
                "、".join(group.who),
                what % values,
                group.count,
                link,
            )
        )
    return problems


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
    published = {
        f["key"]: f["value"]
        for f in previous.content.get("figures", [])
        if f.get("measured", True)  # an unmeasured snapshot was published as "—"
    }
    now = selectors.figures_for(jurisdiction, previous.day)
    return [
        {"day": previous.day.isoformat(), "key": key, "published": value, "now": now.value(key)}
        for key, value in published.items()
        if key in now.values and now.value(key) != value
    ]
