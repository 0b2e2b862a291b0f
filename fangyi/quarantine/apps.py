from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "fangyi.quarantine"
    verbose_name = _("quarantine")

    def ready(self) -> None:
        # The home page: "N people to check now" for team members, the town's figures.
        from fangyi.core.views import HOME_PANELS
        from fangyi.quarantine.views import home_panel

        if home_panel not in HOME_PANELS:
            HOME_PANELS.append(home_panel)
        # `fangyi seed-demo` seeds quarantine after the checkpoints (and before tracing).
        from fangyi.quarantine.demo import register_demo_step

        register_demo_step()
