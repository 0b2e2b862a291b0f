from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "fangyi.command"
    verbose_name = _("command post")

    def ready(self) -> None:
        # `fangyi seed-demo` ends with the figures rolled up and the morning briefings made,
        # after every other app's demo data (this app is the last one installed).
        from fangyi.command.demo import register_demo_step

        register_demo_step()
