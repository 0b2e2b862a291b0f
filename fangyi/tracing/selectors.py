"""Reads for tracing, always scoped: the infectious window, the contact candidates a case's
registrations and household suggest, the chain of people a case's contacts draw, and the
county's list of cases with their chain counts."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.db.models import BigIntegerField, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangyi.checkpoints.models import Passenger, Registration
from fangyi.core.identity import mask_name
from fangyi.core.models import DiseaseProfile, Person
from fangyi.quarantine.models import RUNNING, OrderStatus, QuarantineOrder
from fangyi.tracing.models import Case, Classification, Contact, Degree, Relation

# Classifications that make a node "a case" on the chain (an excluded case is not one).
CASE_CLASSIFICATIONS = (
    Classification.CONFIRMED,
    Classification.ASYMPTOMATIC,
    Classification.SUSPECTED,
)
MAX_HOPS = 3
MAX_CHAIN_NODES = 2000  # a graph a phone can still draw; the walk stops adding beyond it
MAX_CANDIDATES = 60


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def infectious_window(case: Case) -> tuple[datetime, datetime]:
    """[start, end): from 00:00 (local) of the profile's days before the onset (the report
    date when the onset is unknown) to the end of the report date (local)."""
    days = DiseaseProfile.current().infectious_days_before_onset
    start = (case.onset_date or case.report_date) - timedelta(days=days)
    return _local_midnight(start), _local_midnight(case.report_date + timedelta(days=1))


def window_days(case: Case) -> tuple[date, date]:
    """The window as the local days it covers (first, last), for the pages."""
    start, end = infectious_window(case)
    return timezone.localdate(start), timezone.localdate(end - timedelta(seconds=1))


# Contact candidates --------------------------------------------------------------------------


@dataclass
class Candidate:
    """A person the case may have infected, with why they are suggested. `key` names it in
    the one-click form ("person:<uuid>" or "passenger:<pk>"); `person` is None for a passenger
    nobody has registered as a person yet (shown masked)."""

    key: str
    relation: str
    name: str
    masked_identity: str
    reason: str
    person: Person | None = None
    passenger: Passenger | None = None
    registration: Registration | None = None
    last_exposure_date: date | None = None
    person_visible: bool = False

    @property
    def relation_label(self) -> str:
        return Relation(self.relation).label


def _vehicle_reason(registration: Registration) -> str:
    return _("same vehicle %(plate)s at %(checkpoint)s, %(time)s") % {
        "plate": registration.plate_display,
        "checkpoint": registration.checkpoint.name,
        "time": timezone.localtime(registration.occurred_at).strftime("%m-%d %H:%M"),
    }


def contact_candidates(user, case: Case) -> list[Candidate]:
    """Suggested contacts: (a) the other people of vehicles the case person was registered in
    during the infectious window (registrations the user may see), (b) people the user may
    see with the same household or current address. Without the case person and the case's
    existing contacts. A few queries whatever the number of registrations."""
    person = case.person
    start, end = infectious_window(case)
    excluded = {person.pk, *Contact.objects.filter(case=case).values_list("person_id", flat=True)}
    candidates: list[Candidate] = []
    seen: set[str] = set()

    registrations = (
        Registration.objects.visible_to(user)
        .filter(passengers__person_id=person.pk, occurred_at__gte=start, occurred_at__lt=end)
        .exclude(plate="")
        .values_list("pk", flat=True)
    )
    passengers = list(
        Passenger.objects.filter(registration_id__in=list(registrations))
        .exclude(person_id=person.pk)
        .select_related("registration__checkpoint", "person__jurisdiction")
        .order_by("-registration__occurred_at", "registration_id", "position")
    )
    if person.id_number_index:
        passengers = [p for p in passengers if p.id_number_index != person.id_number_index]
    # A passenger registered before they were a known person: their ID may match one now.
    unlinked = {p.id_number_index for p in passengers if p.person is None and p.id_number_index}
    known = (
        {
            p.id_number_index: p
            for p in Person.objects.filter(id_number_index__in=unlinked).select_related(
                "jurisdiction"
            )
        }
        if unlinked
        else {}
    )
    visible_people = (
        set(
            Person.objects.visible_to(user)
            .filter(
                pk__in={p.person_id for p in passengers if p.person_id}
                | {k.pk for k in known.values()}
            )
            .values_list("pk", flat=True)
        )
        if passengers
        else set()
    )
    for passenger in passengers:
        match = passenger.person or known.get(passenger.id_number_index)
        if match is not None and match.pk in excluded:
            continue
        identity = (
            f"person:{match.external_id}"
            if match is not None
            else f"id:{passenger.id_number_index or passenger.phone_index or passenger.pk}"
        )
        if identity in seen:
            continue  # the latest registration is kept (ordered newest first)
        seen.add(identity)
        registration = passenger.registration
        candidates.append(
            Candidate(
                key=f"passenger:{passenger.pk}",
                relation=Relation.VEHICLE,
                name=passenger.name,
                masked_identity=passenger.id_number_masked or passenger.phone_masked,
                reason=_vehicle_reason(registration),
                person=match,
                passenger=passenger,
                registration=registration,
                last_exposure_date=registration.local_date,
                person_visible=match is not None and match.pk in visible_people,
            )
        )

    addresses = {a.strip() for a in (person.household_address, person.current_address) if a.strip()}
    if addresses:
        housemates = (
            Person.objects.visible_to(user)
            .filter(Q(household_address__in=addresses) | Q(current_address__in=addresses))
            .exclude(pk__in=excluded)
            .select_related("jurisdiction")
            .order_by("name_pinyin", "pk")[:MAX_CANDIDATES]
        )
        for housemate in housemates:
            identity = f"person:{housemate.external_id}"
            if identity in seen:
                continue
            seen.add(identity)
            address = (
                housemate.household_address
                if housemate.household_address.strip() in addresses
                else housemate.current_address
            )
            candidates.append(
                Candidate(
                    key=identity,
                    relation=Relation.HOUSEHOLD,
                    name=housemate.name,
                    masked_identity=housemate.id_number_masked or housemate.phone_masked,
                    reason=_("same address: %(address)s") % {"address": address},
                    person=housemate,
                    last_exposure_date=case.report_date,
                    person_visible=True,
                )
            )
    return candidates[:MAX_CANDIDATES]


def find_candidate(user, case: Case, key: str) -> Candidate | None:
    """The suggestion behind a one-click form's key, if it is still offered to this user."""
    return next((c for c in contact_candidates(user, case) if c.key == key), None)


# Chains --------------------------------------------------------------------------------------


class NodeStatus:
    CASE = "case"
    QUARANTINED = "quarantined"
    RELEASED = "released"
    TRACED = "traced"


@dataclass
class ChainNode:
    pk: int
    external_id: UUID
    name: str
    status: str
    classification: str = ""
    hop: int = 0
    visible: bool = True  # False: outside the user's jurisdiction, shown masked, not linked


@dataclass
class Chain:
    nodes: list[ChainNode] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(
        default_factory=list
    )  # (source pk, person pk, degree)
    truncated: bool = False

    def as_json(self) -> dict:
        """For the API and the graph (json_script): people by their UUID, never by ID number."""
        by_pk = {node.pk: node for node in self.nodes}
        return {
            "nodes": [
                {
                    "id": str(node.external_id),
                    "name": node.name,
                    "status": node.status,
                    "classification": node.classification,
                    "hop": node.hop,
                    "link": node.visible,
                }
                for node in self.nodes
            ],
            "edges": [
                {
                    "source": str(by_pk[source].external_id),
                    "target": str(by_pk[target].external_id),
                    "degree": degree,
                }
                for source, target, degree in self.edges
            ],
            "truncated": self.truncated,
        }


def _node_status(classification: str, order_statuses: set[str]) -> str:
    if classification in CASE_CLASSIFICATIONS:
        return NodeStatus.CASE
    if order_statuses & {*RUNNING, OrderStatus.HOSPITAL}:
        return NodeStatus.QUARANTINED
    if order_statuses:
        return NodeStatus.RELEASED
    return NodeStatus.TRACED


def expand_chain(person_ids: Iterable[int], hops: int = 2) -> Chain:
    """Breadth-first over Contact (source → person) from `person_ids`, `hops` deep: one query
    per hop on the indexed `source_id` (tuples, no model instances), then one for the people's
    names, one for their cases and one for their quarantine orders. Unscoped: callers scope."""
    hops = max(0, min(hops, MAX_HOPS))
    roots = list(dict.fromkeys(person_ids))
    hop_of = {pk: 0 for pk in roots}
    edges: dict[tuple[int, int], str] = {}
    frontier = roots
    truncated = False
    for hop in range(1, hops + 1):
        if not frontier:
            break
        rows = (
            Contact.objects.filter(source_id__in=frontier)
            .order_by()  # no sort: the walk does not need one
            .values_list("source_id", "person_id", "degree")
        )
        following = []
        for source, person, degree in rows:
            if (source, person) in edges:
                continue  # the same pair traced for two cases: one edge
            if person not in hop_of:
                if len(hop_of) >= MAX_CHAIN_NODES:
                    truncated = True
                    continue
                hop_of[person] = hop
                following.append(person)
            edges[(source, person)] = degree  # also a link back into the chain (a cycle)
        frontier = following
    ids = list(hop_of)
    names = {
        pk: (external_id, name)
        for pk, external_id, name in Person.objects.filter(pk__in=ids).values_list(
            "pk", "external_id", "name"
        )
    }
    classifications = dict(
        Case.objects.filter(person_id__in=ids).order_by().values_list("person_id", "classification")
    )
    orders: dict[int, set[str]] = {}
    for pk, status in (
        QuarantineOrder.objects.filter(person_id__in=ids)
        .order_by()
        .values_list("person_id", "status")
    ):
        orders.setdefault(pk, set()).add(status)
    nodes = [
        ChainNode(
            pk=pk,
            external_id=names[pk][0],
            name=names[pk][1],
            status=_node_status(classifications.get(pk, ""), orders.get(pk, set())),
            classification=classifications.get(pk, ""),
            hop=hop_of[pk],
        )
        for pk in ids
        if pk in names
    ]
    return Chain(
        nodes=nodes,
        edges=[(s, t, d) for (s, t), d in edges.items() if s in names and t in names],
        truncated=truncated,
    )


def chain_for_case(user, case: Case, hops: int = 2) -> Chain | None:
    """The case's chain for this user, or None when the case is outside their jurisdiction.
    People the user may not see (reached through another jurisdiction's case) keep their
    place on the graph with a masked name and no link."""
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return None
    chain = expand_chain([case.person_id], hops)
    ids = [node.pk for node in chain.nodes]
    visible = set(Person.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    hidden = [pk for pk in ids if pk not in visible]
    if hidden:
        visible |= set(
            Contact.objects.visible_to(user)
            .filter(person_id__in=hidden)
            .values_list("person_id", flat=True)
        )
    for node in chain.nodes:
        if node.pk != case.person_id and node.pk not in visible:
            node.visible = False
            node.name = mask_name(node.name)
    return chain


def chain_list(user, classification: str = "", group: bool = False) -> QuerySet[Case]:
    """Cases in the user's jurisdiction with their contact counts and, when the case's person
    is a contact of another case, that source case: one query per page. `group` orders each
    case right after the case it came from (its source case)."""
    source = (
        Contact.objects.filter(person_id=OuterRef("person_id"))
        .exclude(case_id=OuterRef("pk"))
        .order_by("recorded_at", "pk")
    )
    cases = (
        Case.objects.visible_to(user)
        .select_related("person", "jurisdiction")
        .annotate(
            close_count=Count("contacts", filter=Q(contacts__degree=Degree.CLOSE)),
            secondary_count=Count("contacts", filter=Q(contacts__degree=Degree.SECONDARY)),
            quarantined_count=Count(
                "contacts", filter=Q(contacts__quarantine_order__status__in=RUNNING)
            ),
            source_case_id=Subquery(source.values("case_id")[:1]),
            source_case_external_id=Subquery(source.values("case__external_id")[:1]),
            source_case_name=Subquery(source.values("case__person__name")[:1]),
        )
    )
    if classification in Classification.values:
        cases = cases.filter(classification=classification)
    if group:
        return cases.order_by(
            Coalesce("source_case_id", "pk", output_field=BigIntegerField()).desc(),
            F("source_case_id").asc(nulls_first=True),
            "-report_date",
            "-pk",
        )
    return cases.order_by("-report_date", "-pk")


def case_for_page(user, external_id) -> Case | None:
    return (
        Case.objects.visible_to(user)
        .select_related("person__jurisdiction", "jurisdiction", "source_test__order")
        .filter(external_id=external_id)
        .first()
    )


def case_trajectory(case: Case) -> list:
    return list(case.trajectory.select_related("registration__checkpoint").order_by("starts_at"))


def case_contacts(case: Case) -> list[Contact]:
    """The case's contacts with what the table shows (person, source, place, order)."""
    return list(
        case.contacts.select_related(
            "person__jurisdiction", "source", "trajectory_entry", "quarantine_order"
        ).order_by("degree", "recorded_at", "pk")
    )


@dataclass
class ContactRow:
    """A contact as the table shows it: with the order they are (or were) under, if any."""

    contact: Contact
    order: QuarantineOrder | None

    @property
    def running(self) -> bool:
        return self.order is not None and self.order.is_running


def contact_rows(case: Case) -> list[ContactRow]:
    """The case's contacts, each with their running order (linked or not) or, failing that,
    the order this contact was put under: two queries."""
    contacts = case_contacts(case)
    running = running_orders_of(c.person_id for c in contacts)
    return [ContactRow(c, running.get(c.person_id) or c.quarantine_order) for c in contacts]


def chain_payload(user, case: Case, hops: int = 2) -> dict | None:
    """What the chain graph draws (json_script on the case page): the chain and its labels."""
    chain = chain_for_case(user, case, hops)
    if chain is None:
        return None
    labels = {
        **{value: str(label) for value, label in Classification.choices},
        NodeStatus.QUARANTINED: _("under quarantine"),
        NodeStatus.RELEASED: _("released"),
        NodeStatus.TRACED: _("traced, not yet under control"),
    }
    return {
        "case": str(case.external_id),
        **chain.as_json(),
        "labels": labels,
        "degrees": {
            Degree.CLOSE: pgettext("contact degree", "close"),
            Degree.SECONDARY: pgettext("contact degree", "secondary"),
        },
    }


def running_orders_of(person_ids: Iterable[int]) -> dict[int, QuarantineOrder]:
    """The running quarantine order of each of these people, if any (one query)."""
    return {
        order.person_id: order
        for order in QuarantineOrder.objects.filter(
            person_id__in=list(person_ids), status__in=RUNNING
        )
    }
