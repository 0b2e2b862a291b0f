"""ID numbers (GB 11643-1999), mobile numbers, masking and pinyin keys: pure functions, no DB."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from fangyi.core.identity import (
    IdentityError,
    compose_id_number,
    id_check_char,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_phone,
    parse_id_number,
)
from fangyi.core.names import pinyin_keys

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _today() -> date:
    return timezone.localdate()


area_codes = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=_today())
sequences = st.integers(min_value=0, max_value=999)
valid_ids = st.builds(compose_id_number, area_codes, birth_dates, sequences)


def _an_id_ending_in_x(area: str = "341721", born: date = date(1980, 1, 1)) -> str:
    for sequence in range(1000):
        number = compose_id_number(area, born, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives an X check character")  # pragma: no cover


# GB 11643 checksum -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, born, sex",
    [
        # The example printed in the standard itself.
        ("11010519491231002X", date(1949, 12, 31), "F"),
        ("34172119800101008X", date(1980, 1, 1), "F"),
        ("341721198001011234", date(1980, 1, 1), "M"),
        (compose_id_number("999901", date(2000, 2, 29), 2), date(2000, 2, 29), "F"),
        (compose_id_number("440305", date(1900, 1, 1), 999), date(1900, 1, 1), "M"),
    ],
)
def test_it_accepts_known_good_id_numbers(number, born, sex):
    parsed = parse_id_number(number)

    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.sex == sex


def test_it_computes_the_check_character_by_the_standard_weights():
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167;
    # 167 mod 11 = 2 → X
    assert id_check_char("11010519491231002") == "X"
    assert compose_id_number("110105", date(1949, 12, 31), 2) == "11010519491231002X"


@given(area=area_codes, born=birth_dates, sequence=sequences)
def test_it_round_trips_generated_valid_ids(area, born, sequence):
    number = compose_id_number(area, born, sequence)

    parsed = parse_id_number(number)

    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if sequence % 2 else "F")


@given(number=valid_ids, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_it_rejects_any_single_character_change(number, position, data):
    replacement = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[position]]))
    damaged = number[:position] + replacement + number[position + 1 :]

    with pytest.raises(IdentityError):
        parse_id_number(damaged)


def test_it_normalises_a_lowercase_x():
    number = _an_id_ending_in_x()

    assert parse_id_number(number[:-1] + "x").number == number


def test_it_repairs_full_width_digits():
    assert parse_id_number("３４１７２１１９８００１０１００８Ｘ").number == "34172119800101008X"
    assert parse_id_number("３４１７２１１９８００１０１００８ｘ").number == "34172119800101008X"


@pytest.mark.parametrize(
    "damage",
    [
        lambda n: f"  {n[:6]} {n[6:14]} {n[14:]}  ",  # spaces, as typed
        lambda n: f"\u3000{n}\u00a0",  # ideographic and no-break spaces
        lambda n: f"\ufeff{n[:9]}\u200b{n[9:]}\u200d",  # BOM and zero-width characters
        lambda n: f"{n[:4]}\u2060{n[4:]}\u00ad",  # word joiner, soft hyphen
        lambda n: f"\u200e{n}\u200f",  # bidi marks from copy-paste
        lambda n: f"{n}\n",
    ],
)
def test_it_drops_spaces_and_invisible_characters(damage):
    number = compose_id_number("341721", date(1980, 1, 1), 123)

    assert parse_id_number(damage(number)).number == number


def test_it_refuses_digits_of_other_scripts_rather_than_storing_them():
    # isdigit() is true for Arabic-Indic digits; an X-check number would otherwise pass as is.
    number = _an_id_ending_in_x()

    with pytest.raises(IdentityError):
        parse_id_number(number.translate(ARABIC_INDIC))


def test_it_converts_a_legacy_15_digit_number():
    # 340524 800101 001 → 340524 19800101 001 + check. Weighted sum by hand:
    # 3·7+4·9+0·10+5·5+2·8+4·4+1·2+9·1+8·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 189;
    # 189 mod 11 = 2 → "10X98765432"[2] = X.
    parsed = parse_id_number("340524800101001")

    assert parsed.number == "34052419800101001X"
    assert parsed.birth_date == date(1980, 1, 1)
    assert parsed.sex == "M"


def test_it_takes_the_sex_of_a_legacy_number_from_its_last_digit():
    assert parse_id_number("340524800101002").sex == "F"


@pytest.mark.parametrize(
    "first17",
    [
        "34172119800230123",  # 30 February
        "34172119810229123",  # 29 February in a common year
        "34172119801301123",  # month 13
        "34172119800100123",  # day 0
        "34172118800101123",  # born 1880
    ],
)
def test_it_rejects_impossible_birth_dates(first17):
    number = first17 + id_check_char(first17)  # the checksum is right; only the date is wrong

    with override("en"), pytest.raises(IdentityError, match="birth date"):
        parse_id_number(number)


def test_it_rejects_a_birth_date_in_the_future():
    number = compose_id_number("341721", _today() + timedelta(days=1), 123)

    with override("en"), pytest.raises(IdentityError, match="birth date"):
        parse_id_number(number)


def test_it_accepts_a_baby_born_today():
    assert parse_id_number(compose_id_number("341721", _today(), 124)).birth_date == _today()


def test_it_rejects_an_impossible_date_in_a_legacy_number():
    with pytest.raises(IdentityError):
        parse_id_number("340524800230001")


@pytest.mark.parametrize("length", [1, 14, 16, 17, 19, 20])
def test_it_rejects_the_wrong_length(length):
    number = ("34172119800101123X" * 2)[:length]

    with override("en"), pytest.raises(IdentityError, match=rf"not {length}$"):
        parse_id_number(number)


@pytest.mark.parametrize("value", ["", "   ", "\u200b"])
def test_it_rejects_an_empty_id_number(value):
    with override("en"), pytest.raises(IdentityError, match="empty"):
        parse_id_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "4.20102E+17",
        "4.20102e+17",
        "4.20102E17",
        "420102198001011234.0",
        "34172119800101123.0",
        4.20102e17,
    ],
)
def test_it_refuses_numbers_excel_mangled_instead_of_guessing(value):
    with override("en"), pytest.raises(IdentityError, match="Excel"):
        parse_id_number(value)


@pytest.mark.parametrize(
    "value", ["3417211980010112-3", "34172119800101123Y", "341721198001010/8X"]
)
def test_it_rejects_foreign_characters(value):
    with override("en"), pytest.raises(IdentityError, match="only contain digits"):
        parse_id_number(value)


@pytest.mark.parametrize("value", ["X4172119800101123X", "3417211980010X1234", "34052480010100X"])
def test_it_says_where_an_x_may_stand_rather_than_blaming_the_length(value):
    with override("en"), pytest.raises(IdentityError) as error:
        parse_id_number(value)

    assert "X" in str(error.value)
    assert "not 18" not in str(error.value)
    assert "not 15" not in str(error.value)


# Phones ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "86-13800138000",
        "0086 13800138000",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        "\u200b138 0013 8000\ufeff",
    ],
)
def test_it_normalises_mobile_numbers(raw):
    assert normalize_phone(raw) == "13800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # 12x is not a mobile prefix
        "23800138000",  # starts with 2
        "02788776655",  # a landline
        "+86 1380013800",  # prefix plus 10 digits
        "138OO138OOO",  # letter O for zero
        "13" + "800138000".translate(ARABIC_INDIC),
    ],
)
def test_it_rejects_what_is_not_a_mobile_number(raw):
    with pytest.raises(IdentityError):
        normalize_phone(raw)


def test_it_says_how_many_digits_a_wrong_phone_has():
    with override("en"), pytest.raises(IdentityError, match=r"11 digits.*\b10\b"):
        normalize_phone("1380013800")


def test_it_rejects_an_empty_phone():
    with override("en"), pytest.raises(IdentityError, match="empty"):
        normalize_phone(" ")


# Masking ---------------------------------------------------------------------------------------


def test_it_masks_an_id_number_to_its_first_and_last_four():
    assert mask_id_number("34172119800101123X") == "3417**********123X"


def test_it_masks_a_phone_to_its_first_three_and_last_four():
    assert mask_phone("13800138000") == "138****8000"


def test_it_masks_short_values_entirely():
    assert mask_id_number("12345678") == "********"
    assert mask_phone("1234567") == "*******"


@pytest.mark.parametrize(
    "name, masked",
    [("王金水", "王*水"), ("张伟", "张*"), ("欧阳娜娜", "欧**娜"), ("王", "王"), ("", "")],
)
def test_it_masks_names_for_publication(name, masked):
    assert mask_name(name) == masked


# Pinyin keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, keys",
    [
        ("王金水", ("wangjinshui", "wjs")),
        ("张伟", ("zhangwei", "zw")),
        ("李 娜", ("lina", "ln")),
        ("曾国藩", ("zengguofan", "zgf")),  # the surname's reading, not ceng
        ("单田芳", ("shantianfang", "stf")),
        ("何曾", ("heceng", "hc")),  # only the first character is a surname
    ],
)
def test_it_builds_pinyin_search_keys(name, keys):
    assert pinyin_keys(name) == keys
