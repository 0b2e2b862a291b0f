"""People and jurisdictions over the API: the same selectors and services as the pages."""

from datetime import date
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fangyi.core import services
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, Person
from fangyi.core.selectors import search_people

router = Router(tags=["people"])


class PersonOut(Schema):
    id: UUID
    name: str
    sex: str
    birth_date: date | None
    id_number: str
    phone: str
    jurisdiction_code: str
    jurisdiction_name: str
    household_address: str
    current_address: str

    @staticmethod
    def from_person(person: Person) -> "PersonOut":
        """ID number and phone are always masked here; /reveal returns them in full, audited."""
        return PersonOut(
            id=person.external_id,
            name=person.name,
            sex=person.sex,
            birth_date=person.birth_date,
            id_number=person.id_number_masked,
            phone=person.phone_masked,
            jurisdiction_code=person.jurisdiction_id,
            jurisdiction_name=person.jurisdiction.name,
            household_address=person.household_address,
            current_address=person.current_address,
        )


class PersonIn(Schema):
    name: str
    jurisdiction_code: str
    id_number: str = ""
    phone: str = ""
    household_address: str = ""
    current_address: str = ""


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: str


class JurisdictionOut(Schema):
    code: str
    name: str
    level: str
    parent_id: str | None


class FieldErrors(Schema):
    detail: dict[str, list[str]]


class Message(Schema):
    detail: str


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@router.get("/people", response=list[PersonOut])
@paginate(PageNumberPagination, page_size=50)
def list_people(request, q: str = ""):
    """People in your jurisdiction; `q` searches name, pinyin, phone tail or full ID number."""
    _require(request, "core.view_person")
    return [PersonOut.from_person(p) for p in search_people(request.user, q)]


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request, person_id: UUID):
    _require(request, "core.view_person")
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("jurisdiction"),
        external_id=person_id,
    )
    return PersonOut.from_person(person)


@router.post("/people", response={201: PersonOut, 422: FieldErrors})
def create_person(request, payload: PersonIn):
    _require(request, "core.add_person")
    values = payload.dict()
    code = values.pop("jurisdiction_code")
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        return Status(
            422,
            {
                "detail": {
                    "jurisdiction_code": [
                        _("“%(code)s” is not a known division code") % {"code": code}
                    ]
                }
            },
        )
    try:
        person = services.create_person(
            Actor.from_request(request), jurisdiction=jurisdiction, **values
        )
    except ValidationError as error:
        return Status(422, {"detail": error.message_dict})
    return Status(201, PersonOut.from_person(person))


@router.post("/people/{person_id}/reveal", response={200: RevealOut, 403: Message, 422: Message})
def reveal_person_field(request, person_id: UUID, payload: RevealIn):
    """The full ID number or phone, for roles allowed to see it; written to the audit log."""
    _require(request, "core.view_person")
    if payload.field not in ("id_number", "phone"):
        return Status(422, {"detail": _("field must be id_number or phone")})
    person = get_object_or_404(Person.objects.visible_to(request.user), external_id=person_id)
    value = services.reveal_person_field(Actor.from_request(request), person, payload.field)
    return Status(200, {"field": payload.field, "value": value})


@router.get("/jurisdictions", response=list[JurisdictionOut], tags=["jurisdictions"])
def list_jurisdictions(request):
    """Your jurisdiction and everything below it."""
    return list(Jurisdiction.objects.visible_to(request.user))
