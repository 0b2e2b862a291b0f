from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "fangyi.roster"
    verbose_name = _("duty rosters")

    def ready(self) -> None:
        # `fangyi seed-demo` adds the staff pool and the checkpoints' demand after the
        # checkpoints, which it staffs.
        from fangyi.core import demo
        from fangyi.roster.demo import ROSTER_STEP

        names = [step.name for step in demo.STEPS]
        if "checkpoints" in names and ROSTER_STEP.name not in names:
            demo.STEPS.append(ROSTER_STEP)
