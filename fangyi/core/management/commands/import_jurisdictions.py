import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.services import import_jurisdictions_file
from fangyi.core.tabular import TableError


class Command(BaseCommand):
    help = "Create or rename jurisdictions from an .xlsx/.csv with a code column and a name column."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            result = import_jurisdictions_file(Actor.command_line(), file)
        except (TableError, OSError) as error:
            raise CommandError(str(error)) from None
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
