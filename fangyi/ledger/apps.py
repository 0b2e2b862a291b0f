from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "fangyi.ledger"
    verbose_name = _("screening ledger")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds the ledger after the core steps (and resets it before them).
        from fangyi.core import demo
        from fangyi.ledger.demo import LEDGER_STEP

        if all(step.name != LEDGER_STEP.name for step in demo.STEPS):
            demo.STEPS.append(LEDGER_STEP)
