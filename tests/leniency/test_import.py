"""Import a version's items from the .xlsx a justice bureau publishes: the header found under a title, fields from
group rows or a column, conditions read from the 适用条件 text, bad rows rejected whole with a reason (rejects
report), the same file again changing nothing, and a reviewed version refusing any import."""

import io

import pytest
from python_calamine import CalamineWorkbook

from whistle.core import sheets
from whistle.core.errors import Conflict, Forbidden, Invalid
from whistle.leniency import importing, services
from whistle.leniency.models import ListItem


def published_workbook() -> bytes:
    """The shape the bureaus publish: a title row, a header, a field's group row, then items."""
    book = sheets.Book()
    sheet = book.sheet("Sheet1")
    rows = [
        ["菏泽市轻微违法行为不予处罚清单（补充）", "", "", "", "", ""],
        ["序号", "违法情形", "适用条件", "法定依据", "处理方式", "罚款上限"],
        ["一、城市管理", "", "", "", "", ""],
        [
            "1",
            "沿街商户店外经营",
            "违法行为轻微并及时改正，没有造成危害后果",
            "《行政处罚法》第三十三条",
            "不予处罚",
            "",
        ],
        ["2", "未经批准设置门头招牌", "首次被发现，并在责令改正的期限内改正", "《行政处罚法》第三十三条", "不罚", ""],
        ["3", "", "及时改正", "《行政处罚法》第三十三条", "不予处罚", ""],
        ["4", "夜间施工未公示", "视情况而定", "《行政处罚法》第三十三条", "不予处罚", ""],
        ["5", "占用盲道停放车辆", "违法行为轻微并及时改正", "《行政处罚法》第三十三条", "警告", ""],
        ["二、市场监管", "", "", "", "", ""],
        [
            "6",
            "网约车无运输证经营，首次被查处",
            "首次被查处，违法行为轻微，主动消除危害后果",
            "《行政处罚法》第三十二条",
            "从轻处罚",
            "5000",
        ],
        ["7", "网店未公示营业执照信息", "违法行为轻微，主动消除或者减轻危害后果", "《电子商务法》", "减轻处罚", ""],
        ["1", "重复序号的事项", "及时改正", "《行政处罚法》第三十三条", "不予处罚", ""],
    ]
    for row in rows:
        sheet.row(row)
    return book.close()


@pytest.fixture
def draft(lists):
    return services.version_create(
        services.Actor.system(),
        {
            "code": "heze-2026",
            "name": "菏泽市补充清单（2026）",
            "level": "city",
            "region": "heze",
            "effective_from": "2026-01-01",
        },
    )


def test_import_reads_the_published_table_and_rejects_bad_rows_with_reasons(lists, draft):
    result = importing.import_workbook(services.Actor.system(), draft.pk, published_workbook())
    assert (result.created, result.updated, result.fields) == (3, 0, 2)
    reasons = {r["key"]: r["reason"] for r in result.rejects}
    assert set(reasons) == {"3", "4", "5", "7", "1"}
    assert "违法行为" in reasons["3"]
    assert "未能识别适用条件" in reasons["4"]
    assert "处理方式" in reasons["5"]
    assert "罚款上限" in reasons["7"]
    assert "重复" in reasons["1"]
    first = ListItem.objects.get(version=draft, number="2")
    assert first.field.name == "城市管理"
    assert {c.code for c in first.conditions.all()} == {"first_offence", "corrected_in_period"}
    light = ListItem.objects.get(version=draft, number="6")
    assert light.treatment == "light_penalty" and light.fine_max == 5000 and light.field.name == "市场监管"
    assert "网约车" in light.words.split()
    rejects = CalamineWorkbook.from_filelike(io.BytesIO(importing.rejects_workbook(result.rejects)))
    table = rejects.get_sheet_by_name("退回行").to_python()
    assert table[0][:3] == ["行号", "序号", "原因"] and len(table) == 6
    again = importing.import_workbook(services.Actor.system(), draft.pk, published_workbook())
    assert (again.created, again.updated) == (0, 3) and ListItem.objects.filter(version=draft).count() == 3


def test_import_refuses_what_is_not_a_list_and_a_reviewed_version(lists, draft):
    with pytest.raises(Invalid) as refused:
        importing.import_workbook(services.Actor.system(), draft.pk, b"not a workbook")
    assert refused.value.code == "invalid_file"
    book = sheets.Book()
    book.table("x", ["名称", "数量"], [["a", 1]])
    with pytest.raises(Invalid) as refused:
        importing.import_workbook(services.Actor.system(), draft.pk, book.close())
    assert refused.value.code == "no_header"
    with pytest.raises(Conflict):
        importing.import_workbook(services.Actor.system(), lists.versions["sd-2021"].pk, published_workbook())
    with pytest.raises(Forbidden):
        importing.import_workbook(lists.actor("cao_inspector"), draft.pk, published_workbook())


def test_the_import_template_imports_cleanly(lists, draft):
    result = importing.import_workbook(services.Actor.system(), draft.pk, importing.template_workbook())
    assert result.created == 1 and not result.rejects


def test_import_page_uploads_and_offers_the_rejects(lists, draft, client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from whistle.org.models import Membership

    root = get_user_model().objects.create_user("root")
    Membership.objects.create(user=root, role="sysadmin")
    client.force_login(root)
    upload = SimpleUploadedFile("list.xlsx", published_workbook(), content_type=sheets.XLSX)
    page = client.post(f"/leniency/lists/{draft.pk}/import", {"file": upload}).content.decode()
    assert "新增事项3" in page and "退回5行" in page
    response = client.get("/leniency/lists/rejects.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == sheets.XLSX
