"""The translation catalogues: complete, placeholder-safe, compiled, and actually used.

After editing a django.po, run scripts/compile-messages and commit the django.mo with it.
"""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from fangyi.core.identity import IdentityError, normalize_phone, parse_id_number
from fangyi.core.roles import Role

# A printf-style conversion as Python's % operator reads it: %(name)s, %(seconds).1f, %s, %%.
_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?.")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The people list's count (a template plural); not a literal call, so makemessages skips it.
_PEOPLE_COUNT = ("%(counter)s person", "%(counter)s people")


def _catalogue_paths() -> list[Path]:
    paths = sorted(
        po
        for locale in settings.LOCALE_PATHS
        for po in Path(locale).glob("*/LC_MESSAGES/django.po")
    )
    assert paths, f"no .po files under {settings.LOCALE_PATHS}"
    return paths


def _placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Named placeholders as a set (order and repetition are free); positional ones in order."""
    named, positional = set(), []
    for match in _PLACEHOLDER.finditer(text):
        spec = match.group(0)
        if spec == "%%":
            continue
        if match.group("name") is not None:
            named.add(spec)
        else:
            positional.append(spec)
    return frozenset(named), tuple(positional)


def _translations(entries) -> dict[tuple[str, str, str], str | tuple[str, ...]]:
    """msgctxt, msgid, msgid_plural → msgstr (or the plural msgstrs in order)."""
    catalogue = {}
    for entry in entries:
        key = (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")
        if entry.msgid_plural:
            catalogue[key] = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            catalogue[key] = entry.msgstr
    return catalogue


def test_it_translates_every_entry_of_every_catalogue_keeping_its_placeholders():
    problems = []
    for path in _catalogue_paths():
        catalogue = polib.pofile(str(path))
        if catalogue.metadata_is_fuzzy:
            problems.append(f"{path}: the header is marked fuzzy")
        plural_forms = catalogue.metadata.get("Plural-Forms", "")
        nplurals = re.search(r"nplurals\s*=\s*(\d+)", plural_forms)
        if not nplurals:
            problems.append(f"{path}: the header has no Plural-Forms")
            continue
        nplurals = int(nplurals.group(1))
        for entry in catalogue:
            if entry.obsolete:
                continue
            where = f"{path.name}:{entry.linenum} {entry.msgid!r}"
            if entry.fuzzy:
                problems.append(f"{where}: fuzzy")
            if not entry.translated():
                problems.append(f"{where}: not translated")
                continue
            if entry.msgid_plural:
                sources = {_placeholders(entry.msgid), _placeholders(entry.msgid_plural)}
                if len(entry.msgstr_plural) != nplurals:
                    problems.append(
                        f"{where}: {len(entry.msgstr_plural)} plural forms, not {nplurals}"
                    )
                targets = list(entry.msgstr_plural.values())
            else:
                sources = {_placeholders(entry.msgid)}
                targets = [entry.msgstr]
            for target in targets:
                if _placeholders(target) not in sources:
                    problems.append(f"{where}: placeholders differ in {target!r}")
    assert not problems, "\n".join(problems)


def test_it_keeps_no_previous_msgid_comments_that_msgmerge_rejects():
    """`#| msgid_plural` without `#| msgid` (polib can write it) makes `makemessages` fail,
    silently with its output hidden, so new strings never reach the catalogue. A committed
    catalogue has no use for these hints: none at all."""
    for path in _catalogue_paths():
        hints = [
            n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith("#|")
        ]
        assert not hints, f"{path}: remove the '#|' lines {hints[:5]}"


def test_it_has_committed_each_catalogue_compiled_from_its_current_po():
    for path in _catalogue_paths():
        mo_path = path.with_suffix(".mo")
        assert mo_path.exists(), f"{mo_path} is missing: run scripts/compile-messages"
        source = polib.pofile(str(path))
        compiled = polib.mofile(str(mo_path))
        stale = f"{mo_path} is out of date: run scripts/compile-messages and commit it"
        assert _translations(compiled) == _translations(source.translated_entries()), stale
        # What gettext reads from the header at run time (msgfmt drops POT-Creation-Date).
        for key in ("Content-Type", "Language", "Plural-Forms"):
            assert compiled.metadata.get(key) == source.metadata.get(key), stale


def test_it_shows_the_login_page_in_chinese_by_default_and_in_english_on_request(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "Log in" not in page

    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page and "登录" not in page


def test_it_gives_service_errors_and_labels_in_chinese():
    with translation.override("zh-hans"):
        with pytest.raises(IdentityError) as wrong_length:
            parse_id_number("1234567")
        with pytest.raises(IdentityError) as bad_phone:
            normalize_phone("1390000")
        assert str(Role.VILLAGE_CADRE.label) == "村干部"
        people = translation.ngettext(*_PEOPLE_COUNT, 3)
    assert _CHINESE.search(str(wrong_length.value)) and "7" in str(wrong_length.value)
    assert _CHINESE.search(str(bad_phone.value))
    assert people % {"counter": 3} == "共 3 人"

    with translation.override("en"), pytest.raises(IdentityError) as english:
        parse_id_number("1234567")
    assert "18 characters" in str(english.value)
