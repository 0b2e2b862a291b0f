import pytest

from fangyi.core.roles import Role
from fangyi.enterprises.testing import make_enterprise
from fangyi.testing import make_user


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture
def zhou(village_a):
    """The contact of 青山机械厂 (a small firm of 东村)."""
    return make_user("zhou", Role.ENTERPRISE_CONTACT, village_a, "周经理")


@pytest.fixture
def wu(village_b):
    """The contact of another company (西村)."""
    return make_user("wu", Role.ENTERPRISE_CONTACT, village_b, "吴经理")


@pytest.fixture
def gina(county):
    return make_user("gina", Role.COUNTY_COMMANDER, county, "葛县长")


@pytest.fixture
def factory(village_a, zhou):
    return make_enterprise(village_a, "青山机械厂", contacts=[zhou])


@pytest.fixture
def big_factory(village_b, wu):
    return make_enterprise(village_b, "西村纺织厂", size="large", staff_count=450, contacts=[wu])
