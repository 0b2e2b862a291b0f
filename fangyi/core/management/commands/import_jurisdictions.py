import getpass
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.services import import_jurisdictions
from fangyi.core.tabular import TableError, read_table

CODE_HEADERS = {"代码", "区划代码", "统计用区划代码", "行政区划代码", "code"}
NAME_HEADERS = {"名称", "名字", "单位名称", "name"}


class Command(BaseCommand):
    help = "Create or rename jurisdictions from an .xlsx/.csv with a code column and a name column."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            rows = read_table(file)
        except (TableError, OSError) as error:
            raise CommandError(str(error)) from None
        header = [str(c).strip().lower() for c in rows[0]] if rows else []
        try:
            code_col = next(i for i, h in enumerate(header) if h in CODE_HEADERS)
            name_col = next(i for i, h in enumerate(header) if h in NAME_HEADERS)
        except StopIteration:
            raise CommandError(
                _("the first row must have a “代码” column and a “名称” column")
            ) from None
        triples = []
        for n, row in enumerate(rows[1:], start=2):
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue  # a blank line or empty spreadsheet row
            # A short CSV line lacks trailing cells: report it (empty name) rather than drop it.
            cells = [*row, *[""] * (max(code_col, name_col) + 1 - len(row))]
            triples.append((n, cells[code_col], cells[name_col]))
        result = import_jurisdictions(Actor.system(getpass.getuser()), triples)
        self.stdout.write(
            _("%(created)d created, %(updated)d updated, %(errors)d rows with errors")
            % {"created": result.created, "updated": result.updated, "errors": len(result.errors)}
        )
        for error in result.errors:
            self.stderr.write(
                _("row %(row)d, column %(column)s: %(reason)s")
                % {"row": error.row, "column": error.column, "reason": error.reason}
            )
        if result.errors:
            sys.exit(1)
