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
        # The home page shows open and overdue verification.
        from fangyi.core.views import HOME_PANELS
        from fangyi.ledger.views import home_panel

        if home_panel not in HOME_PANELS:
            HOME_PANELS.append(home_panel)
