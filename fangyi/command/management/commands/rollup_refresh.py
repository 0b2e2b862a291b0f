"""`fangyi rollup-refresh [--all | --since YYYY-MM-DD]`: recompute the stored figures."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.command.rollups import refresh_rollups


class Command(BaseCommand):
    help = "Recompute the command post's figures: today and yesterday, every day, or since a date."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--all", action="store_true", help="every day with data")
        group.add_argument("--since", metavar="YYYY-MM-DD")

    def handle(self, *args, all: bool, since: str | None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            first = None
            if since:
                try:
                    first = date.fromisoformat(since.strip())
                except ValueError as error:
                    raise CommandError(
                        _("%(date)s is not a date (write YYYY-MM-DD)") % {"date": since}
                    ) from error
            outcome = refresh_rollups(first=first, everything=all)
            days = (outcome.last_day - outcome.first_day).days + 1
            self.stdout.write(
                _("%(days)d days (%(first)s to %(last)s), %(cells)d cells, %(seconds).2f s")
                % {
                    "days": days,
                    "first": outcome.first_day,
                    "last": outcome.last_day,
                    "cells": outcome.cells,
                    "seconds": outcome.seconds,
                }
            )
