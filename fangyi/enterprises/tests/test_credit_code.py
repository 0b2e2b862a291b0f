"""The unified social credit code (GB 32100-2015): normalising, checking, composing."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from fangyi.enterprises.credit_code import (
    ALPHABET,
    check_character,
    compose_credit_code,
    normalize_credit_code,
    organisation_check_character,
    validate_credit_code,
)

# The example printed in GB 32100-2015 (and on every explainer of it).
STANDARD_EXAMPLE = "91350100M000100Y43"


def _message(value: str) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_credit_code(value)
    return refused.value.messages[0]


def test_it_accepts_the_standards_example():
    assert validate_credit_code(STANDARD_EXAMPLE) == STANDARD_EXAMPLE
    assert check_character(STANDARD_EXAMPLE[:17]) == "3"
    assert organisation_check_character("M000100Y") == "4"


def test_it_normalises_full_width_spaces_dashes_and_lowercase():
    assert validate_credit_code("９１３５ 0100-m000100y43") == STANDARD_EXAMPLE
    assert validate_credit_code(" 91350100M000100Y43\u200b") == STANDARD_EXAMPLE
    assert normalize_credit_code(None) == ""


def test_it_names_the_expected_check_character():
    assert "should be 3" in _message("91350100M000100Y44")


def test_it_says_the_check_character_in_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_credit_code("91350100M000100Y44")
    assert "3" in refused.value.messages[0]


def test_it_refuses_a_wrong_length():
    assert "has 17" in _message("91350100M000100Y4")
    assert "has 19" in _message("91350100M000100Y433")
    assert "enter the unified social credit code" in _message("  ")


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_it_refuses_the_letters_the_code_never_uses(letter):
    code = STANDARD_EXAMPLE[:8] + letter + STANDARD_EXAMPLE[9:]
    assert f"character 9 is “{letter}”" in _message(code)


def test_it_refuses_punctuation_and_chinese():
    assert "only digits and capital letters" in _message("91350100M000100Y4号")


def test_it_refuses_an_unknown_department_or_kind():
    assert "first character" in _message("B1350100M000100Y43")
    assert "second character" in _message("95350100M000100Y43")


def test_it_refuses_letters_in_the_area_code():
    assert "area code" in _message("9135A100M000100Y43")


def test_it_checks_the_organisation_codes_own_check_character():
    # Characters 9-17 changed so the 18th still fits: only GB 11714's check can see it.
    first17 = "91350100M000100Y5"
    code = first17 + check_character(first17)
    assert "should be 4" in _message(code)


def test_it_composes_codes_for_individual_businesses_and_cooperatives():
    for kind in "123":
        code = compose_credit_code("999901", 7, kind=kind)
        assert code[:2] == f"9{kind}" and validate_credit_code(code) == code


@settings(max_examples=300, deadline=None)
@given(
    sequence=st.integers(min_value=0, max_value=10**8 - 1),
    area=st.from_regex(r"\A[0-9]{6}\Z"),
    department_kind=st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "53", "Y1", "N2"]),
)
def test_it_validates_every_composed_code(sequence, area, department_kind):
    code = compose_credit_code(
        area, sequence, department=department_kind[0], kind=department_kind[1]
    )
    assert validate_credit_code(code) == code


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(sorted(set(ALPHABET) | set("IOSVZ"))),
)
def test_it_refuses_any_single_character_change(seed, position, replacement):
    import random

    code = compose_credit_code("999901", rng=random.Random(seed))
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError):
        validate_credit_code(changed)
