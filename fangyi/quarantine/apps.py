from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuarantineConfig(AppConfig):
    name = "fangyi.quarantine"
    verbose_name = _("quarantine")
