from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    name = "fangyi.supplies"
    verbose_name = _("supplies and donations")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds the stores and their stock after the checkpoints.
        from fangyi.supplies.demo import register_demo_step

        register_demo_step()
