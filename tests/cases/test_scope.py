"""Who sees which cases (DESIGN.md "Access"): every selector is scoped to the actor; outside the scope a case
does not exist."""

import pytest
from django.contrib.auth import get_user_model

from tests.cases.flow import MONDAY, act, case_in, submit
from tests.conftest import at
from whistle.cases import selectors
from whistle.core.errors import Forbidden, NotFound
from whistle.org.scopes import Actor


@pytest.fixture
def cases(heze):
    """A: 曹县 case of 曹县住建局; B: 单县 case of 单县住建局; C: 曹县 enterprise's case led by the city's 市场监管局;
    E: an unroutable 单县 case; F: a 曹县 case led by 曹县住建局 with 曹县市场监管局 assisting."""
    c = {
        "A": submit(heze),
        "B": submit(heze, "ent_shan", category="construction"),
        "C": submit(heze, category="market"),
        "E": submit(heze, "ent_shan", category="other"),
        "F": submit(heze, "ent_cao2", category="other"),
    }
    act(heze, c["F"], "dispatch", "cao_office", {"unit": "caoxian-zjj", "assisting_units": ["caoxian-scjg"]}, MONDAY)
    return c


def visible(heze, cases, user) -> set[str]:
    numbers = set(selectors.case_list(heze.actor(user)).values_list("pk", flat=True))
    return {name for name, case in cases.items() if case.pk in numbers}


def sees(heze, cases, subtests, expected: dict[str, str]):
    for user, names in expected.items():
        with subtests.test(user=user):
            assert visible(heze, cases, user) == set(names)


def test_enterprise_user_sees_only_its_enterprises_cases(heze, cases, subtests):
    sees(heze, cases, subtests, {"ent_cao": "ACF", "ent_cao2": "ACF", "ent_shan": "BE"})


def test_handler_sees_its_units_cases_and_the_cases_it_assists(heze, cases, subtests):
    sees(heze, cases, subtests, {"cao_zjj": "AF", "cao_scjg": "F", "shan_zjj": "B", "city_scjg": "C"})


def test_county_coordinator_sees_its_county_subtree(heze, cases, subtests):
    sees(heze, cases, subtests, {"cao_office": "ACF", "shan_office": "BE"})


def test_city_coordinator_sees_all_cases(heze, cases):
    assert visible(heze, cases, "city_office") == set("ABCEF")


def test_leader_reads_its_subtree(heze, cases, subtests):
    sees(heze, cases, subtests, {"cao_leader": "ACF", "city_leader": "ABCEF"})


def test_leader_and_auditor_read_but_cannot_act(heze, cases, subtests):
    case = cases["A"]
    for user in ["cao_leader", "city_leader", "auditor"]:
        with subtests.test(user=user):
            assert selectors.case_get(heze.actor(user), case.number).pk == case.pk
            for action, payload in [("accept", {}), ("comment", {"note": "请加快"}), ("urge", {}), ("supervise", {})]:
                with pytest.raises(Forbidden):
                    act(heze, case, action, user, payload)


def test_auditor_reads_all_cases(heze, cases):
    assert visible(heze, cases, "auditor") == set("ABCEF")


def test_user_without_a_role_sees_nothing(heze, cases):
    nobody = Actor.of(get_user_model().objects.create_user("nobody", password="x" * 12))
    assert selectors.case_list(nobody).count() == 0 and selectors.inbox(nobody).count() == 0


def test_case_outside_scope_is_not_found_exactly_like_a_missing_case(heze, cases):
    with pytest.raises(NotFound) as outside:
        selectors.case_get(heze.actor("ent_shan"), cases["A"].number)
    with pytest.raises(NotFound) as missing:
        selectors.case_get(heze.actor("ent_shan"), "HZ99999999")
    assert outside.value.as_dict() == missing.value.as_dict()
    with pytest.raises(NotFound):
        act(heze, cases["A"], "accept", "shan_zjj")


def test_malformed_case_number_is_not_found(heze, cases, subtests):
    for number in ["HZ1", "HZ²", "HZ00000001 ", "hz00000001", "HZ-0000001", "HZ" + "9" * 30, "1"]:
        with subtests.test(number=number), pytest.raises(NotFound):
            selectors.case_get(heze.actor("auditor"), number)


def test_inbox_lists_the_units_open_cases_nearest_deadline_first(heze):
    in_progress = case_in(heze, "in_progress")  # next due: solve, 23 Nov
    replied = case_in(heze, "replied")  # owes nothing until the follow-up
    fresh = submit(heze, now=at(2026, 11, 3, 10))  # next due: contact, 3 Nov 12:00
    closed = act(heze, submit(heze), "withdraw", "ent_cao", {"reason": "已解决"}, at(2026, 11, 2, 11))
    submit(heze, "ent_shan", category="construction")
    inbox = list(selectors.inbox(heze.actor("cao_zjj")))
    assert inbox == [fresh, in_progress, replied] and closed not in inbox


def test_inbox_of_an_actor_without_a_unit_is_empty(heze):
    submit(heze, category="other")  # waits in `submitted`, with no lead unit
    assert list(selectors.inbox(heze.actor("ent_cao"))) == []
    assert list(selectors.inbox(heze.actor("auditor"))) == []


def test_case_list_filters_by_state_and_kind(heze, cases, subtests):
    for filters, expected in [
        ({"state": "submitted"}, "E"),
        ({"state": "submitted,dispatched"}, "ABCEF"),
        ({"kind": "help"}, "ABCEF"),
        ({"kind": "complaint"}, ""),
    ]:
        with subtests.test(**filters):
            ids = set(selectors.case_list(heze.actor("city_office"), **filters).values_list("pk", flat=True))
            assert {name for name, case in cases.items() if case.pk in ids} == set(expected)


def test_case_list_filters_by_unit_county_overdue_and_due_before(heze, cases):
    city = heze.actor("city_office")
    ids = lambda qs: {name for name, case in cases.items() if case.pk in set(qs.values_list("pk", flat=True))}  # noqa: E731
    assert ids(selectors.case_list(city, unit=heze.cao_zjj.pk)) == set("AF")
    assert ids(selectors.case_list(city, county=heze.shan.pk)) == set("BE")
    # Every dispatched case owes contact by Monday 12:00; the unroutable one owes nothing yet.
    assert ids(selectors.case_list(city, overdue=True, now=at(2026, 11, 2, 12, 1))) == set("ABCF")
    assert ids(selectors.case_list(city, overdue=False, now=at(2026, 11, 2, 12, 1))) == set("E")
    assert ids(selectors.case_list(city, due_before=at(2026, 11, 2, 12, 1))) == set("ABCF")
    assert ids(selectors.case_list(city, due_before=at(2026, 11, 2, 12, 0))) == set()
