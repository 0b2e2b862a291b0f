"""`fangyi rollup-check`: recompute every figure from the raw tables and print each difference
from the stored ones; exits 1 if there is any."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.command.rollups import check_rollups


class Command(BaseCommand):
    help = "Recompute the stored figures from the raw tables and report every difference."

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            differences = check_rollups()
            if not differences:
                self.stdout.write(_("no differences"))
                return
            for d in differences:
                self.stdout.write(
                    _("%(day)s %(code)s %(metric)s: stored %(stored)d, recomputed %(recomputed)d")
                    % {
                        "day": d.day,
                        "code": d.jurisdiction,
                        "metric": d.metric,
                        "stored": d.stored,
                        "recomputed": d.recomputed,
                    }
                )
            self.stderr.write(_("%(n)d differences") % {"n": len(differences)})
            sys.exit(1)
