from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "fangyi.volunteers"
    verbose_name = _("volunteers and household services")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds the teams and the household requests after the quarantine
        # demo, whose running orders the requests are for.
        from fangyi.volunteers.demo import register_demo_step

        register_demo_step()
