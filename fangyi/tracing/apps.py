from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TracingConfig(AppConfig):
    name = "fangyi.tracing"
    verbose_name = _("tracing")

    def ready(self) -> None:
        # `fangyi seed-demo` seeds tracing after the quarantine demo, which it builds on (its
        # contacts go to the quarantine demo's site), and resets it before; without that
        # step there is nothing to trace from.
        from fangyi.core import demo
        from fangyi.tracing.demo import TRACING_STEP

        names = [step.name for step in demo.STEPS]
        if "quarantine" in names and TRACING_STEP.name not in names:
            demo.STEPS.append(TRACING_STEP)
