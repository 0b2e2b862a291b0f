"""Every write tracing does: cases, their trajectory, their contacts and putting contacts under
quarantine. Pages, API, the quarantine app (a positive test) and the demo call these; each
owns its transaction and refuses bad input with a ValidationError keyed by field."""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Passenger
from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile, Person, QuarantineKind
from fangyi.core.services import create_person
from fangyi.ledger import services as ledger_services
from fangyi.ledger.models import Category, LedgerEntry
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.models import (
    RUNNING,
    NucleicAcidTest,
    ObservationSite,
    OrderReason,
    QuarantineOrder,
    Room,
    RoomStatus,
)
from fangyi.tracing.models import (
    Case,
    Classification,
    Contact,
    Degree,
    PlaceKind,
    Relation,
    TrajectoryEntry,
)
from fangyi.tracing.selectors import infectious_window, window_days

# Onsets further back than this before the report are a typing error, not an outbreak fact.
MAX_ONSET_DAYS_BEFORE_REPORT = 30
# Infected classifications: the person's ledger entries are marked "confirmed case".
INFECTED = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)
LEDGER_CATEGORY = {
    Degree.CLOSE: Category.CLOSE_CONTACT,
    Degree.SECONDARY: Category.SECONDARY_CONTACT,
}


def _require(actor: Actor, perm: str, message: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(message)


def _check_in_scope(actor: Actor, jurisdiction_code: str) -> None:
    user = actor.user
    if user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not user.jurisdiction_id or not jurisdiction_code.startswith(user.jurisdiction_id):
        raise PermissionDenied(_("this is outside your jurisdiction"))


def _today() -> date:
    return timezone.localdate()


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# Cases ---------------------------------------------------------------------------------------


def _case_problems(
    classification: str, report_date: date, onset_date: date | None, today: date
) -> dict[str, str]:
    problems = {}
    if classification not in Classification.values:
        problems["classification"] = _("choose the classification")
    if report_date > today:
        problems["report_date"] = _("the report date cannot be in the future")
    if onset_date is not None:
        if onset_date > report_date:
            problems["onset_date"] = _("the onset cannot be after the report date")
        elif (report_date - onset_date).days > MAX_ONSET_DAYS_BEFORE_REPORT:
            problems["onset_date"] = _(
                "the onset is at most %(days)s days before the report: check the date"
            ) % {"days": MAX_ONSET_DAYS_BEFORE_REPORT}
    return problems


@transaction.atomic
def report_case(
    actor: Actor,
    person: Person,
    *,
    classification: str,
    report_date: date | None = None,
    onset_date: date | None = None,
    hospital: str = "",
    notes: str = "",
    source_test: NucleicAcidTest | None = None,
) -> Case:
    """Record a person as a case (one case per person: reporting again changes its
    classification and fills what was missing). Pulls the person's checkpoint registrations
    of the infectious window into the trajectory; an infected case marks their ledger entries
    as a confirmed case."""
    existing = Case.objects.select_for_update().filter(person=person).first()
    if existing is None:
        _require(actor, "tracing.add_case", _("your role may not report cases"))
    else:
        _require(actor, "tracing.change_case", _("your role may not change cases"))
    _check_in_scope(actor, person.jurisdiction_id)
    return _report(
        actor,
        person,
        existing,
        classification=classification,
        report_date=report_date,
        onset_date=onset_date,
        hospital=hospital,
        notes=notes,
        source_test=source_test,
    )


def _report(
    actor: Actor,
    person: Person,
    existing: Case | None,
    *,
    classification: str,
    report_date: date | None,
    onset_date: date | None,
    hospital: str,
    notes: str,
    source_test: NucleicAcidTest | None,
) -> Case:
    today = _today()
    hospital, notes = hospital.strip(), notes.strip()
    if existing is None:
        report_date = report_date or today
        problems = _case_problems(classification, report_date, onset_date, today)
        if len(hospital) > 100:
            problems["hospital"] = _("at most %(limit)d characters") % {"limit": 100}
        if problems:
            raise ValidationError(problems)
        case = Case.objects.create(
            person=person,
            jurisdiction_id=person.jurisdiction_id,
            classification=classification,
            report_date=report_date,
            onset_date=onset_date,
            hospital=hospital,
            notes=notes,
            source_test=source_test,
            created_by=actor.user,
        )
    else:
        case = existing
        # The first report date stays (the window counts from it); a new onset may be learnt.
        problems = _case_problems(
            classification, case.report_date, onset_date or case.onset_date, today
        )
        if len(hospital) > 100:
            problems["hospital"] = _("at most %(limit)d characters") % {"limit": 100}
        if problems:
            raise ValidationError(problems)
        case.classification = classification
        case.onset_date = onset_date or case.onset_date
        case.hospital = hospital or case.hospital
        if notes:
            case.notes = f"{case.notes}\n{notes}".strip()
        case.source_test = case.source_test or source_test
        case.save(
            update_fields=[
                "classification",
                "onset_date",
                "hospital",
                "notes",
                "source_test",
                "updated_at",
            ]
        )
    if classification in INFECTED:
        _mark_ledger_confirmed(actor, person)
    _pull(actor, case)
    return case


def _mark_ledger_confirmed(actor: Actor, person: Person) -> None:
    for entry in LedgerEntry.objects.filter(person=person).select_related("jurisdiction"):
        if entry.status != "confirmed":
            ledger_services.record_from_rule(
                actor, person, entry.category, entry.jurisdiction, status="confirmed"
            )


@transaction.atomic
def report_case_from_test(actor: Actor, test: NucleicAcidTest) -> Case:
    """A positive nucleic-acid test makes its person a case (called by
    quarantine.services.record_test). Confirmed when a check of the order recorded a fever or
    a symptom (the first such day is the onset), asymptomatic otherwise; an existing confirmed
    case stays confirmed. The rule decides, not the recorder's tracing permissions (the
    test's recorder was checked by record_test)."""
    order = test.order
    person = order.person
    profile = DiseaseProfile.current()
    onset = None
    for temperature, symptoms, checked_at, due_at in (
        order.checks.exclude(checked_at__isnull=True)
        .order_by("due_at")
        .values_list("temperature", "symptoms", "checked_at", "due_at")
    ):
        if symptoms or profile.is_fever(temperature):
            onset = timezone.localdate(checked_at or due_at)
            break
    existing = Case.objects.select_for_update().filter(person=person).first()
    classification = Classification.CONFIRMED if onset else Classification.ASYMPTOMATIC
    if existing is not None and existing.classification == Classification.CONFIRMED:
        classification = Classification.CONFIRMED
    today = _today()
    note = _("positive nucleic-acid test on day %(day)s of the %(kind)s from %(start)s") % {
        "day": test.day,
        "kind": order.get_kind_display(),
        "start": order.start_date.isoformat(),
    }
    if onset is not None:
        # A fever before the start of the order cannot be its onset; keep it within the rules.
        onset = max(min(onset, today), today - timedelta(days=MAX_ONSET_DAYS_BEFORE_REPORT))
    return _report(
        actor,
        person,
        existing,
        classification=classification,
        report_date=None,
        onset_date=onset if existing is None or existing.onset_date is None else None,
        hospital="",
        notes=note,
        source_test=test,
    )


@transaction.atomic
def reclassify_case(actor: Actor, case: Case, classification: str) -> Case:
    _require(actor, "tracing.change_case", _("your role may not change cases"))
    case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    _check_in_scope(actor, case.jurisdiction_id)
    if classification not in Classification.values:
        raise ValidationError({"classification": _("choose the classification")})
    if classification == case.classification:
        return case
    case.classification = classification
    case.save(update_fields=["classification", "updated_at"])
    if classification in INFECTED:
        _mark_ledger_confirmed(actor, case.person)
    return case


# Trajectory ----------------------------------------------------------------------------------


@transaction.atomic
def add_trajectory_entry(
    actor: Actor,
    case: Case,
    *,
    kind: str,
    place: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    notes: str = "",
) -> TrajectoryEntry:
    """A place and time the case was at, inside the infectious window."""
    _require(actor, "tracing.change_case", _("your role may not change cases"))
    _check_in_scope(actor, case.jurisdiction_id)
    problems = {}
    place, notes = (place or "").strip(), (notes or "").strip()
    if kind not in PlaceKind.values:
        problems["kind"] = _("choose the kind of place")
    if not place:
        problems["place"] = _("say where the case was")
    elif len(place) > 200:
        problems["place"] = _("at most %(limit)d characters") % {"limit": 200}
    if len(notes) > 300:
        problems["notes"] = _("at most %(limit)d characters") % {"limit": 300}
    if starts_at is None:
        problems["starts_at"] = _("give the time the case got there")
    if ends_at is None:
        problems["ends_at"] = _("give the time the case left")
    if starts_at is not None and ends_at is not None:
        starts_at, ends_at = _aware(starts_at), _aware(ends_at)
        start, end = infectious_window(case)
        first, last = window_days(case)
        if ends_at < starts_at:
            problems["ends_at"] = _("the end is before the start")
        elif starts_at > timezone.now():
            problems["starts_at"] = _("this time is in the future")
        elif ends_at < start or starts_at >= end:
            problems["starts_at"] = _(
                "this time is outside the infectious window (%(first)s to %(last)s)"
            ) % {"first": first.isoformat(), "last": last.isoformat()}
    if problems:
        raise ValidationError(problems)
    return TrajectoryEntry.objects.create(
        case=case,
        kind=kind,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes,
        recorded_by=actor.user,
    )


@transaction.atomic
def pull_checkpoint_registrations(actor: Actor, case: Case) -> int:
    """Add the case person's checkpoint registrations of the infectious window to the
    trajectory (each once); returns how many were added."""
    _require(actor, "tracing.change_case", _("your role may not change cases"))
    _check_in_scope(actor, case.jurisdiction_id)
    return _pull(actor, case)


def _pull(actor: Actor, case: Case) -> int:
    Case.objects.select_for_update().filter(pk=case.pk).first()  # one pull at a time
    start, end = infectious_window(case)
    passages = (
        Passenger.objects.filter(
            person_id=case.person_id,
            registration__occurred_at__gte=start,
            registration__occurred_at__lt=end,
        )
        .select_related("registration__checkpoint")
        .order_by("registration__occurred_at", "registration_id")
    )
    pulled = set(
        case.trajectory.filter(registration__isnull=False).values_list("registration_id", flat=True)
    )
    entries = []
    for passenger in passages:
        registration = passenger.registration
        if registration.pk in pulled:
            continue
        pulled.add(registration.pk)
        place = " ".join(
            part
            for part in (
                registration.checkpoint.name,
                registration.plate_display if registration.plate else "",
                registration.get_direction_display(),
            )
            if part
        )
        trip = " → ".join(p for p in (registration.from_place, registration.to_place) if p)
        entries.append(
            TrajectoryEntry(
                case=case,
                kind=PlaceKind.CHECKPOINT,
                place=place[:200],
                starts_at=registration.occurred_at,
                ends_at=registration.occurred_at,
                registration=registration,
                notes=trip[:300],
                recorded_by=actor.user,
            )
        )
    TrajectoryEntry.objects.bulk_create(entries)
    return len(entries)


# Contacts ------------------------------------------------------------------------------------


@transaction.atomic
def add_contact(
    actor: Actor,
    case: Case,
    person: Person,
    *,
    degree: str,
    relation: str,
    source: Person | None = None,
    trajectory_entry: TrajectoryEntry | None = None,
    last_exposure_date: date | None = None,
    note: str = "",
) -> Contact:
    """Link a person to the case: a close contact of the case person, or a secondary contact
    of one of the case's close contacts (`source`). Puts them on the ledger as such."""
    _require(actor, "tracing.add_contact", _("your role may not record contacts"))
    case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    _check_in_scope(actor, case.jurisdiction_id)
    problems: dict[str, str] = {}
    note = (note or "").strip()
    if degree not in Degree.values:
        problems["degree"] = _("choose close or secondary contact")
    if relation not in Relation.values:
        problems["relation"] = _("choose how they were in contact")
    if person.pk == case.person_id:
        problems["person"] = _("%(name)s is the case: a case is not its own contact") % {
            "name": person.name
        }
    else:
        existing = case.contacts.select_related("source").filter(person=person).first()
        if existing is not None:
            problems["person"] = _(
                "%(name)s is already a %(degree)s of this case (in contact with %(source)s)"
            ) % {
                "name": person.name,
                "degree": existing.get_degree_display(),
                "source": existing.source.name,
            }
    if degree == Degree.CLOSE:
        source = case.person
    elif degree == Degree.SECONDARY:
        if source is None:
            problems["source"] = _("choose the close contact this person was in contact with")
        elif not case.contacts.filter(degree=Degree.CLOSE, person=source).exists():
            problems["source"] = _(
                "%(name)s is not a close contact of this case: a secondary contact is traced "
                "from one of its close contacts"
            ) % {"name": source.name}
        elif source.pk == person.pk:
            problems["source"] = _("a person is not their own contact")
    if trajectory_entry is not None and trajectory_entry.case_id != case.pk:
        problems["trajectory_entry"] = _("that place and time is on another case's trajectory")
    if last_exposure_date is not None and last_exposure_date > _today():
        problems["last_exposure_date"] = _("the last exposure cannot be in the future")
    if len(note) > 300:
        problems["note"] = _("at most %(limit)d characters") % {"limit": 300}
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                case=case,
                person=person,
                source=source,
                degree=degree,
                relation=relation,
                trajectory_entry=trajectory_entry,
                last_exposure_date=last_exposure_date,
                note=note,
                recorded_by=actor.user,
            )
    except IntegrityError:
        raise ValidationError(
            {
                "person": _("%(name)s was added to this case meanwhile: reload")
                % {"name": person.name}
            }
        ) from None
    ledger_note = (
        _("close contact of %(name)s (case reported %(day)s)")
        if degree == Degree.CLOSE
        else _("secondary contact of %(name)s (case reported %(day)s), through %(source)s")
    ) % {
        "name": case.person.name,
        "day": case.report_date.isoformat(),
        "source": source.name,
    }
    ledger_services.record_from_rule(
        actor,
        person,
        LEDGER_CATEGORY[degree],
        person.jurisdiction or case.jurisdiction,
        notes=ledger_note,
        proposed_measure=DiseaseProfile.current().contact_kind(degree),
    )
    return contact


@transaction.atomic
def add_contact_from_passenger(
    actor: Actor,
    case: Case,
    passenger: Passenger,
    *,
    degree: str = Degree.CLOSE,
    relation: str = Relation.VEHICLE,
    source: Person | None = None,
    trajectory_entry: TrajectoryEntry | None = None,
    last_exposure_date: date | None = None,
    note: str = "",
) -> Contact:
    """A fellow passenger as a contact: their known person (matched at the checkpoint or by
    ID number since), else a new person registered in the checkpoint's jurisdiction. The
    registration's trajectory entry and day are the place and exposure unless given."""
    _require(actor, "tracing.add_contact", _("your role may not record contacts"))
    _check_in_scope(actor, case.jurisdiction_id)
    registration = passenger.registration
    person = passenger.person
    if person is None and passenger.id_number_index:
        person = Person.objects.filter(id_number_index=passenger.id_number_index).first()
    if person is None:
        person = create_person(
            actor,
            name=passenger.name,
            id_number=passenger.id_number,
            phone=passenger.phone,
            jurisdiction=registration.checkpoint.jurisdiction,
        )
    if trajectory_entry is None:
        trajectory_entry = case.trajectory.filter(registration=registration).first()
    return add_contact(
        actor,
        case,
        person,
        degree=degree,
        relation=relation,
        source=source,
        trajectory_entry=trajectory_entry,
        last_exposure_date=last_exposure_date or registration.local_date,
        note=note,
    )


# Quarantine ----------------------------------------------------------------------------------


def _start_date(contact: Contact, kind: str, today: date) -> date:
    """From the last exposure when the rules allow that far back and days remain; else today."""
    exposure = contact.last_exposure_date
    if exposure is None or exposure > today:
        return today
    days = DiseaseProfile.current().days_for(kind)
    if (today - exposure).days > quarantine_services.MAX_BACKDATE_DAYS:
        return today
    if exposure + timedelta(days=days) <= today:
        return today
    return exposure


def _free_rooms(actor: Actor, town_code: str, site: ObservationSite | None, needed: int) -> list:
    if site is not None:
        _check_in_scope(actor, site.town_id)
        sites = [site.pk]
    else:
        sites = list(
            ObservationSite.objects.filter(town_id=town_code)
            .order_by("name", "pk")
            .values_list("pk", flat=True)
        )
    rooms = list(
        Room.objects.select_for_update(of=("self",))
        .select_related("site")
        .filter(site_id__in=sites, status=RoomStatus.FREE, occupants__lt=F("capacity"))
        .order_by("site__name", "site_id", "number")[:needed]
    )
    if len(rooms) < needed:
        if site is not None:
            message = _(
                "%(site)s has %(free)s free rooms for %(needed)s people under centralized "
                "observation: choose another site or free rooms"
            ) % {"site": site.name, "free": len(rooms), "needed": needed}
        else:
            message = _(
                "the town's observation sites have %(free)s free rooms for %(needed)s people "
                "under centralized observation: set up a site or free rooms"
            ) % {"free": len(rooms), "needed": needed}
        raise ValidationError({"site": message})
    return rooms


@transaction.atomic
def quarantine_contacts(
    actor: Actor,
    contacts: list[Contact],
    *,
    site: ObservationSite | None = None,
    today: date | None = None,
) -> list[QuarantineOrder]:
    """Put the selected contacts under the profile's measure for their degree, with a
    responsible team by the load rule, in one go (all or nothing). Contacts already under a
    running order are linked to it; the others get new orders, counted from their last
    exposure when the rules allow. Centralized observation takes free rooms of `site`, or of
    the case's town's sites. Returns the new orders."""
    _require(actor, "tracing.change_contact", _("your role may not change contacts"))
    if not contacts:
        raise ValidationError({"contacts": _("choose the contacts to put under quarantine")})
    today = today or _today()
    contacts = list(
        Contact.objects.select_for_update().filter(pk__in=[c.pk for c in contacts]).order_by("pk")
    )
    # Their people and cases by primary key, not joined into the locking query: joining the
    # people table three times there let PostgreSQL, with stale statistics right after a
    # bulk seed, plan a cross product of the people table with itself.
    cases = Case.objects.select_related("person").in_bulk({c.case_id for c in contacts})
    people = Person.objects.in_bulk(
        {c.person_id for c in contacts} | {c.source_id for c in contacts}
    )
    for contact in contacts:
        contact.case, contact.person, contact.source = (
            cases[contact.case_id],
            people[contact.person_id],
            people[contact.source_id],
        )
    for case_code in {c.case.jurisdiction_id for c in contacts}:
        _check_in_scope(actor, case_code)
    people = {c.person_id for c in contacts}
    running = {
        o.person_id: o
        for o in QuarantineOrder.objects.filter(person_id__in=people, status__in=RUNNING)
    }
    entries = {
        (e.person_id, e.category): e
        for e in LedgerEntry.objects.filter(
            person_id__in=people, category__in=list(LEDGER_CATEGORY.values())
        )
    }
    profile = DiseaseProfile.current()
    to_order: dict[int, Contact] = {}
    for contact in contacts:
        if contact.person_id not in running and contact.person_id not in to_order:
            to_order[contact.person_id] = contact
    centralized = [
        c for c in to_order.values() if profile.contact_kind(c.degree) == QuarantineKind.CENTRALIZED
    ]
    rooms = (
        iter(_free_rooms(actor, contacts[0].case.jurisdiction_id[:9], site, len(centralized)))
        if centralized
        else iter(())
    )
    requests = []
    for contact in to_order.values():
        kind = profile.contact_kind(contact.degree)
        person = contact.person
        room = next(rooms) if kind == QuarantineKind.CENTRALIZED else None
        requests.append(
            quarantine_services.OrderRequest(
                person=person,
                kind=kind,
                reason=OrderReason.CONTACT,
                reason_note=_reason_note(contact),
                start_date=_start_date(contact, kind, today),
                ledger_entry=entries.get((person.pk, LEDGER_CATEGORY[contact.degree])),
                address=""
                if room is not None
                else (person.current_address or person.household_address),
                site=room.site if room is not None else None,
                room=room,
            )
        )
    orders = []
    if requests:
        try:
            orders = quarantine_services.open_orders(actor, requests, today=today)
        except ValidationError as error:
            raise ValidationError(
                {"contacts": _named_problems(error, [r.person.name for r in requests])}
            ) from None
    by_person = {order.person_id: order for order in orders} | running
    changed = []
    for contact in contacts:
        order = by_person.get(contact.person_id)
        if order is not None and contact.quarantine_order_id != order.pk:
            contact.quarantine_order = order
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["quarantine_order"])
    return orders


def _reason_note(contact: Contact) -> str:
    if contact.degree == Degree.CLOSE:
        return _("close contact of case %(name)s") % {"name": contact.case.person.name}
    return _("secondary contact of case %(name)s, through %(source)s") % {
        "name": contact.case.person.name,
        "source": contact.source.name,
    }


def _named_problems(error: ValidationError, names: list[str]) -> list[str]:
    """open_orders' problems ("<index>.<field>", or the field alone for one request) as
    "name: problem" lines."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    lines = []
    for key, messages in error.message_dict.items():
        index, dot, _rest = key.partition(".")
        name = names[int(index)] if dot and index.isdigit() and int(index) < len(names) else ""
        if not dot and len(names) == 1:
            name = names[0]
        for message in messages:
            lines.append(f"{name}：{message}" if name else message)
    return lines
