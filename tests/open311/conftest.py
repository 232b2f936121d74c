"""Open311 fixtures: a live server, an integration with its key, a service that asks one question of every
datatype, and the GeoReport v2 JSON schemas (tests/open311/schemas, written from the spec)."""

import json
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource

from whistle.cases import workflow
from whistle.cases.models import Case
from whistle.open311.models import AttributeValue, ServiceAttribute
from whistle.open311.services import RequestIn, integration_create, request_create

SCHEMAS = Path(__file__).parent / "schemas"
_schemas = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.json")}
_registry = Registry().with_resources((name, Resource.from_contents(s)) for name, s in _schemas.items())


def valid(document, schema: str):
    """Validate a JSON document against one of the spec's schemas; return it for further checks."""
    jsonschema.Draft202012Validator(_schemas[schema], registry=_registry).validate(document)
    return document


def xml(response) -> ET.Element:
    """Parse an XML answer after checking what every XML answer must be: declared, utf-8, no namespace."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.content)
    assert "xmlns" not in response.text and not root.tag.startswith("{")
    return root


def errors(response, fmt="json") -> list[dict]:
    """The spec's error list, from either format."""
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        return [{"code": e.findtext("code"), "description": e.findtext("description")} for e in root.findall("error")]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return valid(response.json(), "errors.json")


@pytest.fixture(autouse=True)
def _keep_migration_data(django_db_serialized_rollback):
    """Live-server tests are transactional: reload the rows migrations made (SLA profiles, rules, jurisdiction)."""


@pytest.fixture
def o311(heze, live_server, settings, tmp_path):
    """The Heze fixture plus an Open311 integration for 曹县 and the service definition of 施工许可."""
    settings.MEDIA_ROOT = tmp_path  # uploaded photos land here, not in var/
    o = SimpleNamespace(heze=heze, base=f"{live_server.url}/open311/v2")
    o.key, o.integration = integration_create("菏泽城管通", county=heze.cao)
    permit = heze.cat_permit
    ServiceAttribute.objects.create(
        category=permit, code="notice", order=1, variable=False, description="请如实填写，虚假诉求将被退回"
    )
    ServiceAttribute.objects.create(
        category=permit, code="project", order=2, datatype="string", required=True, description="项目名称"
    )
    ServiceAttribute.objects.create(
        category=permit, code="area", order=3, datatype="number", description="建筑面积（平方米）"
    )
    ServiceAttribute.objects.create(
        category=permit, code="applied_at", order=4, datatype="datetime", description="申请提交时间"
    )
    ServiceAttribute.objects.create(category=permit, code="detail", order=5, datatype="text", description="补充说明")
    stage = ServiceAttribute.objects.create(
        category=permit,
        code="stage",
        order=6,
        datatype="singlevaluelist",
        required=True,
        description="卡在哪个环节",
        datatype_description="选择一项",
    )
    for i, (key, name) in enumerate([("accept", "受理"), ("review", "审查"), ("issue", "发证")], 1):
        AttributeValue.objects.create(attribute=stage, key=key, name=name, order=i)
    docs = ServiceAttribute.objects.create(
        category=permit, code="docs", order=7, datatype="multivaluelist", description="已提交的材料"
    )
    for i, (key, name) in enumerate([("plan", "规划许可证"), ("land", "土地证"), ("contract", "施工合同")], 1):
        AttributeValue.objects.create(attribute=docs, key=key, name=name, order=i)
    o.http = httpx.Client(base_url=o.base, timeout=30)
    yield o
    o.http.close()


def raise_case(o, *, now=None, service_code="market", phone="13905301234", **fields) -> Case:
    """A request raised through the Open311 service, at a chosen moment (for date windows)."""
    data = RequestIn(
        service_code=service_code,
        phone=phone,
        first_name="明",
        last_name="王",
        address_string=fields.pop("address_string", "曹县青岗集镇"),
        description=fields.pop("description", "路边违规经营占道"),
        **fields,
    )
    return request_create(o.integration, data, now=now)


def close_case(o, case: Case, now) -> Case:
    """Take a dispatched case to its end through the workflow, as the unit and the office would."""
    unit = next(
        name
        for name, user in vars(o.heze.users).items()
        if getattr(user.membership, "unit_id", None) == case.lead_unit_id
    )
    for action, actor, payload in [
        ("accept", unit, {}),
        ("contact", unit, {}),
        ("opinion", unit, {"opinion": "已安排执法人员到场"}),
        ("reply", unit, {"content": "已清理占道经营，王明先生请留意"}),
        ("follow_up", "cao_office", {"resolution": "resolved", "satisfaction": "satisfied"}),
    ]:
        case = workflow.apply(case.number, action, o.heze.actor(actor), payload, now)
    return case
