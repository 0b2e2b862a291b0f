"""The tracing part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

This morning the county hospital confirmed a resident of 青山镇 (onset three days ago), and the
town's tracing group did what the services let it do, in order: the case is reported (which
pulls the person's checkpoint registrations of the infectious window into the trajectory: a car
through one of the town's checkpoints with three other people), home and the market are added
to the trajectory, two members of the household and two people from the same car are added as
close contacts and put under the profile's measure in one action (centralized observation at
青山宾馆, with a team by the load rule), one of the household members' first test is positive
(a second case, asymptomatic), and three secondary contacts are traced from two of the close
contacts (the second case's workmates and a fellow passenger's family): a chain of two levels,
the secondary contacts not yet under quarantine.

The people are residents only (nobody is created): a car whose people are all known residents,
a household of at least three, none of them already under quarantine. They are drawn from the
step's own `random.Random` among the registrations of the days before the onset, so two runs on
the same day give the same chain.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Passenger, Registration
from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.models import Person, User
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.models import RUNNING, NucleicAcidResult, QuarantineOrder
from fangyi.tracing import services
from fangyi.tracing.models import Case, Classification, Contact, Degree, PlaceKind, Relation
from fangyi.tracing.selectors import infectious_window

ONSET_DAYS_AGO = 3
HOSPITAL = "示范县人民医院"
CASE_NOTES = "发热、干咳，县人民医院发热门诊核酸检测阳性，确诊"
MARKET = "青山镇农贸市场"
LAB = "示范县疾控中心实验室"
TRACER_USERNAME = "commander"
DOCTOR_USERNAME = "doctor"


@dataclass
class _Cast:
    case: Person
    household: list[Person]  # two members who live with the case
    riders: list[Passenger]  # two people from the same car, known residents
    registration: Registration
    workmates: list[Person]  # the second case's, two
    family: Person  # of the first rider


def seed_tracing(ctx: DemoContext) -> None:
    rng = ctx.rng("tracing")
    now = timezone.now()
    today = timezone.localdate(now)
    users = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    tracer = Actor(user=users[TRACER_USERNAME], label="demo")
    doctor = Actor(user=users[DOCTOR_USERNAME], label="demo")
    onset = today - timedelta(days=ONSET_DAYS_AGO)
    cast = _choose_cast(rng, onset, today)

    case = services.report_case(
        tracer,
        cast.case,
        classification=Classification.CONFIRMED,
        onset_date=onset,
        hospital=HOSPITAL,
        notes=CASE_NOTES,
    )
    start, _end = infectious_window(case)
    taken_away = min(_local(today, time(6, 40)), now - timedelta(minutes=5))
    home = services.add_trajectory_entry(
        tracer,
        case,
        kind=PlaceKind.HOME,
        place=cast.case.current_address or cast.case.household_address,
        starts_at=start,
        ends_at=max(taken_away, start),
        notes="与家人同住，发病后居家",
    )
    market_day = onset - timedelta(days=2)
    services.add_trajectory_entry(
        tracer,
        case,
        kind=PlaceKind.MARKET,
        place=MARKET,
        starts_at=_local(market_day, time(7, 20)),
        ends_at=_local(market_day, time(8, 35)),
        notes="买菜，未戴口罩",
    )
    # Reporting pulled the car in already; the page's "pull" finds nothing new.
    services.pull_checkpoint_registrations(tracer, case)

    closes = [
        services.add_contact(
            tracer,
            case,
            member,
            degree=Degree.CLOSE,
            relation=Relation.HOUSEHOLD,
            trajectory_entry=home,
            last_exposure_date=today,
            note="同住家属",
        )
        for member in cast.household
    ]
    closes += [
        services.add_contact_from_passenger(tracer, case, rider, note="同车")
        for rider in cast.riders
    ]
    services.quarantine_contacts(tracer, closes)

    # The first household member's test on arrival at the site is positive: a second case.
    second = closes[0]
    order = QuarantineOrder.objects.get(person=second.person, status__in=RUNNING)
    test = order.tests.order_by("day").first()
    quarantine_services.record_test(doctor, test, result=NucleicAcidResult.POSITIVE, lab=LAB)

    rider = closes[2]
    for person, source, relation, days_ago, note in (
        (cast.workmates[0], second.person, Relation.WORK, 1, "同一车间上班"),
        (cast.workmates[1], second.person, Relation.WORK, 1, "同一车间上班，午饭同桌"),
        (cast.family, rider.person, Relation.HOUSEHOLD, 0, "同车者家属，同住"),
    ):
        services.add_contact(
            tracer,
            case,
            person,
            degree=Degree.SECONDARY,
            relation=relation,
            source=source,
            last_exposure_date=today - timedelta(days=days_ago),
            note=note,
        )
    ctx.counts["cases"] = Case.objects.within(MAIN_TOWN_CODE).count()
    ctx.counts["contacts"] = case.contacts.count()
    ctx.progress(_("cases"), 1, 1)


_USERNAMES = (TRACER_USERNAME, DOCTOR_USERNAME)


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


# Who ---------------------------------------------------------------------------------------


def _choose_cast(rng: random.Random, onset: date, today: date) -> _Cast:
    """A car of the town's checkpoints, in the days before the onset, whose people are all
    residents of the town; one of them, living with at least two others, is the case."""
    excluded = set(
        QuarantineOrder.objects.filter(status__in=RUNNING).values_list("person_id", flat=True)
    ) | set(Case.objects.values_list("person_id", flat=True))
    first = _local(onset - timedelta(days=3), time())
    last = _local(onset, time())
    cars = list(
        Registration.objects.filter(
            checkpoint__jurisdiction__code__startswith=MAIN_TOWN_CODE,
            occurred_at__gte=first,
            occurred_at__lt=last,
        )
        .annotate(
            people=Count("passengers"),
            known=Count("passengers", filter=Q(passengers__person__isnull=False)),
        )
        .filter(people__gte=3, known=F("people"))
        .order_by("occurred_at", "pk")
    )
    for registration in rng.sample(cars, len(cars)):
        passengers = list(registration.passengers.select_related("person").order_by("pk"))
        people = [p.person for p in passengers]
        if any(
            p.pk in excluded or not p.jurisdiction_id.startswith(MAIN_TOWN_CODE) for p in people
        ):
            continue
        # The case: whoever of them went through the checkpoints least often (a passenger
        # rather than the driver who passes every day), so the trajectory stays readable.
        trips = dict(
            Passenger.objects.filter(
                person__in=people, registration__occurred_at__gte=first - timedelta(days=1)
            )
            .values_list("person_id")
            .annotate(n=Count("pk"))
        )
        for index in sorted(range(len(people)), key=lambda i: (trips.get(people[i].pk, 0), i)):
            case = people[index]
            household = _household(case, excluded | {p.pk for p in people})
            if len(household) < 2:
                continue
            riders = [p for i, p in enumerate(passengers) if i != index][:2]
            taken = excluded | {p.pk for p in people} | {p.pk for p in household}
            second = household[0]
            workmates = _neighbours(rng, second, taken, 2)
            family = _household(riders[0].person, taken | {p.pk for p in workmates})
            if len(workmates) < 2 or not family:
                continue
            return _Cast(case, household[:2], riders, registration, workmates, family[0])
    raise RuntimeError("the demo found no car of residents for its case: seed the checkpoints")


def _household(person: Person, excluded: set[int]) -> list[Person]:
    """The others registered at the person's address (the demo's households), by age."""
    return [
        p
        for p in Person.objects.within(person.jurisdiction_id)
        .filter(household_address=person.household_address)
        .exclude(pk=person.pk)
        .order_by("pk")
        if p.pk not in excluded
    ]


def _neighbours(rng: random.Random, person: Person, excluded: set[int], n: int) -> list[Person]:
    """`n` adults of the person's village outside their household."""
    village = person.jurisdiction_id[:12]
    pool = list(
        Person.objects.within(village)
        .exclude(household_address=person.household_address)
        .exclude(pk__in=excluded)
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    picked = rng.sample(pool, min(n, len(pool)))
    found = Person.objects.in_bulk(picked)
    return [found[pk] for pk in picked]


# Reset ---------------------------------------------------------------------------------------


def reset_tracing() -> int:
    """The demo county's cases with their trajectories and contacts."""
    cases = Case.objects.within(COUNTY_CODE)
    deleted = Contact.objects.filter(case__in=cases).delete()[0]
    deleted += cases.delete()[0]  # with their trajectories
    return deleted


TRACING_STEP = DemoStep("tracing", seed_tracing, reset_tracing)
