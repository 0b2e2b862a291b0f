"""The volunteers part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

Every village has a volunteer team (志愿服务队) of its own residents, 东湾村 also a party
members' team (党员先锋队), each with a leader; the demo account `volunteer` (郑小雨) leads
东湾村's. The leaders of 青山镇's other villages have accounts too (volunteer2 … volunteer6, the
demo password) so they can take tasks on their phones. For the last week the village cadres
raised requests for the families under home quarantine (the quarantine demo's running orders)
and for elderly residents living alone and the care home: groceries, medicine, rubbish, an
escort, a talk; the volunteers accepted and delivered them (a note, hours served, one photo) and
the families confirmed, by phone to the cadre or on their own link. Today some are new, some
dispatched or accepted, some delivered and waiting for the family's word, one was cancelled,
one was raised by a family through its self-report link, and one is overdue: the sweep raised
its alert.

The services run at the time of the run; the demo then dates each request back to its day
(`_date_back`: the request's times and its events'). Drawn from the step's own
`random.Random`, relative to the local date of the run.
"""

import random
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.models import Alert, Jurisdiction, Person, User
from fangyi.core.roles import Role
from fangyi.core.services import create_user
from fangyi.quarantine.models import QuarantineKind, QuarantineOrder
from fangyi.volunteers import services
from fangyi.volunteers.models import (
    Availability,
    RequesterKind,
    RequestEvent,
    RequestStatus,
    ServiceKind,
    ServiceRequest,
    Skill,
    Volunteer,
    VolunteerTeam,
)

ACCOUNT = "volunteer"  # the demo account (core demo), leader of 东湾村's team
LEADER_ACCOUNT = "volunteer{n}"  # the other villages' leaders of 青山镇: volunteer2 …
VOLUNTEER_PHONE = "13955612020"
PER_RESIDENTS = 60  # one volunteer for so many residents (at least 4 a village)
HISTORY_DAYS = 7
CARE_HOME = ("青山镇敬老院", "青山镇南塘村敬老院（青山路12号）", 2)  # name, address, village index

_DETAILS = {
    ServiceKind.GROCERIES: (
        "大米10斤、青菜两把、鸡蛋一板",
        "挂面两包、酱油一瓶、猪肉一斤",
        "牛奶一箱、面包、苹果2斤",
        "食用油一桶、盐一包、土豆3斤",
        "孩子的奶粉一罐（飞鹤3段）",
    ),
    ServiceKind.MEDICINE: (
        "降压药硝苯地平缓释片一盒，去镇卫生院代取",
        "二甲双胍一盒（糖尿病常用药）",
        "布洛芬一盒、创可贴（本人无发热）",
        "胰岛素笔芯两支，凭处方到县医院药房取",
    ),
    ServiceKind.RUBBISH: ("生活垃圾两袋放在门口，请消毒后清运", "厨余垃圾一袋，已扎紧袋口"),
    ServiceKind.COUNSELLING: ("一个人隔离心里发慌，想找人聊聊", "老人担心在外地的孙子，情绪低落"),
    ServiceKind.ESCORT: ("孕检，需陪同去县医院（已报备）", "复诊取药，需车送到镇卫生院"),
    ServiceKind.OTHER: ("手机话费充值50元", "给孩子送网课用的作业本和打印的试卷"),
}
_KINDS = (
    (ServiceKind.GROCERIES, 45),
    (ServiceKind.MEDICINE, 20),
    (ServiceKind.RUBBISH, 15),
    (ServiceKind.COUNSELLING, 5),
    (ServiceKind.ESCORT, 5),
    (ServiceKind.OTHER, 10),
)
_ELDERLY_KINDS = ((ServiceKind.GROCERIES, 50), (ServiceKind.MEDICINE, 40), (ServiceKind.OTHER, 10))
_NOTES = (
    "已放门口，电话告知家属取",
    "已送到，按要求无接触交接",
    "药已代取，发票一并放袋中",
    "垃圾已清运，门口已喷洒消毒",
    "已电话沟通半小时，情绪平稳",
    "东西齐了，找零放在袋子里",
)
CANCEL_REASON = "家属已托亲戚送到，不再需要"
_SKILL_SETS = (
    (Skill.ERRANDS,),
    (Skill.ERRANDS, Skill.DRIVING),
    (Skill.ERRANDS, Skill.DISINFECTION),
    (Skill.CHECKPOINT, Skill.PUBLICITY),
    (Skill.MEDICAL,),
    (Skill.COUNSELLING, Skill.ERRANDS),
    (Skill.DISINFECTION,),
    (Skill.DRIVING, Skill.CHECKPOINT),
)
_AVAILABILITY = (
    (Availability.ANY_TIME, 40),
    (Availability.DAYTIME, 30),
    (Availability.EVENINGS, 20),
    (Availability.WEEKENDS, 10),
)


@dataclass
class _Village:
    place: Jurisdiction
    cadre: Actor
    teams: list[VolunteerTeam]
    volunteers: list[Volunteer]
    leader: Volunteer | None  # the one with an account (None in 白水镇)


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _accounts(ctx: DemoContext, villages: list[Jurisdiction]) -> dict[str, User]:
    """{village code: the account of its team leader}: the demo `volunteer` for 东湾村, new
    ones for 青山镇's other villages. They share the demo accounts' password: the new accounts
    copy its hash (hashing the same password again costs half a second each)."""
    account = User.objects.filter(username=ACCOUNT).first()
    accounts = {}
    if account is not None and account.jurisdiction_id:
        accounts[account.jurisdiction_id] = account
    names = iter(("冯志远", "丁雪梅", "谢建国", "韩晓丽", "曾德福", "彭丽萍", "罗海涛", "邓春燕"))
    number = 2
    for village in villages:
        if not village.code.startswith(MAIN_TOWN_CODE) or village.code in accounts:
            continue
        user = create_user(
            LEADER_ACCOUNT.format(n=number),
            None,  # no password of its own: it takes the demo accounts' below
            role=Role.VOLUNTEER,
            jurisdiction=village,
            full_name=next(names, f"志愿者{number}"),
        )
        if account is not None:
            User.objects.filter(pk=user.pk).update(password=account.password)
        accounts[village.code] = user
        number += 1
    return accounts


def _residents_for(village: Jurisdiction, count: int, rng: random.Random) -> list[Person]:
    """Village residents of working age with a phone."""
    today = timezone.localdate()
    people = list(
        Person.objects.within(village.code)
        .filter(
            birth_date__gt=today.replace(year=today.year - 60),
            birth_date__lt=today.replace(year=today.year - 18),
        )
        .exclude(phone_cipher=None)
        .order_by("pk")[: count * 6]
    )
    return rng.sample(people, min(count, len(people)))


def _seed_teams(ctx: DemoContext, rng: random.Random) -> list[_Village]:
    places = Jurisdiction.objects.in_bulk([v.code for t in ctx.towns for v in t.villages])
    plans = [v for t in ctx.towns for v in t.villages]
    cadres = {
        u.jurisdiction_id: u
        for u in User.objects.filter(role=Role.VILLAGE_CADRE, jurisdiction_id__in=places).order_by(
            "-username"
        )
    }
    accounts = _accounts(ctx, [places[v.code] for v in plans])
    result = []
    for plan in plans:
        place = places[plan.code]
        cadre = Actor(user=cadres[plan.code], label="demo") if plan.code in cadres else ctx.actor
        names = [f"{place.name}志愿服务队"]
        if plan.code == MAIN_TOWN_CODE + "201":
            names.append(f"{place.name}党员先锋队")
        teams = [
            services.save_team(cadre, VolunteerTeam(name=name, jurisdiction=place))
            for name in names
        ]
        volunteers = []
        account = accounts.get(plan.code)
        leader = None
        if account is not None:
            phone = VOLUNTEER_PHONE if account.username == ACCOUNT else _phone(rng)
            leader = services.register_volunteer(
                cadre,
                name=account.full_name,
                phone=phone,
                jurisdiction=place,
                skills=[Skill.ERRANDS, Skill.DRIVING],
                availability=Availability.ANY_TIME,
                party_member=True,
                team=teams[0],
                user=account,
            )
            volunteers.append(leader)
        count = max(4, plan.residents // PER_RESIDENTS)
        for number, person in enumerate(_residents_for(place, count, rng)):
            volunteers.append(
                services.register_volunteer(
                    cadre,
                    name=person.name,
                    phone=person.phone,
                    jurisdiction=place,
                    skills=list(rng.choice(_SKILL_SETS)),
                    availability=_pick(rng, _AVAILABILITY),
                    party_member=rng.random() < 0.35 or (len(teams) > 1 and number % 2 == 0),
                    team=teams[number % len(teams)] if len(teams) > 1 else teams[0],
                )
            )
        for team in teams:
            members = [v for v in volunteers if v.team_id == team.pk]
            chosen = leader if leader is not None and leader.team_id == team.pk else None
            chosen = chosen or next((v for v in members if v.party_member), members[0])
            services.set_team_leader(cadre, team, chosen)
        result.append(_Village(place, cadre, teams, volunteers, leader))
        ctx.progress(_("volunteer teams"), len(result), len(plans))
    return result


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10):d}{rng.randrange(10**8):08d}"


# Requests -------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One request and how far it gets: the times of each step (None: not reached)."""

    village: _Village
    raised: datetime
    kind: str
    details: str
    needed_by: datetime
    order: QuarantineOrder | None = None
    requester_kind: str = RequesterKind.QUARANTINE
    household: str = ""
    address: str = ""
    phone: str = ""
    to: Volunteer | None = None  # dispatched to (with their team); None: to the team only
    dispatched: datetime | None = None
    accepted: datetime | None = None
    done: datetime | None = None
    confirmed: datetime | None = None
    by_household: bool = False  # confirmed on the family's own link
    cancelled: datetime | None = None
    photo: bool = False


def _plans(rng: random.Random, villages: list[_Village], now: datetime) -> list[_Plan]:
    today = timezone.localdate(now)
    by_code = {v.place.code: v for v in villages}
    orders = list(
        QuarantineOrder.objects.within(MAIN_TOWN_CODE)
        .running()
        .filter(kind__in=[QuarantineKind.HOME_QUARANTINE, QuarantineKind.HOME_MONITORING])
        .select_related("person")
        .order_by("pk")
    )
    plans: list[_Plan] = []
    for order in orders:
        village = by_code.get(order.jurisdiction_id[:12])
        if village is None:
            continue
        first = max(order.start_date, today - timedelta(days=HISTORY_DAYS))
        days = (today - first).days
        for _n in range(rng.choice((1, 1, 2, 2, 3))):
            ago = rng.randint(0, days)
            kind = _pick(rng, _KINDS)
            plans.append(
                _Plan(
                    village,
                    _at(now, ago, rng.randint(8, 19), rng.randrange(60)),
                    kind,
                    rng.choice(_DETAILS[kind]),
                    now,  # set below
                    order=order,
                )
            )
    for village in villages:
        if not village.place.code.startswith(MAIN_TOWN_CODE) and rng.random() < 0.5:
            continue
        for person in _elderly(village.place, rng):
            for _n in range(rng.choice((1, 2))):
                kind = _pick(rng, _ELDERLY_KINDS)
                plans.append(
                    _Plan(
                        village,
                        _at(
                            now, rng.randint(0, HISTORY_DAYS), rng.randint(8, 17), rng.randrange(60)
                        ),
                        kind,
                        rng.choice(_DETAILS[kind]),
                        now,
                        requester_kind=RequesterKind.ELDERLY,
                        household=person.name,
                        address=person.current_address,
                        phone=person.phone,
                    )
                )
    name, address, index = CARE_HOME
    home = [v for v in villages if v.place.code.startswith(MAIN_TOWN_CODE)]
    if index < len(home):
        for ago in (5, 2, 0):
            plans.append(
                _Plan(
                    home[index],
                    _at(now, ago, 9, 30),
                    ServiceKind.MEDICINE if ago else ServiceKind.GROCERIES,
                    "老人的降压药和尿不湿两包" if ago else "敬老院一周的蔬菜和鸡蛋",
                    now,
                    requester_kind=RequesterKind.CARE_HOME,
                    household=name,
                    address=address,
                    phone="13856125377",  # the care home keeper's mobile
                )
            )
    plans = [p for p in plans if p.raised < now - timedelta(minutes=30)]
    plans.sort(key=lambda p: (p.raised, p.household, p.order.pk if p.order else 0))
    for plan in plans:
        _progress(rng, plan, now)
    _overdue(plans, now)
    _open_tasks_of_the_account(plans, now)
    return plans


def _elderly(village: Jurisdiction, rng: random.Random) -> list[Person]:
    today = timezone.localdate()
    old = list(
        Person.objects.within(village.code)
        .filter(birth_date__lt=today.replace(year=today.year - 78))
        .order_by("pk")[:20]
    )
    return rng.sample(old, min(len(old), 2))


def _at(now: datetime, days_ago: int, hour: int, minute: int) -> datetime:
    day = timezone.localdate(now) - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _progress(rng: random.Random, plan: _Plan, now: datetime) -> None:
    """How far the request got by now: the older, the further. Only a volunteer with an account
    takes a task on the phone (the village leaders), so an older request went to the leader or
    to the leader's team; one raised within the hour may wait for one of the others. A request
    still open is needed later than now (the overdue one is chosen afterwards)."""
    age = now - plan.raised
    plan.needed_by = plan.raised + timedelta(hours=rng.choice((2, 3, 4, 6)))
    if plan.kind == ServiceKind.ESCORT:
        plan.needed_by = plan.raised + timedelta(hours=20)
    leader = plan.village.leader
    if leader is None:  # 白水镇 has just begun: its requests are this morning's
        plan.raised = min(plan.raised, now - timedelta(minutes=rng.randint(30, 150)))
        plan.raised = max(plan.raised, now - timedelta(hours=3))
        age = now - plan.raised
    dispatched = plan.raised + timedelta(minutes=rng.randint(8, 30))
    if leader is None or age < timedelta(hours=1):
        if dispatched < now and rng.random() < 0.7:
            plan.dispatched = dispatched
            others = [v for v in plan.village.volunteers if v.user_id is None]
            plan.to = rng.choice(others) if others and rng.random() < 0.5 else None
        plan.needed_by = max(plan.needed_by, now + timedelta(hours=2))
        return
    plan.dispatched = dispatched
    plan.to = leader if rng.random() < 0.6 else None  # None: to the team, the leader takes it
    plan.accepted = plan.dispatched + timedelta(minutes=rng.randint(5, 25))
    done = plan.accepted + timedelta(minutes=rng.randint(40, 150))
    if done >= now - timedelta(minutes=10):
        plan.needed_by = max(plan.needed_by, now + timedelta(hours=1))
        return
    plan.done = done
    plan.photo = plan.kind == ServiceKind.GROCERIES and rng.random() < 0.15
    confirmed = plan.done + timedelta(minutes=rng.randint(20, 240))
    if confirmed >= now or (age < timedelta(days=1) and rng.random() < 0.5):
        return
    plan.confirmed = confirmed
    plan.by_household = plan.order is not None and rng.random() < 0.5


def _overdue(plans: list[_Plan], now: datetime) -> None:
    """Of 青山镇's requests still waiting for someone, the earliest is past its time; one
    older request was cancelled before anyone took it."""
    main = [
        p for p in plans if p.village.place.code.startswith(MAIN_TOWN_CODE) and p.cancelled is None
    ]
    # Late in the evening every request of the day may have been taken: then the latest one
    # is the one nobody took.
    waiting = [p for p in main if p.accepted is None] or main[-1:]
    waiting.sort(key=lambda p: p.raised)
    if waiting:
        late = waiting[0]
        late.accepted = late.done = late.confirmed = None
        late.photo = late.by_household = False
        late.raised = min(late.raised, now - timedelta(hours=4))
        late.needed_by = late.raised + timedelta(hours=2, minutes=30)
        late.dispatched = late.raised + timedelta(minutes=10)
        late.to = None
    older = [p for p in plans if p.accepted and p.raised < now - timedelta(days=1)]
    if older:
        gone = older[len(older) // 2]
        gone.accepted = gone.done = gone.confirmed = None
        gone.photo = gone.by_household = False
        gone.cancelled = gone.raised + timedelta(hours=1)


def _open_tasks_of_the_account(plans: list[_Plan], now: datetime) -> None:
    """The demo volunteer's "my tasks" holds one accepted task on its way and one new task
    given to them: the two latest of their village, raised this morning."""
    mine = [
        p
        for p in plans
        if p.village.leader is not None
        and p.village.leader.user.username == ACCOUNT
        and p.cancelled is None
        and not (p.accepted is None and p.needed_by < now)  # not the overdue one
    ]
    for number, plan in enumerate(reversed(mine[-2:])):
        plan.raised = now - timedelta(minutes=50 + 40 * number)
        plan.to = plan.village.leader
        plan.dispatched = plan.raised + timedelta(minutes=10)
        plan.accepted = plan.dispatched + timedelta(minutes=15) if number else None
        plan.done = plan.confirmed = None
        plan.photo = plan.by_household = False
        plan.needed_by = now + timedelta(hours=2 + number)


_PNG = (  # a 1×1 grey picture: the delivery photo of the demo
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    + len(zlib.compress(b"\x00\x80")).to_bytes(4, "big")
    + b"IDAT"
    + zlib.compress(b"\x00\x80")
    + zlib.crc32(b"IDAT" + zlib.compress(b"\x00\x80")).to_bytes(4, "big")
    + b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _run(ctx: DemoContext, rng: random.Random, plans: list[_Plan], now: datetime) -> int:
    for number, plan in enumerate(plans, start=1):
        cadre = plan.village.cadre
        request = services.create_request(
            cadre,
            jurisdiction=plan.village.place,
            kind=plan.kind,
            details=plan.details,
            needed_by=now + timedelta(hours=6),  # dated back below
            household_name=plan.household,
            address=plan.address,
            phone=plan.phone,
            requester_kind=plan.requester_kind,
            order=plan.order,
            client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        if plan.dispatched:
            team = plan.to.team if plan.to else plan.village.teams[0]
            services.dispatch_request(cadre, request, volunteer=plan.to, team=team)
        if plan.accepted:
            volunteer = Actor(user=plan.village.leader.user, label="demo")
            services.accept_request(volunteer, request)
            if plan.done:
                photo = services.Photo(_PNG, "IMG_0001.png") if plan.photo else None
                services.complete_request(
                    volunteer,
                    request,
                    note=rng.choice(_NOTES),
                    photo=photo,
                    hours=Decimal(rng.choice((5, 10, 10, 15, 20))) / 10,
                )
            if plan.confirmed and plan.by_household:
                services.confirm_from_household(plan.order.self_report_token, request.external_id)
            elif plan.confirmed:
                services.confirm_request(cadre, request)
        if plan.cancelled:
            services.cancel_request(cadre, request, CANCEL_REASON)
        _date_back(request, plan)
        if number % 20 == 0 or number == len(plans):
            ctx.progress(_("service requests"), number, len(plans))
    return len(plans)


def _date_back(request: ServiceRequest, plan: _Plan) -> None:
    """Give the request and its events the times of the plan."""
    fields = {"created_at": plan.raised, "needed_by": plan.needed_by}
    times = {RequestStatus.NEW: plan.raised}
    if plan.accepted:
        fields["accepted_at"] = times[RequestStatus.ACCEPTED] = plan.accepted
    if plan.done:
        fields["done_at"] = times[RequestStatus.DONE] = plan.done
    if plan.confirmed:
        fields["confirmed_at"] = times[RequestStatus.CONFIRMED] = plan.confirmed
    if plan.cancelled:
        times[RequestStatus.CANCELLED] = plan.cancelled
    last = max(times.values())
    ServiceRequest.objects.filter(pk=request.pk).update(updated_at=last, **fields)
    for event in request.events.order_by("pk"):
        at = times.get(event.status, plan.raised)
        if (
            event.status in (RequestStatus.NEW, RequestStatus.ACCEPTED)
            and event.note
            and plan.dispatched
        ):
            at = plan.dispatched  # "dispatched to …"
        RequestEvent.objects.filter(pk=event.pk).update(at=at)


def _from_household(rng: random.Random, villages: list[_Village], now: datetime) -> int:
    """A family asks through its self-report link this morning (still new: their village's team
    sees it)."""
    by_code = {v.place.code: v for v in villages}
    for order in (
        QuarantineOrder.objects.within(MAIN_TOWN_CODE)
        .running()
        .filter(kind=QuarantineKind.HOME_QUARANTINE)
        .exclude(self_report_cipher=None)
        .order_by("-start_date", "pk")
    ):
        if order.jurisdiction_id[:12] not in by_code:
            continue
        request = services.request_from_household(
            order.self_report_token,
            kind=ServiceKind.GROCERIES,
            details="家里菜吃完了：青菜、豆腐、鸡蛋，再要一包尿不湿（宝宝用，L码）",
            needed_by=now + timedelta(hours=3),
            client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        raised = now - timedelta(minutes=40)
        ServiceRequest.objects.filter(pk=request.pk).update(created_at=raised)
        request.events.update(at=raised)
        return 1
    return 0


def seed_volunteers(ctx: DemoContext) -> None:
    rng = ctx.rng("volunteers")
    # The week's requests are placed relative to the start of this hour, so seeding twice within
    # the hour gives the same states (a request is not "accepted" in one run and "new" in the
    # next because a few seconds passed).
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    villages = _seed_teams(ctx, rng)
    plans = _plans(rng, villages, now)
    ctx.counts["service_requests"] = _run(ctx, rng, plans, now) + _from_household(
        rng, villages, now
    )
    ctx.counts["volunteers"] = sum(len(v.volunteers) for v in villages)
    ctx.counts["volunteer_teams"] = sum(len(v.teams) for v in villages)
    ctx.counts["service_overdue_alerts"] = services.sweep_overdue_requests(now=now)


def reset_volunteers() -> int:
    """The demo county's requests (with their events, photos and alerts), volunteers, teams and
    the leaders' accounts."""
    requests = ServiceRequest.objects.within(COUNTY_CODE)
    links = [services.request_link(r) for r in requests.only("external_id")]
    deleted = Alert.objects.within(COUNTY_CODE).filter(link__in=links).delete()[0]
    for path in requests.exclude(delivery_photo="").values_list("delivery_photo", flat=True):
        (Path(settings.UPLOAD_DIR) / path).unlink(missing_ok=True)
    deleted += requests.delete()[0]
    teams = VolunteerTeam.objects.within(COUNTY_CODE)
    teams.update(leader=None)
    deleted += Volunteer.objects.within(COUNTY_CODE).delete()[0]
    deleted += teams.delete()[0]
    leaders = [LEADER_ACCOUNT.format(n=n) for n in range(2, 40)]
    deleted += User.objects.filter(username__in=leaders).delete()[0]
    return deleted


VOLUNTEERS_STEP = DemoStep("volunteers", seed_volunteers, reset_volunteers)


def register_demo_step() -> None:
    """Called from VolunteersConfig.ready(): seeded after the quarantine demo (whose running
    orders the requests are for), reset before it."""
    from fangyi.core import demo

    names = [step.name for step in demo.STEPS]
    if "quarantine" in names and VOLUNTEERS_STEP.name not in names:
        demo.STEPS.append(VOLUNTEERS_STEP)
