"""The release notice (解除隔离医学观察通知书): an A4 PDF handed to the person released, with
their MASKED ID number, the measure and its period, the checks and tests, the doctor who
signed the release off, and a box for the county CDC's seal.

Printed in the deployment's language (Chinese) whatever language the doctor reads the pages
in, with Debian's fonts-noto-cjk; WeasyPrint fetches nothing (no URL but data: is allowed).
Every download is written to the audit log (`export_release_notice`).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangyi.checkpoints.posters import FONT_FAMILY
from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction, Jurisdiction
from fangyi.quarantine.models import (
    CheckStatus,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    OrderStatus,
    QuarantineOrder,
)

# A chain (7 centralized + 3 home) is walked back at most this far: a safety stop, not a rule.
MAX_CHAIN = 10


@dataclass(frozen=True)
class PeriodLine:
    measure: str
    start: date
    end: date
    days: int
    place: str


@dataclass(frozen=True)
class NucleicAcidLine:
    day: int
    sampled: str
    result: str
    lab: str
    positive: bool


@dataclass(frozen=True)
class NoticeText:
    """Everything the notice prints, already in the notice's language."""

    number: str
    name: str
    sex: str
    id_number_masked: str
    place: str
    periods: list[PeriodLine]
    start: date
    release_day: date
    days: int
    checks_done: int
    checks_explained: int
    checks_total: int
    tests: list[NucleicAcidLine]
    doctor: str
    signed_at: datetime
    town: str
    county: str
    body: str
    cdc_line: str
    centre_line: str


def notice_problem(order: QuarantineOrder) -> str:
    """Why this order has no release notice ("" when it has one): only a released order's
    last period does (the centralized part of a 7 + 3 chain is "moved", its notice comes with
    the release of the part at home)."""
    if order.status != OrderStatus.RELEASED or order.ended_at is None:
        return _(
            "a release notice is printed only once the order is released (now: %(status)s)"
        ) % {"status": order.get_status_display()}
    return ""


def _chain(order: QuarantineOrder) -> list[QuarantineOrder]:
    """The order and the ones it continues, earliest first."""
    orders = [order]
    while orders[-1].previous_id and len(orders) < MAX_CHAIN:
        orders.append(
            QuarantineOrder.objects.select_related("site", "room").get(pk=orders[-1].previous_id)
        )
    return orders[::-1]


def _place(order: QuarantineOrder) -> str:
    if order.site_id:
        if order.room_id:
            return _("%(site)s, room %(room)s") % {
                "site": order.site.name,
                "room": order.room.number,
            }
        return order.site.name
    return order.address


def _end_day(order: QuarantineOrder) -> date:
    return timezone.localdate(order.ended_at) if order.ended_at else order.planned_end_date


def notice_number(order: QuarantineOrder) -> str:
    """ "999901100-20200214-000042": the town, the release day, the order; stable per order."""
    return f"{order.jurisdiction_id[:9]}-{_end_day(order):%Y%m%d}-{order.pk:06d}"


def notice_text(order: QuarantineOrder) -> NoticeText:
    """The notice's content in the deployment's language (a notice is a document handed over
    and filed, not a page)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _notice_text(order)


def _notice_text(order: QuarantineOrder) -> NoticeText:
    chain = _chain(order)
    person = order.person
    periods = [
        PeriodLine(
            measure=str(o.get_kind_display()),
            start=o.start_date,
            end=_end_day(o),
            days=(_end_day(o) - o.start_date).days,
            place=_place(o),
        )
        for o in chain
    ]
    start, release_day = chain[0].start_date, _end_day(order)
    days = (release_day - start).days
    ids = [o.pk for o in chain]
    statuses = list(
        FollowUp.objects.filter(order_id__in=ids)
        .exclude(status=CheckStatus.CANCELLED)
        .values_list("status", flat=True)
    )
    # A test's day counted over the whole period (day 1 of the 3 days at home is day 8).
    offset = {o.pk: (o.start_date - chain[0].start_date).days for o in chain}
    tests = [
        NucleicAcidLine(
            day=offset[t.order_id] + t.day,
            sampled=timezone.localtime(t.sampled_at).strftime("%Y-%m-%d") if t.sampled_at else "",
            result=str(t.get_result_display()),
            lab=t.lab,
            positive=t.result == NucleicAcidResult.POSITIVE,
        )
        for t in NucleicAcidTest.objects.filter(order_id__in=ids).order_by("order_id", "day")
    ]
    codes = {order.jurisdiction_id[:9], order.jurisdiction_id[:6]}
    names = dict(Jurisdiction.objects.filter(code__in=codes).values_list("code", "name"))
    town = names.get(order.jurisdiction_id[:9], "")
    county = names.get(order.jurisdiction_id[:6], "")
    doctor = order.ended_by
    measures = ""
    for measure in dict.fromkeys(p.measure for p in periods):
        measures = (
            _("%(before)s, then %(after)s") % {"before": measures, "after": measure}
            if measures
            else measure
        )
    return NoticeText(
        number=notice_number(order),
        name=person.name,
        sex=str(person.get_sex_display()) if person.sex else "",
        id_number_masked=person.id_number_masked,
        place=" / ".join(dict.fromkeys(p.place for p in periods if p.place)),
        periods=periods,
        start=start,
        release_day=release_day,
        days=days,
        checks_done=statuses.count(CheckStatus.DONE),
        checks_explained=statuses.count(CheckStatus.EXPLAINED),
        checks_total=len(statuses),
        tests=tests,
        doctor=(doctor.full_name or doctor.username) if doctor else "",
        signed_at=timezone.localtime(order.ended_at),
        town=town,
        county=county,
        body=_(
            "%(name)s: you have been under %(measures)s since %(start)s. The period of "
            "%(days)s days ended on %(end)s; the checks and the nucleic-acid tests meet the "
            "conditions for release, and you are released from quarantine and medical "
            "observation from %(end)s."
        )
        % {
            "name": person.name,
            "measures": measures,
            "start": _long_date(start),
            "days": days,
            "end": _long_date(release_day),
        },
        cdc_line=_("Issued by the %(county)s Center for Disease Control and Prevention.")
        % {"county": county},
        centre_line=_("The release is reported to the %(town)s health centre.") % {"town": town},
    )


def _long_date(day: date) -> str:
    return _("%(year)s-%(month)s-%(day)s") % {"year": day.year, "month": day.month, "day": day.day}


def release_notice_pdf(order: QuarantineOrder) -> bytes:
    """The notice of a released order as an A4 PDF (see notice_problem for which orders)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    problem = notice_problem(order)
    if problem:
        raise ValidationError({"order": problem})
    text = notice_text(order)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "quarantine/notice.html", {"text": text, "font_family": FONT_FAMILY}
        )
    # The notice needs nothing from anywhere: refuse every URL but an inline data: one.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def export_release_notice(actor: Actor, order: QuarantineOrder) -> bytes:
    """The notice for `actor`, written to the audit log (who printed whose notice, when, from
    where): a download of a person's document is an export."""
    if not actor.has_perm("quarantine.view_quarantineorder"):
        raise PermissionDenied(_("your role may not print release notices"))
    content = release_notice_pdf(order)
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="quarantine.quarantineorder",
        object_id=str(order.external_id),
        object_repr=_("release notice %(number)s: %(name)s %(id)s")
        % {
            "number": notice_number(order),
            "name": order.person.name,
            "id": order.person.id_number_masked,
        },
        jurisdiction_code=order.jurisdiction_id,
        changes={"document": "release notice", "identity": "masked"},
    )
    return content
