"""Changing the disease profile (the one row of DiseaseProfile): the page at /quarantine/profile/
and anything else that edits the rules call `update_disease_profile`, which validates the whole
profile and writes the change to the audit log."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction, DiseaseProfile

# What may be changed: every field but the key and the timestamp.
EDITABLE_FIELDS = tuple(
    f.name
    for f in DiseaseProfile._meta.concrete_fields
    if f.name not in ("id", "updated_at") and f.editable
)


def _plain(value: object) -> object:
    """A value the audit log's JSON can hold, readable in its detail lines."""
    if isinstance(value, Decimal):
        return str(value)
    return value


@transaction.atomic
def update_disease_profile(actor: Actor, **values: object) -> DiseaseProfile:
    """Apply `values` (field name → new value) to the profile and save it, refusing the whole
    change if any field is wrong (one ValidationError, keyed by field). The audit entry holds
    each changed field as [before, after]. Orders already open keep their schedule: the
    lengths, test days and check times are read when an order is made."""
    if not actor.has_perm("core.change_diseaseprofile"):
        raise PermissionDenied(_("only the county command changes the disease profile"))
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise TypeError(f"not a disease profile field: {', '.join(unknown)}")
    DiseaseProfile.objects.get_or_create(pk=1)
    profile = DiseaseProfile.objects.select_for_update().get(pk=1)
    before = {name: getattr(profile, name) for name in values}
    for name, value in values.items():
        setattr(profile, name, value)
    profile.full_clean()  # raises every bad field at once; normalises the values it keeps
    changes = {
        name: [_plain(before[name]), _plain(getattr(profile, name))]
        for name in values
        if before[name] != getattr(profile, name)
    }
    if not changes:
        return profile
    profile.save()
    user = actor.user
    record_audit(
        actor,
        AuditAction.UPDATE,
        object_type="core.diseaseprofile",
        object_id=str(profile.pk),
        object_repr=_("disease profile %(name)s") % {"name": profile.name},
        jurisdiction_code=(user.jurisdiction_id or "") if user else "",
        changes=changes,
    )
    return profile
