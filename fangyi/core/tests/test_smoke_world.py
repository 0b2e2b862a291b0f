from fangyi.core.models import Person
from fangyi.testing import make_person


def test_it_builds_the_named_world(alice, bob, village_a, village_b):
    mine = make_person(village_a, "王金水")
    make_person(village_b, "张伟")
    assert list(Person.objects.visible_to(alice)) == [mine]
    assert mine.name_initials == "wjs"
    assert len(mine.id_number) == 18
