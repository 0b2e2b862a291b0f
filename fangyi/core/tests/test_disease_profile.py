"""The disease profile: one record, read by every app, refused when the apps could not use it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fangyi.core.models import DiseaseProfile, QuarantineKind


def test_it_starts_with_the_2020_rules(db):
    profile = DiseaseProfile.current()
    assert profile.fever_threshold == Decimal("37.3")
    assert profile.days_for(QuarantineKind.HOME_QUARANTINE) == 14
    assert profile.test_days == [1, 4, 7, 14] and profile.checks_per_day == 2
    assert DiseaseProfile.objects.count() == 1


def test_it_shows_an_edit_at_once_in_this_process(db):
    profile = DiseaseProfile.objects.get(pk=DiseaseProfile.current().pk)
    profile.fever_threshold = Decimal("37.5")
    profile.save()
    assert DiseaseProfile.current().fever_threshold == Decimal("37.5")
    assert DiseaseProfile.objects.count() == 1  # save() always writes the one row


@pytest.mark.parametrize(
    ("place", "level"),
    [("湖北省武汉市江岸区", "high"), ("浙江省温州市", "medium"), ("安徽省合肥市", ""), ("", "")],
)
def test_it_finds_the_risk_level_of_a_place_by_name(db, place, level):
    assert DiseaseProfile.current().risk_level_of(place) == level


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("test_days", [1, 0, 7]),
        ("test_days", "1,4,7"),
        ("check_times", ["8点"]),
        ("check_times", ["08:00"]),  # two checks a day need two times
        ("risk_areas", [{"name": "湖北省", "level": "extreme"}]),
        ("risk_areas", [{"level": "high"}]),
        ("symptoms", ["发热", ""]),
        ("fever_threshold", Decimal("3.73")),
        ("after_centralized_days", 3),  # without saying what follows
    ],
)
def test_it_refuses_a_profile_the_apps_could_not_use(db, field, value):
    profile = DiseaseProfile.objects.get(pk=DiseaseProfile.current().pk)
    setattr(profile, field, value)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        profile.clean()
    assert field in error.value.message_dict


def test_it_accepts_the_2022_chain_of_7_centralized_and_3_home_days(db):
    profile = DiseaseProfile.objects.get(pk=DiseaseProfile.current().pk)
    profile.centralized_days = 7
    profile.after_centralized_kind = QuarantineKind.HOME_MONITORING
    profile.after_centralized_days = 3
    profile.test_days = [1, 2, 3, 5, 7]
    profile.clean()
