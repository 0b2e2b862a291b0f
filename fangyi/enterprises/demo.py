"""The enterprises part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

Two dozen enterprises of 青山镇 and 白水镇 (factories, building firms, shops, eateries, carriers,
co-operatives...), each with a valid unified social credit code, have filed to resume work in
the last two weeks, and their filings are in every state: drafts (one with a roster whose
broken ID numbers were reported row by row), submitted and waiting for the town (one inspected
already), forwarded to the county, approved, rejected with reasons (one company has started
again from its rejected filing), and reopened, with a daily temperature summary since (one day
with a fever). Each roster is a generated .xlsx imported through the roster import, so the
employees are screened like any: local residents under quarantine or on the screening ledger,
a fever in the health column, a return from a risk area are flagged. The demo account
`enterprise` (钱永新) speaks for 青山机械制造有限公司, approved yesterday with two employees
flagged.

The services run at the time of the run; the demo then dates each filing's steps back to their
days (`_Demo.date_back`) before the steps that check them (an inspection is not before the
submission, a reopening not before the approval). Drawn from the step's own `random.Random`.
"""

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.identity import compose_id_number
from fangyi.core.models import Alert, AlertKind, Jurisdiction, Person, User
from fangyi.enterprises import services
from fangyi.enterprises.credit_code import compose_credit_code
from fangyi.enterprises.models import (
    Enterprise,
    EnterpriseSize,
    Filing,
    FilingEvent,
    Industry,
)
from fangyi.enterprises.testing import roster_row, write_plan_file, write_roster_file
from fangyi.ledger.models import LedgerEntry
from fangyi.quarantine.models import QuarantineOrder

ACCOUNT = "enterprise"
ACCOUNT_COMPANY = "青山机械制造有限公司"
MAX_ROSTER = 160  # a large firm's roster is cut to this many rows (the demo stays quick)
SIGNERS = "张李王刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"

M, C, R, K, L, A, S = (
    Industry.MANUFACTURING,
    Industry.CONSTRUCTION,
    Industry.RETAIL,
    Industry.CATERING,
    Industry.LOGISTICS,
    Industry.AGRICULTURE,
    Industry.SERVICES,
)
MICRO, SMALL, MEDIUM, LARGE = (
    EnterpriseSize.MICRO,
    EnterpriseSize.SMALL,
    EnterpriseSize.MEDIUM,
    EnterpriseSize.LARGE,
)


@dataclass(frozen=True)
class Company:
    name: str
    place: int | None  # index of the town's village, None: the town itself
    industry: str
    size: str
    staff: int
    state: str  # the filing's state today, or "none" (registered, not filed yet)
    days_ago: int = 5  # when it submitted (drafts: when it started)
    reasons: str = ""  # a rejection's
    flagged: int = 0  # employees picked from the people under quarantine / on the ledger
    fever: bool = False  # a fever in the health column of one row / on a reopened day
    town: str = MAIN_TOWN_CODE


_REOPENED = "reopened"
COMPANIES = (
    Company(ACCOUNT_COMPANY, None, M, SMALL, 85, "approved", 2, flagged=2),
    Company("示范县宏达医疗器械有限公司", None, M, MEDIUM, 150, _REOPENED, 12, flagged=1),
    Company("示范县康宁药业有限公司", 2, M, LARGE, 320, _REOPENED, 13, fever=True),
    Company("青山电子科技有限公司", None, M, LARGE, 380, "forwarded", 5, flagged=2),
    Company("南塘纺织有限公司", 2, M, MEDIUM, 130, "forwarded", 3),
    Company("西岭建筑工程有限公司", 1, C, MEDIUM, 110, "approved", 8, flagged=1),
    Company("青山镇华联超市", None, R, SMALL, 28, _REOPENED, 10),
    Company("东湾村农副产品加工厂", 0, A, SMALL, 35, _REOPENED, 9, flagged=1),
    Company("北山物流有限公司", 3, L, SMALL, 45, "submitted", 2, flagged=1),
    Company("柳树村竹木制品厂", 4, M, SMALL, 22, "submitted", 1, fever=True),
    Company("桃源农家乐", 5, K, MICRO, 6, "inspected", 3),
    Company(
        "青山镇老张面馆",
        None,
        K,
        MICRO,
        4,
        "rejected",
        6,
        reasons="店内无消毒记录，无隔离观察场所；请补充消毒台账并指定临时隔离间后重新申报",
    ),
    Company(
        "北山石料厂",
        3,
        C,
        SMALL,
        30,
        "refiled",
        7,
        reasons="员工花名册缺少3人的身份证号；防控预案未明确专人负责，请补充后重新申报",
        flagged=1,
    ),
    Company("青山镇便民药店", None, R, MICRO, 5, _REOPENED, 11),
    Company("东湾村养殖专业合作社", 0, A, SMALL, 15, "approved", 6),
    Company("青山汽车维修服务部", None, S, MICRO, 8, "draft", 1),
    Company("青山镇快递服务站", None, L, MICRO, 9, "broken", 1),
    Company("青山镇家政服务中心", None, S, SMALL, 18, "submitted", 1),
    Company("桃源茶叶专业合作社", 5, A, SMALL, 25, "draft", 2),
    Company("青山印刷包装有限公司", None, M, SMALL, 70, "submitted", 4, flagged=1),
    Company("西岭村百货商店", 1, R, MICRO, 3, "none"),
    Company("青山镇金鑫五金店", None, R, MICRO, 4, "none"),
    Company("白水镇水泥预制件厂", 0, C, SMALL, 40, "submitted", 3, town="999901101"),
    Company("河口渔业合作社", 0, A, SMALL, 12, _REOPENED, 9, town="999901101"),
)
_STREETS = ("工业路", "青山路", "兴业大道", "建设路", "人民路", "东环路")
_CONTACTS = ("周经理", "吴厂长", "郑会计", "孙主任", "冯老板", "陈经理", "褚站长", "卫经理")
# Where employees come from who are not residents: area codes of the ID numbers and places.
_FROM_AFAR = (
    ("341502", "安徽省六安市"),
    ("410102", "河南省郑州市"),
    ("360102", "江西省南昌市"),
    ("511302", "四川省南充市"),
    ("420102", "湖北省武汉市"),
)
_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞芳娜敏静丽艳娟霞秀英玲桂兰萍红燕梅琴"


def _kind(company: Company) -> str:
    """The organisation kind of the credit code (registered by 市场监管, department 9): a
    farmers' co-operative, a sole trader (个体工商户), or an enterprise."""
    if "合作社" in company.name:
        return "3"
    if company.size == MICRO and company.industry in (R, K, S):
        return "2"
    return "1"


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


class _Demo:
    def __init__(self, ctx: DemoContext, folder: Path) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("enterprises")
        self.folder = folder
        self.started = timezone.now()
        self.today = timezone.localdate(self.started)
        users = {
            u.username: u
            for u in User.objects.filter(username__in=("cadre", "commander", "county", ACCOUNT))
        }
        self.clerk = self._actor(users, "cadre")  # files for the firms without an account
        self.reviewer = self._actor(users, "commander")
        self.county = self._actor(users, "county")
        self.account = users.get(ACCOUNT)
        self.places = Jurisdiction.objects.in_bulk(
            [t.code for t in ctx.towns] + [v.code for t in ctx.towns for v in t.villages]
        )
        self.villages = {t.code: [v.code for v in t.villages] for t in ctx.towns}
        self.codes = iter(range(31, 10**6, 7))
        self.used_people: set[int] = set()
        self._pools()

    def _actor(self, users: dict[str, User], name: str) -> Actor:
        user = users.get(name)
        return Actor(user=user, label="demo") if user else self.ctx.actor

    def _pools(self) -> None:
        """Who can be an employee: the people under quarantine and on the ledger (flagged),
        and the other working-age residents of the towns (not)."""
        running = QuarantineOrder.objects.running().within(COUNTY_CODE)
        self.quarantined = list(
            Person.objects.filter(pk__in=running.values("person_id")).order_by("pk")
        )
        on_ledger = LedgerEntry.objects.within(COUNTY_CODE).values("person_id")
        self.listed = list(
            Person.objects.filter(pk__in=on_ledger)
            .exclude(pk__in=running.values("person_id"))
            .order_by("pk")[:40]
        )
        born_after = self.today.replace(year=self.today.year - 58)
        born_before = self.today.replace(year=self.today.year - 18)
        self.residents = {
            town.code: list(
                Person.objects.within(town.code)
                .filter(birth_date__gt=born_after, birth_date__lt=born_before)
                .exclude(pk__in=on_ledger)
                .exclude(pk__in=running.values("person_id"))
                .exclude(phone_cipher=None)
                .order_by("pk")[:1200]
            )
            for town in self.ctx.towns
        }
        for people in self.residents.values():
            self.rng.shuffle(people)

    def date_back(
        self, filing: Filing, *, since: datetime, summary_day: date | None = None, **fields
    ) -> None:
        """Give the filing's latest step its time in the demo: the fields given, and the
        events written by the services since the last call (those at the time of the run)."""
        if fields:
            Filing.objects.filter(pk=filing.pk).update(**fields)
        FilingEvent.objects.filter(filing=filing, at__gte=self.started).update(at=since)
        if summary_day is not None:
            filing.enterprise.temperature_summaries.filter(day=summary_day).update(
                reported_at=since
            )

    # Steps

    def register(self, company: Company) -> Enterprise:
        town = self.places[company.town]
        place = (
            town
            if company.place is None
            else self.places[self.villages[company.town][company.place]]
        )
        contacts = [self.account] if company.name == ACCOUNT_COMPANY and self.account else []
        return services.register_enterprise(
            self.ctx.actor if company.town != MAIN_TOWN_CODE else self.clerk,
            name=company.name,
            credit_code=compose_credit_code("999901", next(self.codes), kind=_kind(company)),
            address=f"{place.name if place != town else town.name}{self.rng.choice(_STREETS)}"
            f"{self.rng.randint(1, 188)}号",
            jurisdiction=place,
            industry=company.industry,
            size=company.size,
            staff_count=company.staff,
            contact_name=self.account.full_name if contacts else self.rng.choice(_CONTACTS),
            contact_phone=f"139{self.rng.randrange(10**8):08d}",
            contacts=contacts,
        )

    def roster(self, company: Company, broken: bool = False) -> list[list[object]]:
        rows: list[list[object]] = []
        count = min(company.staff, MAX_ROSTER)
        flagged = []
        for _n in range(company.flagged):
            pool = self.quarantined if len(flagged) % 2 == 0 else self.listed
            person = next((p for p in pool if p.pk not in self.used_people), None)
            if person is not None:
                self.used_people.add(person.pk)
                flagged.append(person)
        for person in flagged:
            rows.append(
                roster_row(
                    person.name,
                    person.id_number,
                    person.phone,
                    person.current_address,
                    "本地",
                    "健康",
                )
            )
        locals_ = self.residents[company.town]
        afar = max(1, count // 5) if company.size != EnterpriseSize.MICRO else 0
        while len(rows) < count - afar and locals_:
            person = locals_.pop()
            rows.append(
                roster_row(
                    person.name,
                    person.id_number,
                    person.phone,
                    person.current_address,
                    "本地，未外出",
                    "健康",
                )
            )
        while len(rows) < count:
            area, place = self.rng.choice(
                _FROM_AFAR[:-1] if self.rng.random() < 0.95 else _FROM_AFAR[-1:]
            )
            born = date(
                self.rng.randint(1968, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28)
            )
            whereabouts = (
                f"{place}返回，已居家观察14天" if area == "420102" else f"{place}，春节返乡后返岗"
            )
            rows.append(
                roster_row(
                    self.rng.choice(SIGNERS) + self.rng.choice(_GIVEN) + self.rng.choice(_GIVEN),
                    compose_id_number(area, born, self.rng.randrange(1, 999)),
                    f"13{self.rng.randint(5, 9)}{self.rng.randrange(10**8):08d}",
                    f"{self.places[company.town].name}{self.rng.choice(_STREETS)}职工宿舍",
                    whereabouts,
                    "健康",
                )
            )
        if company.fever and len(rows) > 2:
            rows[-2][5] = "1月30日发热37.8℃，已到卫生院就诊"
        if broken:
            rows[1][1] = "34152219850230123"  # 17 digits
            rows[2][1] = str(rows[2][1])[:-1] + ("0" if str(rows[2][1])[-1] != "0" else "1")
        return rows

    def file(self, company: Company, enterprise: Enterprise, actor: Actor, rows) -> Filing:
        filing = services.start_filing(actor, enterprise)
        services.save_filing(
            actor,
            filing,
            planned_reopening=self.today + timedelta(days=self.rng.randint(1, 5)),
            commitment_signed_by=enterprise.contact_name,
            mask_days=self.rng.choice((2, 5, 7, 10, 14)),
            thermometer_days=self.rng.choice((7, 14, 30)),
            disinfectant_days=self.rng.choice((3, 7, 14)),
            isolation_rooms=services.required_isolation_rooms(filing) + self.rng.choice((0, 0, 1)),
        )
        if rows is None:
            return filing
        plan = write_plan_file(self.folder / f"{enterprise.pk}-预案.pdf")
        services.attach_plan(actor, filing, plan, f"{enterprise.name}疫情防控和应急预案.pdf")
        book = write_roster_file(
            self.folder / f"{enterprise.pk}.xlsx", rows, title=f"{enterprise.name}员工花名册"
        )
        services.import_employee_roster(actor, filing, book, f"{enterprise.name}员工花名册.xlsx")
        return filing

    def run(self, company: Company) -> Enterprise:
        enterprise = self.register(company)
        if company.state == "none":
            return enterprise
        actor = self.clerk if company.town == MAIN_TOWN_CODE else self.ctx.actor
        if company.name == ACCOUNT_COMPANY and self.account is not None:
            actor = Actor(user=self.account, label="demo")
        reviewer = self.reviewer if company.town == MAIN_TOWN_CODE else self.ctx.actor
        started = _local(
            self.today - timedelta(days=company.days_ago + 1), 16, self.rng.randrange(60)
        )
        if company.state == "draft":  # begun: the commitment and reserve, no plan nor roster
            filing = self.file(company, enterprise, actor, None)
        else:
            rows = self.roster(company, company.state == "broken")
            filing = self.file(company, enterprise, actor, rows)
        self.date_back(filing, created_at=started, since=started)
        if company.state in ("draft", "broken"):
            return enterprise
        submitted = _local(self.today - timedelta(days=company.days_ago), 9, self.rng.randrange(60))
        services.submit_filing(actor, filing)
        self.date_back(filing, submitted_at=submitted, since=submitted)
        if company.state == "submitted":
            return enterprise
        if company.size in (MEDIUM, LARGE):
            forwarded = submitted + timedelta(hours=5)
            services.forward_filing(reviewer, filing, note="规模以上企业，报县复工复产领导小组审核")
            self.date_back(filing, since=forwarded)
            if company.state == "forwarded":
                return enterprise
            decided = forwarded + timedelta(days=1, hours=2)
            services.approve_filing(self.county, filing, note="材料齐全，同意复工")
        else:
            inspected = (submitted + timedelta(days=1)).date()
            if inspected > self.today:
                inspected = self.today
            passed = company.state not in ("rejected",)
            services.record_inspection(
                reviewer,
                filing,
                inspected_on=inspected,
                inspectors="镇安监站、镇卫生院",
                findings="测温点、消毒记录、隔离间均已落实"
                if passed
                else "无消毒记录，未设隔离观察场所",
                passed=passed,
            )
            self.date_back(filing, since=_local(inspected, 10, 30))
            if company.state == "inspected":
                return enterprise
            decided = _local(inspected, 15, 10)
            if company.state in ("rejected", "refiled"):
                services.reject_filing(reviewer, filing, company.reasons)
                self.date_back(filing, decided_at=decided, since=decided)
                if company.state == "refiled":  # the company starts again from it
                    again = services.start_filing(actor, enterprise)
                    self.date_back(
                        again,
                        created_at=decided + timedelta(days=1),
                        since=decided + timedelta(days=1),
                    )
                return enterprise
            services.approve_filing(reviewer, filing, note="现场检查合格，同意复工")
        decided = min(decided, timezone.now() - timedelta(hours=1))
        self.date_back(filing, decided_at=decided, since=decided)
        if company.state == "approved":
            return enterprise
        reopened = timezone.localdate(decided) + timedelta(days=1)
        services.mark_reopened(actor, filing, on=reopened)
        self.date_back(filing, since=_local(reopened, 8))
        staff = filing.employee_count
        day = reopened
        while day < self.today:
            absent = self.rng.randint(0, max(1, staff // 20))
            fever = 1 if company.fever and day == self.today - timedelta(days=2) else 0
            services.report_temperatures(
                actor,
                enterprise,
                day=day,
                checked=staff - absent,
                fever=fever,
                absent=absent,
                note="1人体温37.6℃，已送镇卫生院发热门诊" if fever else "",
            )
            self.date_back(filing, since=_local(day, 9, 30), summary_day=day)
            day += timedelta(days=1)
        return enterprise


def seed_enterprises(ctx: DemoContext) -> None:
    with tempfile.TemporaryDirectory(prefix="fangyi-demo-") as folder:
        demo = _Demo(ctx, Path(folder))
        towns = {t.code for t in ctx.towns}
        companies = [c for c in COMPANIES if c.town in towns]
        for number, company in enumerate(companies, start=1):
            demo.run(company)
            ctx.progress(_("enterprises"), number, len(companies))
    ctx.counts["enterprises"] = len(companies)
    ctx.counts["enterprise_filings"] = Filing.objects.within(COUNTY_CODE).count()


def reset_enterprises() -> int:
    """The demo county's enterprises with their filings (employees, inspections, events,
    temperature summaries), the plan files, and the fever alerts their summaries raised."""
    enterprises = Enterprise.objects.within(COUNTY_CODE)
    names = list(enterprises.values_list("name", flat=True))
    deleted = 0
    if names:
        fevers = Q()
        for name in names:
            fevers |= Q(message__startswith=f"{name}:")
        deleted += (
            Alert.objects.within(COUNTY_CODE).filter(fevers, kind=AlertKind.FEVER).delete()[0]
        )
    filings = Filing.objects.filter(enterprise__in=enterprises)
    upload = Path(settings.UPLOAD_DIR).resolve()
    for path in filings.exclude(plan_file="").values_list("plan_file", flat=True):
        file = Path(path)
        if file.resolve().is_relative_to(upload):
            file.unlink(missing_ok=True)
    deleted += filings.delete()[0]
    deleted += enterprises.delete()[0]
    return deleted


ENTERPRISES_STEP = DemoStep("enterprises", seed_enterprises, reset_enterprises)


def register_demo_step() -> None:
    """Called from EnterprisesConfig.ready(): seeded after the quarantine demo (the rosters are
    screened against its orders), reset before it."""
    from fangyi.core import demo

    names = [step.name for step in demo.STEPS]
    if "quarantine" in names and ENTERPRISES_STEP.name not in names:
        demo.STEPS.append(ENTERPRISES_STEP)
