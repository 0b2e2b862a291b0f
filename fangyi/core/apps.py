from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fangyi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Open alerts come first on the home page, whichever app raised them.
        from fangyi.core.alert_views import alerts_panel
        from fangyi.core.views import HOME_PANELS

        if alerts_panel not in HOME_PANELS:
            HOME_PANELS.insert(0, alerts_panel)
