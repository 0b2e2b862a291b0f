"""The one access rule for rows that hold people data: `Model.objects.visible_to(user)`.

A jurisdiction's code is a prefix of every code below it (county 999901, town 999901100,
village 999901100201, group 999901100201001), so "inside my jurisdiction" is a range scan on
an indexed code column: [code, the next code of at most that length). That works on SQLite and
PostgreSQL with a plain b-tree index and needs no join. Both bounds are digit strings, so the
range is the same under any collation (ICU and glibc locales order ":" apart from digits).
"""

from django.db import models


def code_upper_bound(code: str) -> str | None:
    """The smallest digit string greater than every string starting with the digit string `code`
    (999901100 → 999901101, 999901109 → 99990111); None when `code` is all nines."""
    stem = code.rstrip("9")
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


class ScopedQuerySet(models.QuerySet):
    """Subclass per model; set `jurisdiction_field` (a path to a jurisdiction code or FK) and
    `scope_permission` (the permission a user needs to read these rows at all)."""

    jurisdiction_field: str = "jurisdiction"
    scope_permission: str = ""

    def within(self, code: str) -> "ScopedQuerySet":
        field = self.jurisdiction_field
        if field.endswith("jurisdiction"):
            field += "_id"
        upper = code_upper_bound(code)
        if upper is None:
            return self.filter(**{f"{field}__gte": code})
        return self.filter(**{f"{field}__gte": code, f"{field}__lt": upper})

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
