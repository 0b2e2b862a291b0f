"""Pinyin search keys for Chinese names: 王金水 → ("wangjinshui", "wjs")."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def _syllable(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0].lower()


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower-case, letters only (non-Chinese characters pass through)."""
    syllables = [s for s in (_syllable(c) for c in name if not c.isspace()) if s and s[0].isalnum()]
    return "".join(syllables), "".join(s[0] for s in syllables)
