from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "fangyi.enterprises"
    verbose_name = _("enterprise resumption")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds the enterprises and their filings after the quarantine demo,
        # whose orders the employee rosters are screened against.
        from fangyi.enterprises.demo import register_demo_step

        register_demo_step()
