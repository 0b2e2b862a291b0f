"""Body temperatures as staff type them on a phone keypad."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# A living person's body temperature measured at a checkpoint or a door; outside this it is a typo.
LOWEST = Decimal("34.0")
HIGHEST = Decimal("43.0")


class TemperatureError(ValueError):
    def __init__(self, message: str, suggestion: Decimal | None = None):
        super().__init__(message)
        self.suggestion = suggestion


def parse_temperature(raw: object) -> Decimal | None:
    """ "36.5" → 36.5; "" → None (not taken); "373" → refused, offering 37.3; out of range refused."""
    text = str(raw if raw is not None else "").strip().replace("，", ".").replace(",", ".")
    text = text.replace("℃", "").replace("°C", "").replace("°", "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TemperatureError(_("“%(value)s” is not a temperature") % {"value": text}) from None
    if not value.is_finite():
        raise TemperatureError(_("“%(value)s” is not a temperature") % {"value": text})
    if LOWEST <= value <= HIGHEST:
        return value.quantize(Decimal("0.1"))
    if text.isdigit() and len(text) == 3:
        guess = Decimal(text) / 10
        if LOWEST <= guess <= HIGHEST:
            raise TemperatureError(
                _("%(value)s °C is impossible: did you mean %(guess)s?")
                % {"value": text, "guess": guess},
                suggestion=guess,
            )
    raise TemperatureError(
        _("%(value)s °C is impossible: a temperature is between %(low)s and %(high)s")
        % {"value": text, "low": LOWEST, "high": HIGHEST}
    )
