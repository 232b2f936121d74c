"""Issue 13, item 14: a coordinator learns nothing about another county's enterprises from the patronage API,
and cannot link one to a project."""

import pytest

from tests.api.conftest import api, problem  # noqa: F401  (the api fixture)
from whistle.core.errors import Invalid
from whistle.patronage import services
from whistle.patronage.models import Project


def assign(api, uscc):
    return api.post(
        "/api/v1/patronage/patronages",
        "cao_office",
        {
            "kind": "enterprise",
            "target": uscc,
            "leader": "cao_leader",
            "lead_unit": "caoxian-zjj",
            "started_on": "2026-01-05",
            "reason": "重点企业包保",
        },
    )


def test_item_14_another_countys_enterprise_answers_like_an_unknown_one(api, key):
    other_county = problem(assign(api, key.ent_shan.uscc), 422, "unknown_target", "target")
    unknown = problem(assign(api, "91371721MA3C5TXL7X"), 422, "unknown_target", "target")
    assert {k: v for k, v in other_county.items() if k not in ("instance", "request_id")} == {
        k: v for k, v in unknown.items() if k not in ("instance", "request_id")
    }
    assert assign(api, key.ent_cao.uscc).status_code == 201  # its own county's enterprise


def test_item_14_a_project_cannot_link_another_countys_enterprise(api, key):
    body = {
        "code": "XM-SHAN",
        "name": "曹县扩建项目",
        "county": "caoxian",
        "investment": 100,
        "planned_start": "2026-01-01",
        "planned_end": "2026-12-31",
        "progress": 0,
    }
    refused = api.post("/api/v1/patronage/projects", "cao_office", {**body, "enterprise": key.ent_shan.uscc})
    unknown = api.post("/api/v1/patronage/projects", "cao_office", {**body, "enterprise": "91371721MA3C5TXL7X"})
    assert (
        problem(refused, 422, "unknown_enterprise", "enterprise")["detail"]
        == problem(unknown, 422, "unknown_enterprise", "enterprise")["detail"]
    )
    assert not Project.objects.filter(code="XM-SHAN").exists()
    with pytest.raises(Invalid):
        services.project_save(key.actor("cao_office"), {**body, "enterprise": key.ent_shan})
    assert (
        api.post("/api/v1/patronage/projects", "cao_office", {**body, "enterprise": key.ent_cao.uscc}).status_code
        == 201
    )
    # The city office covers both counties.
    assert services.project_save(key.actor("city_office"), {**body, "code": "XM-CITY", "enterprise": key.ent_shan})[1]
