"""The roster's part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

Every checkpoint of both towns gets its demand: eight 3-hour shifts a day at town entrances
(three people on the main roads, two elsewhere, always a police officer and a cadre), at the
highway exit three people with a doctor at night (temperatures are taken there), two people at
village entrances with a village cadre, two at persuasion points with a cadre, and one
persuasion point on three 8-hour shifts for variety.

Each town then gets a staff pool sized from that demand: about 1.6 times the hours it needs
(so utilisation is about 60 %, and a week starting on any day solves with every shift covered),
never fewer people of a role at a checkpoint than rest rules require. Police, town cadres,
doctors and a few town volunteers are the town's (the solver posts them); each village's
cadres and volunteers are posted to their own village's entrances. About 5 % of the staff have
a day off in the coming weeks, 东湾村 works in three fixed groups (班组), and the demo accounts
(police, cadre, doctor, village, checkpoint, volunteer) are on the list, so "my shifts" shows
them something.

Last, 青山镇's roster for this week (Monday to Sunday) is solved as on the Sunday night before
(so the days gone by have their people too), published and followed: the last six hours'
shifts were checked in and out (the demo accounts' shifts all week), one
village-entrance shift nobody showed up for raised a no-show alert, and a volunteer asks to swap
a shift. Names and phones come from the step's own `random.Random`; the roster depends on the
day the demo is seeded (its week, its past shifts).
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.models import Jurisdiction, User
from fangyi.roster import services
from fangyi.roster.models import (
    Assignment,
    CheckpointDemand,
    DutyRole,
    Roster,
    Shift,
    StaffGroup,
    StaffMember,
)

# Staff hours offered per hour of demand (1 / utilisation), and the hours a person can give a
# week: the rest rules and two shifts a day hold a 3-hour-shift worker to 42 hours, whatever
# their own maximum (42–56).
MARGIN = 1.6
HOURS_A_WEEK = 42
MAX_HOURS = (42, 48, 48, 56)
AWAY_SHARE = 0.05  # staff with a day off in the coming weeks
AWAY_DAYS = 21
# The solve of this week's roster, per scale (the small one takes its whole limit).
# The demo week's solve: enough for a good roster; the test suite, which seeds the demo some
# thirty times, sets FANGYI_DEMO_SOLVE_SECONDS=1 (a roster covering everything all the same).
SOLVE_SECONDS = {"small": 5, "town": 15}
# Shifts ended this many hours ago or less were checked in and out (the demo accounts' all week).
CHECKED_IN_HOURS = {"small": 6, "town": 6}
GROUP_VILLAGE_INDEX = 0  # 东湾村 works in fixed groups
GROUPS = 3
SWAP_REASON = "家里老人要去县医院复查，需要陪同"
SWAP_TRIES = 8  # of the volunteer's shifts to come, until someone at the checkpoint may take one
MAIN_ROADS = 2  # the first town entrances of a town take three people

# The demo accounts on the duty list: (username, duty role, post: the first entrance of their
# village or None for the solver to post).
DEMO_STAFF = (
    ("police", DutyRole.POLICE),
    ("cadre", DutyRole.CADRE),
    ("doctor", DutyRole.DOCTOR),
    ("village", DutyRole.VILLAGE_CADRE),
    ("checkpoint", DutyRole.VOLUNTEER),
    ("volunteer", DutyRole.VOLUNTEER),
)
SWAP_USERNAME = "volunteer"
# Who does the town's work in the demo, as in the other steps: the county keeps both towns'
# demand and staff lists, 青山镇's commander runs its roster.
COUNTY_USERNAME = "county"
COMMANDER_USERNAME = "commander"

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程汪"
)
_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮俊峰建国文东林海龙志春永新金水山德成福生荣祥宏江"
_FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕梅琴云莲凤洁婷雪慧倩颖琳晶丹欣怡佳玉珍翠"
_MIDDLE = "小文晓建志海春秋德金玉国永思雨明少家俊立红"
_PHONE_PREFIXES = ("139", "138", "137", "136", "135", "158", "159", "150", "151", "152", "186")
_PHONE_PREFIXES += ("187", "188", "189", "180", "181", "177", "173", "133", "153", "199")
_AWAY_REASONS = ("病假", "家中有事", "外出培训", "陪护家人", "轮休")
_GROUP_NAMES = ("一班", "二班", "三班", "四班")


@dataclass(frozen=True)
class Pattern:
    shift_hours: int
    people: int
    minimums: dict[str, int]
    night: dict[str, int]
    first_shift_hour: int = 0

    @property
    def shifts_a_week(self) -> int:
        return 7 * 24 // self.shift_hours


def patterns(checkpoints: list[Checkpoint]) -> dict[int, Pattern]:
    """Each checkpoint's demand, by kind (see the module doc)."""
    found: dict[int, Pattern] = {}
    entrances: dict[str, int] = defaultdict(int)
    persuasion = [c for c in checkpoints if c.kind == CheckpointKind.PERSUASION_POINT]
    eight_hours = persuasion[-1].pk if len(persuasion) > 1 else None
    for checkpoint in checkpoints:
        kind = checkpoint.kind
        if kind == CheckpointKind.TOWN_ENTRANCE:
            town = checkpoint.jurisdiction_id[:9]
            people = 3 if entrances[town] < MAIN_ROADS else 2
            entrances[town] += 1
            pattern = Pattern(3, people, {DutyRole.POLICE: 1, DutyRole.CADRE: 1}, {})
        elif kind == CheckpointKind.HIGHWAY_EXIT:
            minimums = {DutyRole.POLICE: 1, DutyRole.CADRE: 1}
            pattern = Pattern(3, 3, minimums, {DutyRole.DOCTOR: 1})
        elif kind == CheckpointKind.PERSUASION_POINT:
            if checkpoint.pk == eight_hours:
                pattern = Pattern(8, 2, {DutyRole.CADRE: 1}, {}, first_shift_hour=8)
            else:
                pattern = Pattern(3, 2, {DutyRole.CADRE: 1}, {})
        elif kind == CheckpointKind.VILLAGE_ENTRANCE:
            pattern = Pattern(3, 2, {DutyRole.VILLAGE_CADRE: 1}, {})
        else:  # a compound gate: two people, anyone
            pattern = Pattern(3, 2, {}, {})
        found[checkpoint.pk] = pattern
    return found


def _heads(pattern: Pattern, role_minimum: int, min_rest_hours: int = 8) -> int:
    """People of a role a checkpoint needs whatever their hours: the shifts too close together
    for one person to work two of, plus one for days off (the solver's posting rule)."""
    in_window = math.ceil((pattern.shift_hours + min_rest_hours) / pattern.shift_hours)
    return role_minimum * in_window + 1


def _sized(hours: float) -> int:
    return math.ceil(MARGIN * hours / HOURS_A_WEEK)


def pool_plan(
    checkpoints: list[Checkpoint], demand: dict[int, Pattern]
) -> dict[str, dict[str, int]]:
    """How many staff of each role each place needs: {jurisdiction code: {duty role: n}}.
    Town-level roles are counted over the town's checkpoints; a village's cadres and volunteers
    per entrance (they are posted there)."""
    plan: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    town_hours: dict[str, float] = defaultdict(float)
    for checkpoint in checkpoints:
        pattern = demand[checkpoint.pk]
        week = pattern.shifts_a_week * pattern.shift_hours
        place = checkpoint.jurisdiction_id
        if len(place) == 9:
            town_hours[place] += pattern.people * week
            roles = dict(pattern.minimums)
            for role, n in pattern.night.items():
                roles[role] = max(roles.get(role, 0), n)
            for role, n in roles.items():
                night_share = 1 if role in pattern.minimums else _night_share(pattern)
                needed = max(_sized(n * week * night_share), _heads(pattern, n))
                plan[place][role] += needed
        else:
            per_post = _post_plan(pattern)
            for role, n in per_post.items():
                plan[place][role] += n
    for town, hours in town_hours.items():
        have = sum(plan[town].values())
        plan[town][DutyRole.VOLUNTEER] += max(0, _sized(hours) - have)
    return plan


def _night_share(pattern: Pattern) -> float:
    starts = range(pattern.first_shift_hour % pattern.shift_hours, 24, pattern.shift_hours)
    nights = [h for h in starts if not 6 <= (h + pattern.shift_hours / 2) % 24 < 22]
    return len(nights) / len(starts)


def _post_plan(pattern: Pattern) -> dict[str, int]:
    """Staff posted to one village entrance: enough of each minimum role, the rest volunteers."""
    week = pattern.shifts_a_week * pattern.shift_hours
    found: dict[str, int] = {}
    for role, n in pattern.minimums.items():
        found[role] = max(_sized(n * week), _heads(pattern, n))
    total = _sized(pattern.people * week)
    found[DutyRole.VOLUNTEER] = found.get(DutyRole.VOLUNTEER, 0) + max(
        0, total - sum(found.values())
    )
    return found


class _Names:
    """Synthetic names, unique within the demo, and phones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set()
        self.phones: set[str] = set()

    def name(self, given: str = "") -> str:
        """A new name, or `given` (an account's) kept as it is."""
        if given:
            self.names.add(given)
            return given
        rng = self.rng
        while True:
            male = rng.random() < 0.7
            chars = _MALE if male else _FEMALE
            given = (
                rng.choice(chars) if rng.random() < 0.3 else rng.choice(_MIDDLE) + rng.choice(chars)
            )
            name = rng.choice(_SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def phone(self) -> str:
        while True:
            phone = f"{self.rng.choice(_PHONE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone


def _demo_actor(ctx: DemoContext, username: str) -> Actor:
    """The demo account `username` acting (recorded by name), else the seeding's own actor."""
    user = User.objects.filter(username=username).first()
    return Actor(user=user, label="demo") if user else ctx.actor


def seed_roster(ctx: DemoContext) -> None:
    rng = ctx.rng("roster")
    actor = _demo_actor(ctx, COUNTY_USERNAME)
    checkpoints = list(
        Checkpoint.objects.within(COUNTY_CODE).select_related("jurisdiction").order_by("pk")
    )
    demand = patterns(checkpoints)
    for checkpoint in checkpoints:
        pattern = demand[checkpoint.pk]
        services.set_demand(
            actor,
            checkpoint,
            shift_hours=pattern.shift_hours,
            people_per_shift=pattern.people,
            first_shift_hour=pattern.first_shift_hour,
            role_minimums=pattern.minimums,
            night_role_minimums=pattern.night,
        )
    ctx.counts["checkpoint_demand"] = len(checkpoints)
    ctx.progress(_("checkpoint demand"), len(checkpoints), len(checkpoints))

    staff = _seed_staff(ctx, actor, rng, checkpoints, demand)
    ctx.counts["duty_staff"] = len(staff)
    now = timezone.now()
    _seed_unavailability(ctx, actor, rng, [s for s in staff if s.user_id is None], now)
    _seed_roster_week(ctx, _demo_actor(ctx, COMMANDER_USERNAME), rng, now)


def _seed_staff(
    ctx: DemoContext,
    actor: Actor,
    rng: random.Random,
    checkpoints: list[Checkpoint],
    demand: dict[int, Pattern],
) -> list[StaffMember]:
    names = _Names(rng)
    plan = pool_plan(checkpoints, demand)
    places = Jurisdiction.objects.in_bulk(list(plan))
    entrances: dict[str, list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        if len(checkpoint.jurisdiction_id) > 9:
            entrances[checkpoint.jurisdiction_id].append(checkpoint)
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[name for name, _role in DEMO_STAFF])
    }
    # The demo accounts first (so the solver, posting in id order, posts them first too).
    linked: dict[tuple[str, str], list[User]] = defaultdict(list)
    for username, role in DEMO_STAFF:
        user = users.get(username)
        if user is not None and user.jurisdiction_id in plan:
            linked[user.jurisdiction_id, role].append(user)
    names.names.update(u.full_name for u in users.values())  # nobody else gets theirs
    groups = _groups(ctx, actor, checkpoints)
    total = sum(sum(roles.values()) for roles in plan.values())
    made: list[StaffMember] = []
    for code in sorted(plan, key=lambda c: (len(c), c)):
        place = places[code]
        for role in DutyRole.values:
            count = plan[code].get(role, 0)
            accounts = linked.get((code, role), [])
            on_post: dict[int, int] = defaultdict(int)  # staff of this role per entrance
            in_groups = 0
            for number in range(max(count, len(accounts))):
                user = accounts[number] if number < len(accounts) else None
                post = group = None
                if code in entrances:  # village staff keep to their village's entrances
                    posts = entrances[code]
                    post = posts[0] if user else min(posts, key=lambda c: (on_post[c.pk], c.pk))
                    on_post[post.pk] += 1
                    # The groups are at the last entrance: a cadre and a volunteer each.
                    grouped = code in groups and post == posts[-1] and user is None
                    if grouped and in_groups < GROUPS:
                        group = groups[code][in_groups]
                        in_groups += 1
                made.append(
                    services.create_staff(
                        actor,
                        name=names.name(user.full_name if user else ""),
                        role=role,
                        jurisdiction=place,
                        phone=names.phone(),
                        user=user,
                        group=group,
                        post=post,
                        max_hours_per_week=rng.choice(MAX_HOURS),
                    )
                )
                if len(made) % 50 == 0 or len(made) == total:
                    ctx.progress(_("duty staff"), len(made), total)
    ctx.progress(_("duty staff"), len(made), len(made))
    ctx.counts["staff_groups"] = sum(len(g) for g in groups.values())
    return made


def _groups(
    ctx: DemoContext, actor: Actor, checkpoints: list[Checkpoint]
) -> dict[str, list[StaffGroup]]:
    """{village code: its groups}: 东湾村 of 青山镇 (if it has two entrances)."""
    town = next((t for t in ctx.towns if t.code == MAIN_TOWN_CODE), None)
    if town is None or len(town.villages) <= GROUP_VILLAGE_INDEX:
        return {}
    village = town.villages[GROUP_VILLAGE_INDEX]
    if sum(1 for c in checkpoints if c.jurisdiction_id == village.code) < 2:
        return {}
    town_place = Jurisdiction.objects.get(code=town.code)
    return {
        village.code: [
            services.create_group(actor, town_place, f"{village.name}{_GROUP_NAMES[n]}")
            for n in range(GROUPS)
        ]
    }


def _seed_unavailability(
    ctx: DemoContext, actor: Actor, rng: random.Random, staff: list[StaffMember], now: datetime
) -> None:
    today = timezone.localdate(now)
    away = rng.sample(staff, round(AWAY_SHARE * len(staff)))
    for person in sorted(away, key=lambda p: p.pk):
        day = today + timedelta(days=rng.randrange(AWAY_DAYS))
        starts = services.local_midnight(day)
        services.add_unavailability(
            actor, person, starts, starts + timedelta(days=1), rng.choice(_AWAY_REASONS)
        )
    ctx.counts["staff_unavailability"] = len(away)


def _seed_roster_week(ctx: DemoContext, actor: Actor, rng: random.Random, now: datetime) -> None:
    town = Jurisdiction.objects.get(code=MAIN_TOWN_CODE)
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    roster = services.create_roster(actor, town=town, starts_on=monday, days=7)

    def progress(done: int, total: int, seconds: float) -> None:
        ctx.progress(_("roster solve"), done, total)

    # Solved as it was on Sunday night, before the week began.
    solution = services.solve_roster(
        actor,
        roster,
        time_limit=settings.DEMO_SOLVE_SECONDS or SOLVE_SECONDS[ctx.scale],
        now=services.local_midnight(monday) - timedelta(hours=2),
        progress=progress,
    )
    ctx.counts["rosters"] = 1
    ctx.counts["roster_shifts"] = roster.shifts.count()
    ctx.counts["roster_assignments"] = len(solution.assignments)
    ctx.counts["roster_uncovered"] = solution.uncovered
    if solution.status == "INFEASIBLE" or not solution.assignments:
        return
    services.publish_roster(actor, roster)
    users = {u.username: u for u in User.objects.filter(username=SWAP_USERNAME)}
    _check_ins(ctx, actor, rng, roster, now)
    _swap(ctx, actor, roster, users.get(SWAP_USERNAME), now)


def _check_ins(
    ctx: DemoContext, town: Actor, rng: random.Random, roster: Roster, now: datetime
) -> None:
    """Check in and out the shifts ended lately and the ones under way (the demo accounts'
    all week, from their own phones; the town for the others), but for one village-entrance
    shift: nobody came, and the sweep said so. The others' earlier shifts of the week are
    written as attended too, in one update (no audit trail needed for them), so the command
    post's figures and briefings report that one no-show, not every shift before the last
    hours."""
    since = now - timedelta(hours=CHECKED_IN_HOURS[ctx.scale])
    attended: list[Assignment] = []
    shifts = list(
        roster.shifts.filter(starts_at__lte=now)
        .select_related("checkpoint")
        .order_by("starts_at", "checkpoint_id")
    )
    on_shift: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in (
        Assignment.objects.filter(shift__roster=roster, shift__starts_at__lte=now)
        .select_related("staff__user")
        .order_by("shift_id", "pk")
    ):
        on_shift[assignment.shift_id].append(assignment)
    no_show = _no_show_shift(shifts, on_shift, since, now)
    check_ins = 0
    for shift in shifts:
        if shift == no_show:
            continue
        recent = shift.ends_at > since
        for assignment in on_shift[shift.pk]:
            if not recent and assignment.staff.user_id is None:  # ended before the last hours
                assignment.checked_in_at = shift.starts_at - timedelta(minutes=5)
                assignment.checked_out_at = shift.ends_at
                attended.append(assignment)
                continue
            # Most arrive a little early, some a little late; they leave when relieved.
            arrived = shift.starts_at + timedelta(minutes=rng.choice((-20, -15, -10, -5, 0, 5, 12)))
            user = assignment.staff.user
            actor = Actor(user=user, label="demo") if user else town
            services.check_in(actor, assignment, now=min(arrived, now))
            check_ins += 1
            if shift.ends_at <= now:
                left = shift.ends_at + timedelta(minutes=rng.randrange(0, 15))
                services.check_out(actor, assignment, now=min(left, now))
    Assignment.objects.bulk_update(attended, ["checked_in_at", "checked_out_at"])
    ctx.counts["roster_check_ins"] = check_ins + len(attended)
    ctx.counts["roster_no_shows"] = 0
    if no_show is not None:
        ctx.counts["roster_no_shows"] = services.sweep_no_shows(
            now=no_show.starts_at + timedelta(minutes=services.NO_SHOW_MINUTES + 5)
        )


def _no_show_shift(
    shifts: list[Shift], on_shift: dict[int, list[Assignment]], since: datetime, now: datetime
) -> Shift | None:
    """The last ended shift at a village entrance whose people have no account, started within
    the checked-in hours: every other shift under way when the sweep looks at it (20 minutes
    after its start) ends after `since`, so it is checked in."""
    candidates = [
        s
        for s in shifts
        if s.checkpoint.kind == CheckpointKind.VILLAGE_ENTRANCE
        and s.ends_at <= now
        and s.starts_at >= since
        and all(a.staff.user_id is None for a in on_shift[s.pk])
    ]
    return candidates[-1] if candidates else None


def _swap(ctx: DemoContext, town: Actor, roster: Roster, user: User | None, now: datetime) -> None:
    """The demo volunteer asks to hand a shift of theirs (tomorrow or later first) to someone
    posted at the same checkpoint (of their role first) who may take it; the town has yet to
    decide. Without a volunteer's shift to come, the town asks for somebody's."""
    ctx.counts["roster_swap_requests"] = 0
    to_come = Assignment.objects.filter(shift__roster=roster, shift__starts_at__gt=now)
    actor = town
    if user is not None and to_come.filter(staff__user=user).exists():
        to_come = to_come.filter(staff__user=user)
        actor = Actor(user=user, label="demo")
    tomorrow = services.local_midnight(timezone.localdate(now) + timedelta(days=1))
    mine = list(to_come.select_related("shift", "staff").order_by("shift__starts_at", "pk")[:40])
    mine.sort(key=lambda a: a.shift.starts_at < tomorrow)  # stable: tomorrow's first
    for given in mine[:SWAP_TRIES]:
        others = StaffMember.objects.filter(post=given.shift.checkpoint_id, active=True).exclude(
            pk=given.staff_id
        )
        for other in sorted(others, key=lambda p: (p.role != given.staff.role, p.pk)):
            if services.assignment_problems(given.shift, other, ignoring=[given.pk]):
                continue
            try:
                services.request_swap(actor, given, other, reason=SWAP_REASON, now=now)
            except ValidationError:
                continue
            ctx.counts["roster_swap_requests"] = 1
            return


def reset_roster() -> int:
    """The demo county's rosters (with their shifts, assignments, swaps and history), staff,
    groups and demand."""
    deleted = Roster.objects.within(COUNTY_CODE).delete()[0]
    deleted += StaffMember.objects.within(COUNTY_CODE).delete()[0]  # + unavailability
    deleted += StaffGroup.objects.within(COUNTY_CODE).delete()[0]
    deleted += CheckpointDemand.objects.within(COUNTY_CODE).delete()[0]
    return deleted


ROSTER_STEP = DemoStep("roster", seed_roster, reset_roster)
