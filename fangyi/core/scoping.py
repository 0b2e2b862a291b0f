"""The one access rule for rows that hold people data: `Model.objects.visible_to(user)`.

A jurisdiction's code is a prefix of every code below it (county 999901, town 999901100,
village 999901100201, group 999901100201001), so "inside my jurisdiction" is a range scan on
an indexed code column: [code, code with its last digit + 1). That works on SQLite and
PostgreSQL with a plain b-tree index and needs no join.
"""

from django.db import models


def code_upper_bound(code: str) -> str:
    """The smallest string greater than every string starting with `code`."""
    return code[:-1] + chr(ord(code[-1]) + 1)


class ScopedQuerySet(models.QuerySet):
    """Subclass per model; set `jurisdiction_field` (a path to a jurisdiction code or FK) and
    `scope_permission` (the permission a user needs to read these rows at all)."""

    jurisdiction_field: str = "jurisdiction"
    scope_permission: str = ""

    def within(self, code: str) -> "ScopedQuerySet":
        field = self.jurisdiction_field
        if field.endswith("jurisdiction"):
            field += "_id"
        return self.filter(**{f"{field}__gte": code, f"{field}__lt": code_upper_bound(code)})

    def visible_to(self, user) -> "ScopedQuerySet":
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if self.scope_permission and not user.has_perm(self.scope_permission):
            return self.none()
        if user.is_superuser and user.jurisdiction_id is None:
            return self
        if user.jurisdiction_id is None:
            return self.none()
        return self.within(user.jurisdiction_id)
