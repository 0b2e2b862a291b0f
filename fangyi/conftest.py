"""The named test world, used by every app's tests.

County 999901 → town 999901100 (青山镇) → villages 201 (东村) and 202 (西村), group 201001.
A second town 999901101 (白水镇) with village 201.
alice: village cadre of 东村 · bob: village cadre of 西村 · carol: town commander of 青山镇 ·
dave: auditor of 青山镇 · erin: volunteer in 东村 · frank: town commander of 白水镇.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.db import connection

from fangyi.core.roles import Role
from fangyi.testing import create_jurisdiction, make_person, make_user


def pytest_sessionstart(session):
    """CI runs the suite on PostgreSQL too; it must never fall back to SQLite silently."""
    expected = os.environ.get("FANGYI_EXPECT_DB")
    if expected and expected not in os.environ.get("DATABASE_URL", "sqlite"):
        raise pytest.UsageError(
            f"FANGYI_EXPECT_DB={expected} but DATABASE_URL does not point to it"
        )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Test accounts are made by the hundred; the production hasher costs ~1 s each here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_disease_profile():
    """DiseaseProfile.current() caches per process; a test's profile rolls back with its
    transaction, so the cache must not carry it into the next test."""
    from fangyi.core.models import _profile_cache

    _profile_cache.clear()
    yield
    _profile_cache.clear()


@pytest.fixture(autouse=True)
def _fresh_auth_caches():
    """Permission sets and API tokens are cached per process for a few seconds: each test
    starts without them (else a user id reused by the next test would see the last one's)."""
    from fangyi.core import api_auth, auth_backends

    auth_backends.clear_permission_cache()
    api_auth._tokens.clear()
    yield


@pytest.fixture
def db_vendor(db) -> str:
    return connection.vendor


# The demo, seeded once for a class of tests ---------------------------------------------------


@pytest.fixture(scope="class")
def _demo_seeded_for_the_class(django_db_setup, django_db_blocker, tmp_path_factory):
    """`seed_demo` once for a whole test class (a seeding takes 10-20 s; the suite needs dozens).

    As Django's TestCase.setUpTestData: the seeding runs in a transaction opened for the class
    and rolled back after its last test; each test (the `db` fixture) runs in a savepoint inside
    it, rolled back after the test. So no test sees another's writes, and nothing of the demo
    outlives the class (its push list's file is in a folder of the class's own).
    """
    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    uploads = tmp_path_factory.mktemp("demo-uploads")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                UPLOAD_DIR=uploads,
            ):
                call_command("seed_demo", stdout=StringIO())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield uploads
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def seeded_demo(_demo_seeded_for_the_class, db, settings):
    """The demo county as `fangyi seed-demo` makes it, seeded once for the test's class: for
    tests that only read it (a test's own writes are rolled back after it, but files and the
    clock are not: a test that resets the demo or deletes its files seeds its own)."""
    settings.UPLOAD_DIR = _demo_seeded_for_the_class


@pytest.fixture
def county(db):
    return create_jurisdiction("999901", "示范县")


@pytest.fixture
def town(county):
    return create_jurisdiction("999901100", "青山镇")


@pytest.fixture
def other_town(county):
    return create_jurisdiction("999901101", "白水镇")


@pytest.fixture
def village_a(town):
    return create_jurisdiction("999901100201", "东村")


@pytest.fixture
def village_b(town):
    return create_jurisdiction("999901100202", "西村")


@pytest.fixture
def group_a1(village_a):
    return create_jurisdiction("999901100201001", "东村一组")


@pytest.fixture
def other_town_village(other_town):
    return create_jurisdiction("999901101201", "白水村")


@pytest.fixture
def people_everywhere(village_a, village_b, group_a1, other_town_village):
    """One person in each corner of the named world, keyed by where they live."""
    return {
        "village_a": make_person(village_a, "王金水"),
        "group_a1": make_person(group_a1, "李娜"),
        "village_b": make_person(village_b, "张伟"),
        "other_town": make_person(other_town_village, "刘洋"),
    }


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client logged in as `user`, reading the pages in English
    (tests assert the English msgids; the zh-Hans catalogue is tested on its own)."""

    def login(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


@pytest.fixture
def alice(village_a):
    return make_user("alice", Role.VILLAGE_CADRE, village_a, "李爱丽")


@pytest.fixture
def bob(village_b):
    return make_user("bob", Role.VILLAGE_CADRE, village_b, "赵博")


@pytest.fixture
def carol(town):
    return make_user("carol", Role.TOWN_COMMANDER, town, "陈可")


@pytest.fixture
def dave(town):
    return make_user("dave", Role.AUDITOR, town, "邓伟")


@pytest.fixture
def erin(village_a):
    return make_user("erin", Role.VOLUNTEER, village_a, "吴尔")


@pytest.fixture
def frank(other_town):
    return make_user("frank", Role.TOWN_COMMANDER, other_town, "方正")


# Browser tests -------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise pytest.UsageError(
            "browser tests need Debian's chromium: apt-get install chromium chromium-driver"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user, width) → a logged-in Playwright page; screenshots go to test-output/."""
    from fangyi.testing import TEST_PASSWORD

    contexts = []

    def open_page(user, width: int = 360):
        context = browser.new_context(
            viewport={"width": width, "height": 780}, locale="zh-CN", base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button.primary")
        page.wait_for_url(live_server.url + "/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """A full-page PNG under test-output/. Chromium now and then answers "Unable to capture
    screenshot" when the machine is loaded (seen in CI with both databases' suites running);
    the picture is a record, not a check, so it is tried again before the test is failed."""
    from playwright.sync_api import Error as PlaywrightError

    OUTPUT_DIR.mkdir(exist_ok=True)
    path = OUTPUT_DIR / f"{name}.png"
    for _ in range(2):
        try:
            page.screenshot(path=str(path), full_page=True)
            return path
        except PlaywrightError:
            page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    return path
