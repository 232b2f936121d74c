"""The `georeport` client from PyPI, unmodified, reads whistle like any Open311 city, in both formats."""

import pytest
from georeport import GeoReport

from tests.conftest import at
from tests.open311.conftest import close_case, raise_case


@pytest.fixture(params=["json", "xml"])
def client(o311, request):
    return GeoReport(o311.base + "/", jurisdiction="heze.gov.cn", output_format=request.param)


def test_georeport_reads_the_service_list(client):
    services = client.get_service_list()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["construction-permit"]["service_name"] == "施工许可"
    assert by_code["construction-permit"]["group"] == "工程建设"
    assert str(by_code["construction-permit"]["metadata"]).lower() == "true"
    assert {s["type"] for s in services} == {"realtime"}


def test_georeport_reads_a_service_definition(client):
    definition = client.get_service_definition("construction-permit")
    assert definition["service_code"] == "construction-permit"
    attributes = definition["attributes"]
    if client.output_format == "xml":
        attributes = attributes["attribute"]  # xmltodict: repeated <attribute> elements become a list
    stage = next(a for a in attributes if a["code"] == "stage")
    values = stage["values"] if client.output_format == "json" else stage["values"]["value"]
    assert [v["name"] for v in values] == ["受理", "审查", "发证"]


def test_georeport_reads_requests_and_one_request(o311, client):
    closed = close_case(o311, raise_case(o311, now=at(2026, 11, 2, 9)), at(2026, 11, 3, 15))
    opened = raise_case(o311, now=at(2026, 11, 4, 9))
    found = client.get_service_requests(start_date="2026-11-01T00:00:00+08:00", end_date="2026-11-05T00:00:00+08:00")
    assert [r["service_request_id"] for r in found] == [opened.number, closed.number]
    only_closed = client.get_service_requests(status="closed", start_date="2026-11-01T00:00:00Z")
    if client.output_format == "xml":
        only_closed = [only_closed]  # xmltodict: a single <request> comes back as a dict
    assert [r["service_request_id"] for r in only_closed] == [closed.number]
    one = client.get_service_request(opened.number)
    assert one["service_request_id"] == opened.number and one["status"] == "open"
    assert one["agency_responsible"] == "菏泽市市场监督管理局"
    assert one["requested_datetime"] == "2026-11-04T09:00:00+08:00"
    by_id = client.get_service_requests(service_request_id=closed.number)
    by_id = by_id if isinstance(by_id, list) else [by_id]
    assert by_id[0]["status"] == "closed" and by_id[0]["status_notes"] == "已办结，已解决"
