from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliesConfig(AppConfig):
    name = "fangyi.supplies"
    verbose_name = _("supplies and donations")
