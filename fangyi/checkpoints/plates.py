"""Chinese vehicle plates (车牌号): normalising what staff type and refusing what cannot exist.

Formats (GA 36-2018): a province character, the issuing authority's letter, then
- 5 characters of letters (never I or O) and digits, the last may be 挂 学 警 港 澳 (trailer,
  driving school, police, Hong Kong, Macau);
- new-energy vehicles have 6: small cars a letter D/F (or A–K) then a letter or digit then
  4 digits (浙G·D12345); large vehicles 5 digits then D or F (粤B·12345D).
Stored without the dot ("皖R12345"), shown with it ("皖R·12345").
"""

import re
import unicodedata

from django.utils.translation import gettext as _

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # no I, no O
_REGULAR = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]$")
_NEW_ENERGY_SMALL = re.compile(rf"^[{PROVINCES}][{_LETTER}][A-HJK][{_LETTER}0-9][0-9]{{4}}$")
_NEW_ENERGY_LARGE = re.compile(rf"^[{PROVINCES}][{_LETTER}][0-9]{{5}}[DF]$")
_SEPARATORS = re.compile(r"[\s·•.\-_]")


class PlateError(ValueError):
    pass


def normalize_plate(raw: str) -> str:
    """ "皖r·12345" → "皖R12345"; raise PlateError (in the user's language) for impossible plates."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SEPARATORS.sub("", text).upper()
    if not text:
        raise PlateError(_("enter the plate number"))
    if text[0] not in PROVINCES:
        raise PlateError(
            _("a plate starts with a province character such as 皖 or 浙, not “%(first)s”")
            % {"first": text[0]}
        )
    if len(text) not in (7, 8):
        raise PlateError(
            _("a plate has 7 characters (8 for new-energy vehicles); “%(plate)s” has %(count)d")
            % {"plate": text, "count": len(text)}
        )
    if "I" in text or "O" in text:
        raise PlateError(_("plates never contain the letters I or O: did you mean 1 or 0?"))
    if len(text) == 7 and _REGULAR.match(text):
        return text
    if len(text) == 8 and (_NEW_ENERGY_SMALL.match(text) or _NEW_ENERGY_LARGE.match(text)):
        return text
    raise PlateError(_("“%(plate)s” is not a valid plate number") % {"plate": text})


def display_plate(plate: str) -> str:
    return f"{plate[:2]}·{plate[2:]}" if len(plate) > 2 else plate
