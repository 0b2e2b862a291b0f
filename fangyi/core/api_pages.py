"""API pagination that converts only the page's rows (so only one page of ID numbers is
decrypted, and the count is one query): `@paginate(pages_of(Schema.from_row), page_size=50)`."""

from collections.abc import Callable

from ninja.pagination import PageNumberPagination


def pages_of(convert: Callable) -> type[PageNumberPagination]:
    class Page(PageNumberPagination):
        def paginate_queryset(self, queryset, pagination, request=None, **params):
            page = super().paginate_queryset(queryset, pagination, request, **params)
            page[self.items_attribute] = [convert(row) for row in page[self.items_attribute]]
            return page

    return Page
