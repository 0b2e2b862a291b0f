from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckpointsConfig(AppConfig):
    name = "fangyi.checkpoints"
    verbose_name = _("checkpoints")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds the checkpoints after the ledger (and resets them before it).
        from fangyi.checkpoints.demo import CHECKPOINTS_STEP
        from fangyi.core import demo

        if all(step.name != CHECKPOINTS_STEP.name for step in demo.STEPS):
            demo.STEPS.append(CHECKPOINTS_STEP)
        # The home page: a big "register" button for staff, and today's checkpoint figures.
        from fangyi.checkpoints.registration_views import figures_panel
        from fangyi.checkpoints.staff_views import register_panel
        from fangyi.core.views import HOME_PANELS

        for panel in (register_panel, figures_panel):
            if panel not in HOME_PANELS:
                HOME_PANELS.append(panel)
