"""Reads of core data. Every read of people goes through `visible_to(user)`."""

import re

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from fangyi.core import crypto
from fangyi.core.identity import IdentityError, normalize_phone, parse_id_number
from fangyi.core.models import Jurisdiction, JurisdictionLevel, Person


def person_match(query: str, prefix: str = "") -> Q | None:
    """The one search rule for people (the people list and the ledger both use it).

    `query` is matched by what it looks like: a full ID number (exact, via the blind index), an
    11-digit mobile (exact), 4 digits (phone tail), latin letters (pinyin initials or full pinyin
    prefix), anything else (name contains). `prefix` reaches the person through a relation
    ("person__"). Returns None for an empty query and a Q matching nothing for a malformed ID or
    phone.
    """
    text = query.strip()
    if not text:
        return None
    nothing = Q(**{f"{prefix}pk__in": []})
    compact = re.sub(r"\s+", "", text)
    if re.fullmatch(r"\d{4}", compact):
        return Q(**{f"{prefix}phone_last4": compact})
    if re.fullmatch(r"(\+?86)?1\d{10}", compact):
        try:
            index = crypto.blind_index(normalize_phone(compact), "phone")
        except IdentityError:
            return nothing
        return Q(**{f"{prefix}phone_index": index})
    if re.fullmatch(r"\d{14}[\dxX]|\d{17}[\dxX]", compact):
        try:
            index = crypto.blind_index(parse_id_number(compact).number, "id_number")
        except IdentityError:
            return nothing
        return Q(**{f"{prefix}id_number_index": index})
    if re.fullmatch(r"[A-Za-z]+", compact):
        letters = compact.lower()
        return Q(**{f"{prefix}name_initials__startswith": letters}) | Q(
            **{f"{prefix}name_pinyin__startswith": letters}
        )
    return Q(**{f"{prefix}name__contains": text})


def search_people(user, query: str = "") -> QuerySet[Person]:
    """People the user may see, matching `query` by `person_match`'s rule."""
    people = (
        Person.objects.visible_to(user).select_related("jurisdiction").order_by("name_pinyin", "pk")
    )
    match = person_match(query)
    return people if match is None else people.filter(match)


def people_count_by_child(user, jurisdiction: Jurisdiction) -> list[tuple[Jurisdiction, int]]:
    """Each child of `jurisdiction` with the number of people the user may see under it."""
    children = list(Jurisdiction.objects.children_of(jurisdiction.code))
    if not children:
        return []
    length = len(children[0].code)
    counts = dict(
        Person.objects.visible_to(user)
        .within(jurisdiction.code)
        .annotate(child=Substr("jurisdiction_id", 1, length))
        .values("child")
        .annotate(n=Count("pk"))
        .values_list("child", "n")
    )
    return [(child, counts.get(child.code, 0)) for child in children]


def residential_units(user) -> QuerySet[Jurisdiction]:
    """Villages and groups a person can be registered in, inside the user's jurisdiction."""
    units = Jurisdiction.objects.filter(
        level__in=[JurisdictionLevel.VILLAGE, JurisdictionLevel.GROUP]
    ).order_by("code")
    if user.jurisdiction_id:
        return units.within(user.jurisdiction_id)
    return units if user.is_superuser else units.none()
