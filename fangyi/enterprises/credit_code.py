"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an enterprise.

18 characters from 0-9 and the capital letters without I, O, S, V, Z:

    9 1 | 350100 | M000100Y4 | 3
    | |    |          |        └ 18: check character over the first 17 (GB/T 17710 MOD 31-3)
    | |    |          └ 9-17: the organisation code (GB 11714), its 17th character its own check
    | |    └ 3-8: the registering authority's administrative division (GB/T 2260)
    | └ 2: the kind of organisation within that department (企业 1, 个体工商户 2...)
    └ 1: the registering department (机构编制 1, 民政 5, 工商/市场监管 9, 其他 Y...)

Pure functions, no database: the forms, the services and the demo data call them.
"""

import random
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
VALUE = {char: value for value, char in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^i mod 31

# GB 11714 (the organisation code, characters 9-17): 8 characters then a MOD 11 check.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_VALUE = {char: value for value, char in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}

# Registering department → the organisation kinds it registers (GB 32100-2015 table 1 and the
# departments added since: 外交, 司法行政, 文化, 旅游, 宗教, 工会, 中央军委, 农业).
KINDS_BY_DEPARTMENT = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 编办直管群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}
LENGTH = 18


def check_character(first17: str) -> str:
    """The 18th character for 17 characters of ALPHABET."""
    total = sum(VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(first8: str) -> str:
    """GB 11714's 9th character for the 8 body characters of an organisation code."""
    total = sum(ORG_VALUE[char] * weight for char, weight in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def normalize_credit_code(value: object) -> str:
    """Full-width characters to ASCII, capitals, no spaces or dashes (as pasted from a licence
    photo's OCR or a WeChat message): "９１３５ 0100-m000100y43" → "91350100M000100Y43"."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(
        char
        for char in text.upper()
        if not char.isspace() and char not in "-_—" and unicodedata.category(char) != "Cf"
    )


def validate_credit_code(value: object) -> str:
    """The code normalised (see normalize_credit_code), or ValidationError saying what is wrong
    with it (the first problem found, in the order a person would check it by eye)."""
    code = normalize_credit_code(value)
    if not code:
        raise ValidationError(_("enter the unified social credit code"), code="required")
    if len(code) != LENGTH:
        raise ValidationError(
            _(
                "a unified social credit code has 18 characters; this one has %(count)d: "
                "check for a missing or extra character"
            )
            % {"count": len(code)},
            code="length",
        )
    for position, char in enumerate(code, start=1):
        if char not in VALUE:
            if char in "IOSVZ":
                reason = _(
                    "character %(position)d is “%(char)s”: credit codes never use the letters "
                    "I, O, S, V or Z (is it the digit 1, 0, 5 or 2?)"
                )
            else:
                reason = _(
                    "character %(position)d is “%(char)s”: a credit code has only digits and "
                    "capital letters"
                )
            raise ValidationError(reason % {"position": position, "char": char}, code="character")
    department, kind = code[0], code[1]
    if department not in KINDS_BY_DEPARTMENT:
        raise ValidationError(
            _("the first character “%(char)s” is not a registering department's code")
            % {"char": department},
            code="department",
        )
    if kind not in KINDS_BY_DEPARTMENT[department]:
        raise ValidationError(
            _("the second character “%(char)s” is not a kind of organisation registered there")
            % {"char": kind},
            code="kind",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("characters 3 to 8 are the registering authority's area code: six digits"),
            code="area",
        )
    expected_org = organisation_check_character(code[8:16])
    if code[16] != expected_org:
        raise ValidationError(
            _(
                "characters 9 to 17 are the organisation code, whose check character (17th) "
                "should be %(check)s: check characters 9 to 17 against the licence"
            )
            % {"check": expected_org},
            code="organisation_check",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "the 18th character of the unified social credit code should be %(check)s: "
                "check the code against the business licence"
            )
            % {"check": expected},
            code="check",
        )
    return code


def compose_credit_code(
    area_code: str = "999901",
    sequence: int | None = None,
    *,
    department: str = "9",
    kind: str = "1",
    rng: random.Random | None = None,
) -> str:
    """A valid code for test and demo data: the organisation body is `sequence` as 8 digits
    (or random characters), both check characters computed."""
    if sequence is None:
        rng = rng or random.Random()
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
    else:
        body = f"{sequence % 10**8:08d}"
    organisation = body + organisation_check_character(body)
    first17 = f"{department}{kind}{area_code}{organisation}"
    if organisation[-1] not in VALUE:  # pragma: no cover: GB 11714 checks are digits or X
        raise ValueError(first17)
    return first17 + check_character(first17)
