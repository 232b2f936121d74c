"""Never a 500: random JSON bodies, from nonsense to nearly right, against the endpoints that take one."""

import json

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tests.cases.flow import act, case_in, submit
from tests.conftest import at
from whistle.cases.workflow import TRANSITIONS

set_hypothesis_home_dir(django_settings.VAR_DIR / "hypothesis")  # its caches stay out of the source tree

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
# Values that reach past the first check, so the later ones are exercised too.
plausible = st.sampled_from(
    [
        "help",
        "complaint",
        "construction",
        "construction-permit",
        "market",
        "other",
        "caoxian",
        "shanxian",
        "caoxian-zjj",
        "caoxian-scjg",
        "heze-scjg",
        "13905300001",
        "0530-3211234",
        "91371721MA3C5TXL5J",
        "resolved",
        "unresolved",
        "partly",
        "unreachable",
        "satisfied",
        "unsatisfied",
        "basically_satisfied",
        "phone",
        "onsite",
        "厂房施工许可办理慢",
        "",
        " ",
        34.8,
        115.5,
        True,
        False,
        ["caoxian-scjg"],
        1,
        10**30,
        -1,
    ]
)
field_value = plausible | values
CASE_FIELDS = [
    "kind",
    "category",
    "title",
    "description",
    "contact_name",
    "contact_phone",
    "address",
    "lat",
    "lng",
    "county",
    "cross_county",
    "enterprise",
    "external_ref",
]
ACTION_FIELDS = [
    "unit",
    "assisting_units",
    "complex",
    "reason",
    "suggested_unit",
    "note",
    "method",
    "opinion",
    "content",
    "resolution",
    "satisfaction",
    "comment",
    "leader",
]
case_bodies = values | st.dictionaries(st.sampled_from(CASE_FIELDS), field_value, max_size=len(CASE_FIELDS))
action_bodies = values | st.dictionaries(st.sampled_from(ACTION_FIELDS), field_value, max_size=5)
users = st.sampled_from(["ent_cao", "cao_zjj", "cao_scjg", "cao_office", "city_office", "cao_leader"])
# The fixtures are made once per test, not per example: the cases drift through states as examples act on them.
no_fixture_reset = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@no_fixture_reset
@given(body=case_bodies, user=users)
def test_random_json_posted_as_a_case_never_gets_a_500(api, body, user):
    response = api.post("/api/v1/cases", user, json.dumps(body))
    assert response.status_code < 500, (body, response.content[:300])


@pytest.fixture
def cases(heze):
    """One case in each state a person can act on, with and without a lead unit."""
    waiting = submit(heze, category="other")
    returned = act(
        heze,
        submit(heze),
        "return",
        "cao_zjj",
        {"reason": "不属本单位", "suggested_unit": "caoxian-scjg"},
        at(2026, 11, 2, 11),
    )
    return [waiting, returned] + [
        case_in(heze, state) for state in ("dispatched", "accepted", "in_progress", "replied")
    ]


@no_fixture_reset
@given(body=action_bodies, user=users, action=st.sampled_from(sorted(TRANSITIONS) + ["nope"]), which=st.integers(0, 5))
def test_random_json_posted_as_an_action_never_gets_a_500(api, cases, body, user, action, which):
    case = cases[which]
    response = api.post(f"/api/v1/cases/{case.number}/actions/{action}", user, json.dumps(body))
    assert response.status_code < 500, (action, body, response.content[:300])
