import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangyi.core import demo
from fangyi.core.audit import Actor


class Command(BaseCommand):
    help = (
        "Build the fictional demo county 示范县 (999901): two towns, villages, groups, synthetic "
        f"residents and one account per role (password {demo.DEMO_PASSWORD}). Deterministic: "
        "the same people on every run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=list(demo.SCALES),
            default="small",
            help="small: about 3,000 residents (seconds); town: 38 villages and 120,000 residents",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo county's people, accounts and jurisdictions first "
            "(the audit log is kept)",
        )

    def handle(self, *args, scale: str, reset: bool, verbosity: int, **options):
        started = time.perf_counter()
        progress = self._show_progress if verbosity >= 1 else demo.no_progress
        try:
            result = demo.seed_demo(
                scale, actor=Actor.command_line(), reset=reset, progress=progress
            )
        except demo.DemoAlreadySeeded as notice:
            self.stdout.write(str(notice))
            return
        except demo.DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        if result.deleted:
            self.stdout.write(
                _("deleted the previous demo: %(counts)s")
                % {"counts": ", ".join(f"{n} {what}" for what, n in result.deleted.items())}
            )
        towns = demo.plan_county(scale)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "demo county %(name)s (%(code)s): %(towns)d towns, %(villages)d villages, "
                    "%(people)s residents, %(accounts)d accounts, in %(seconds).1f s"
                )
                % {
                    "name": demo.COUNTY_NAME,
                    "code": demo.COUNTY_CODE,
                    "towns": len(towns),
                    "villages": sum(len(t.villages) for t in towns),
                    "people": f"{result.counts.get('people', 0):,}",
                    "accounts": result.counts.get("accounts", 0),
                    "seconds": time.perf_counter() - started,
                }
            )
        )
        if verbosity >= 1:
            self.stdout.write(_("accounts (password %s):") % demo.DEMO_PASSWORD)
            for account in demo.DEMO_ACCOUNTS:
                role = account.role.label if account.role else _("superuser")
                self.stdout.write(
                    f"  {account.username:<12} {role} {account.jurisdiction_code or ''}"
                )

    def _show_progress(self, what: str, done: int, total: int) -> None:
        if self.stdout.isatty():
            width = 30
            filled = width * done // total
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done == total else "\r"
            self.stdout.write(f"[{bar}] {what} {done:,}/{total:,}", ending=end)
        elif done == total or done % 20_000 == 0:
            self.stdout.write(f"{what} {done:,}/{total:,}")
