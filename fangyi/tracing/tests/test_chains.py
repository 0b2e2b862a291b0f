"""Chains: the breadth-first expansion over contacts (exact nodes, edges and colours, in a fixed
number of queries, on the indexed source column), the scoped chain of a case (people of
another jurisdiction masked), and the county's chain list in one query per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangyi.quarantine.models import OrderStatus, QuarantineOrder
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person
from fangyi.tracing import services
from fangyi.tracing.models import Contact
from fangyi.tracing.selectors import chain_for_case, chain_list, expand_chain
from fangyi.tracing.tests.builders import SYSTEM, make_case


def contact(case, person, degree="close", source=None):
    return services.add_contact(SYSTEM, case, person, degree=degree, relation="work", source=source)


@pytest.fixture
def world(village_a, village_b, other_town_village):
    """A (confirmed) → B (under quarantine) → D (secondary, traced) → G (a third step);
    A → C (released); A → E (an asymptomatic case of 白水镇) → F (E's close contact)."""
    people = {
        "A": make_person(village_a, "甲"),
        "B": make_person(village_a, "乙", current_address="东村1号"),
        "C": make_person(village_b, "丙", current_address="西村1号"),
        "D": make_person(village_b, "丁"),
        "E": make_person(other_town_village, "戊"),
        "F": make_person(other_town_village, "己小明"),
        "G": make_person(village_a, "庚"),
    }
    case = make_case(people["A"])
    contact(case, people["B"])
    contact(case, people["C"])
    contact(case, people["E"])
    contact(case, people["D"], "secondary", source=people["B"])
    make_order(people["B"], address="东村1号")
    released = make_order(people["C"], address="西村1号")
    # A released order (as release_order leaves it), without its 14 days of checks.
    QuarantineOrder.objects.filter(pk=released.pk).update(status=OrderStatus.RELEASED)
    other = make_case(people["E"], "asymptomatic")
    contact(other, people["F"])
    third = make_case(people["D"], "cleared")  # excluded: not a case on the chain
    contact(third, people["G"])
    return {"people": people, "case": case, "other": other}


def test_it_expands_two_steps_with_each_status_in_five_queries(world, django_assert_num_queries):
    p = world["people"]
    with django_assert_num_queries(5):  # two steps, names, cases, orders
        chain = expand_chain([p["A"].pk], hops=2)
    names = {node.pk: node.name for node in chain.nodes}
    statuses = {
        names[node.pk]: (node.status, node.classification, node.hop) for node in chain.nodes
    }
    assert statuses == {
        "甲": ("case", "confirmed", 0),
        "乙": ("quarantined", "", 1),
        "丙": ("released", "", 1),
        "戊": ("case", "asymptomatic", 1),
        "丁": ("traced", "cleared", 2),
        "己小明": ("traced", "", 2),
    }
    edges = {(names[s], names[t], degree) for s, t, degree in chain.edges}
    assert edges == {
        ("甲", "乙", "close"),
        ("甲", "丙", "close"),
        ("甲", "戊", "close"),
        ("乙", "丁", "secondary"),
        ("戊", "己小明", "close"),
    }
    three = expand_chain([p["A"].pk], hops=3)
    assert "庚" in {node.name for node in three.nodes}


def test_a_cycle_adds_an_edge_and_no_node_twice(world):
    p = world["people"]
    contact(world["other"], p["A"])  # 甲 is also a close contact of 戊's case
    chain = expand_chain([p["A"].pk], hops=2)
    assert len(chain.nodes) == len({node.pk for node in chain.nodes}) == 6
    assert (p["E"].pk, p["A"].pk, "close") in chain.edges


def test_the_chain_json_names_people_by_uuid_and_has_no_identity_numbers(world, carol):
    data = chain_for_case(carol, world["case"]).as_json()
    a = world["people"]["A"]
    assert data["nodes"][0] == {
        "id": str(a.external_id),
        "name": "甲",
        "status": "case",
        "classification": "confirmed",
        "hop": 0,
        "link": True,
    }
    assert {
        "source": str(a.external_id),
        "target": str(world["people"]["B"].external_id),
        "degree": "close",
    } in data["edges"]
    assert a.id_number not in str(data)


def test_the_scoped_chain_masks_people_reached_through_another_town_s_case(
    world, carol, frank, bob
):
    nodes = {node.pk: node for node in chain_for_case(carol, world["case"]).nodes}
    p = world["people"]
    assert nodes[p["E"].pk].name == "戊" and nodes[p["E"].pk].visible  # a contact of this case
    assert nodes[p["F"].pk].name == "己*明" and not nodes[p["F"].pk].visible
    assert chain_for_case(frank, world["case"]) is None
    assert chain_for_case(bob, world["case"]) is None


def test_every_query_of_the_expansion_searches_an_index(world, db_vendor):
    if db_vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL's depends on its statistics")
    with CaptureQueriesContext(connection) as executed:
        expand_chain([world["people"]["A"].pk], hops=2)
    plans = []
    with connection.cursor() as cursor:
        for query in executed.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans.append(" ".join(row[-1] for row in cursor.fetchall()))
    assert len(plans) == 5
    assert all("USING INDEX tracing_contact_source_id" in plan for plan in plans[:2])
    for plan in plans:
        assert "SEARCH" in plan and "SCAN" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_chain_list_counts_and_names_the_source_case_in_one_query(
    world, carol, django_assert_num_queries
):
    assert carol.has_perm("tracing.view_case")  # (the permission cache, filled once per request)
    with django_assert_num_queries(1):
        cases = {case.person.name: case for case in chain_list(carol)}
    first = cases["甲"]
    assert (first.close_count, first.secondary_count, first.quarantined_count) == (3, 1, 0)
    assert first.source_case_id is None
    assert cases["丁"].source_case_name == "甲"  # 丁's case came from 甲's
    assert "戊" not in cases  # 白水镇's case


def test_the_chain_list_counts_contacts_under_quarantine(world, carol):
    p = world["people"]
    services.quarantine_contacts(
        SYSTEM, list(Contact.objects.filter(case=world["case"], person=p["B"]))
    )
    (first,) = [case for case in chain_list(carol) if case.person_id == p["A"].pk]
    assert first.quarantined_count == 1
