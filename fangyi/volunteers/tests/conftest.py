"""The volunteers tests' world: erin has a Volunteer record in 东村 (alice's village), gina is a
second volunteer of 东村, hank a volunteer of 西村; 王金水 of 东村 is in home quarantine."""

import pytest
from django.utils import translation

from fangyi.core.roles import Role
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, make_user
from fangyi.volunteers.testing import make_volunteer


@pytest.fixture(autouse=True)
def _english(request):
    """Messages are asserted by their English msgids (browser tests read zh-CN pages)."""
    if request.node.get_closest_marker("browser"):
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def erin_volunteer(erin, village_a):
    return make_volunteer(village_a, "吴尔", user=erin)


@pytest.fixture
def gina(village_a):
    return make_user("gina", Role.VOLUNTEER, village_a, "甘娜")


@pytest.fixture
def gina_volunteer(gina, village_a):
    return make_volunteer(village_a, "甘娜", user=gina)


@pytest.fixture
def hank_volunteer(village_b):
    user = make_user("hank", Role.VOLUNTEER, village_b, "韩克")
    return make_volunteer(village_b, "韩克", user=user)


@pytest.fixture
def quarantined(village_a):
    return make_person(village_a, "王金水", current_address="东村3组12号")


@pytest.fixture
def order(quarantined):
    return make_order(quarantined, address="东村3组12号")


@pytest.fixture
def token(order):
    return order.self_report_token
