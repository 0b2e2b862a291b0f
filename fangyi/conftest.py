"""The named test world, used by every app's tests.

County 999901 → town 999901100 (青山镇) → villages 201 (东村) and 202 (西村), group 201001.
A second town 999901101 (白水镇) with village 201.
alice: village cadre of 东村 · bob: village cadre of 西村 · carol: town commander of 青山镇 ·
dave: auditor of 青山镇 · erin: volunteer in 东村 · frank: town commander of 白水镇.
"""

import os

import pytest
from django.db import connection

from fangyi.core.roles import Role
from fangyi.testing import create_jurisdiction, make_user


def pytest_sessionstart(session):
    """CI runs the suite on PostgreSQL too; it must never fall back to SQLite silently."""
    expected = os.environ.get("FANGYI_EXPECT_DB")
    if expected and expected not in os.environ.get("DATABASE_URL", "sqlite"):
        raise pytest.UsageError(f"FANGYI_EXPECT_DB={expected} but DATABASE_URL does not point to it")


@pytest.fixture
def db_vendor(db) -> str:
    return connection.vendor


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
