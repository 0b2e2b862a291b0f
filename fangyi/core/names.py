"""Pinyin search keys for Chinese names: 王金水 → ("wangjinshui", "wjs")."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one (曾 is zeng as a name, not
# ceng). Applied to the first character only; compound surnames are rare enough to leave out.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "解": "xie",
    "查": "zha",
    "盖": "ge",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "乐": "yue",
    "召": "shao",
    "员": "yun",
    "秘": "bi",
    "种": "chong",
    "繁": "po",
    "长": "chang",
    "重": "chong",
    "尉": "yu",
    "宓": "fu",
    "句": "gou",
    "能": "nai",
    "阚": "kan",
    "藏": "zang",
    "过": "guo",
}


@lru_cache(maxsize=20000)
def _syllable(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0].lower()


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower-case, letters only (non-Chinese characters pass through)."""
    chars = [c for c in name if not c.isspace()]
    syllables = [SURNAME_READINGS.get(c) if i == 0 else None for i, c in enumerate(chars)]
    syllables = [s or _syllable(c) for s, c in zip(syllables, chars, strict=True)]
    syllables = [s for s in syllables if s and s[0].isalnum()]
    return "".join(syllables), "".join(s[0] for s in syllables)
