"""Registering cadres and windows by .xlsx (issue 4, item 1): template, every row validated, a rejects report with
row numbers, nothing half-written, idempotent on the card code; the upload page and `whistle import_cards`."""

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from tests.conftest import PASSWORD
from whistle.org.models import Membership
from whistle.org.scopes import Actor
from whistle.ratings.card_import import COLUMNS, import_cards, template_xlsx
from whistle.ratings.models import Cadre, Window

HEADER = [title for title, _, _ in COLUMNS]
ZHANG = [
    "干部",
    "张伟",
    "caoxian-zjj",
    "审批科科长",
    "",
    "是",
    "0530-3212345",
    "负责施工许可",
    "施工许可证核发 3个工作日",
    "",
]
WINDOW = ["窗口", "企业开办综合窗口", "heze-scjg", "", "市政务服务中心一楼", "", 13905300009, "一窗通办", "", ""]


def sheet(*rows, header=HEADER) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    book.close()
    return out.getvalue()


@pytest.fixture
def unit_admin(heze):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("cao_zjj_admin", password=PASSWORD)
    Membership.objects.create(user=user, role="unit_admin", unit=heze.cao_zjj, display_name="住建局管理员")
    return user


def test_template_has_the_header_and_imports_as_it_is(heze):
    rows = CalamineWorkbook.from_filelike(io.BytesIO(template_xlsx())).get_sheet_by_index(0).to_python()
    assert rows[0] == HEADER
    result = import_cards(Actor.system(), template_xlsx())
    assert (result.created, result.rejects) == (2, [])


def test_clean_file_is_written_and_reimport_changes_nothing(heze):
    data = sheet(ZHANG, WINDOW)
    result = import_cards(Actor.system(), data)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    cadre, window = Cadre.objects.get(), Window.objects.get()
    assert (cadre.unit, cadre.post, cadre.is_party_member, cadre.supervision_phone) == (
        heze.cao_zjj,
        "审批科科长",
        True,
        "0530-3212345",
    )
    assert window.supervision_phone == "13905300009"  # a phone typed as a number reads back as its digits
    again = import_cards(Actor.system(), data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (Cadre.objects.count(), Window.objects.count()) == (1, 1)
    assert Cadre.objects.get().card_code == cadre.card_code


def test_card_code_in_the_file_updates_that_card(heze):
    import_cards(Actor.system(), sheet(ZHANG))
    code = Cadre.objects.get().card_code
    moved = ["干部", "张伟", "caoxian-scjg", "副局长", "", "否", "0530-3212399", "", "", code]
    result = import_cards(Actor.system(), sheet(moved))
    assert result.updated == 1
    cadre = Cadre.objects.get()
    assert (cadre.unit, cadre.post, cadre.card_code) == (heze.cao_scjg, "副局长", code)


def test_bad_rows_are_reported_by_row_number_and_nothing_is_written(heze):
    rows = [
        ZHANG,
        ["干部", "李娜", "no-such-unit", "科员", "", "", "0530-3212345", "", "", ""],
        ["窗口", "无大厅窗口", "heze-scjg", "", "", "", "12345", "", "", ""],
        ["领导", "某", "heze", "", "", "", "0530-3212345", "", "", ""],
        ZHANG,
        ["干部", "王强", "shanxian-zjj", "科员", "", "也许", "0530-3212345", "", "", "bad code!"],
    ]
    result = import_cards(Actor.system(), sheet(*rows))
    reasons = dict(result.rejects)
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "单位编码“no-such-unit”不存在" in reasons[3]
    assert "窗口须填写所在大厅" in reasons[4] and "监督电话格式不正确" in reasons[4]
    assert "类型须为" in reasons[5]
    assert "与第2行" in reasons[6]
    assert "党员一栏" in reasons[7] and "亮码编号须为" in reasons[7]
    assert (Cadre.objects.count(), Window.objects.count()) == (0, 0)


def test_unit_admin_imports_only_inside_own_unit(client, heze, unit_admin):
    outside = ["干部", "王强", "shanxian-zjj", "科员", "", "", "0530-3212345", "", "", ""]
    result = import_cards(Actor.of(unit_admin), sheet(ZHANG, outside))
    assert result.rejects == [(3, "单位“单县住房和城乡建设局”不在您的管理范围内")] and Cadre.objects.count() == 0
    client.force_login(unit_admin)
    r = client.post("/r/cards/import", {"file": SimpleUploadedFile("cards.xlsx", sheet(ZHANG, outside))})
    body = r.content.decode()
    assert r.status_code == 422 and "本次未导入任何数据" in body and 'download="退回清单.xlsx"' in body
    r = client.post("/r/cards/import", {"file": SimpleUploadedFile("cards.xlsx", sheet(ZHANG))})
    assert r.status_code == 200 and "新增 1 个" in r.content.decode()
    assert 'href="/r/cards/caoxian-zjj.zip"' in r.content.decode()
    assert Cadre.objects.get().name == "张伟"


def test_wrong_header_or_broken_file_is_refused_whole(client, heze, unit_admin):
    client.force_login(unit_admin)
    r = client.post("/r/cards/import", {"file": SimpleUploadedFile("x.xlsx", sheet(ZHANG, header=["名字", "单位"]))})
    assert r.status_code == 422 and "表头与模板不一致" in r.content.decode()
    r = client.post("/r/cards/import", {"file": SimpleUploadedFile("x.xlsx", b"not a spreadsheet")})
    assert r.status_code == 422 and "无法读取文件" in r.content.decode()
    assert client.get("/r/cards/template.xlsx").status_code == 200
    client.force_login(heze.users.cao_zjj)  # a handler does not register cards
    assert client.get("/r/cards/import").status_code == 404


def test_command_imports_and_writes_rejects(heze, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(sheet(ZHANG, WINDOW))
    bad.write_bytes(sheet(["干部", "", "caoxian-zjj", "科员", "", "", "0530-3212345", "", "", ""]))
    out = io.StringIO()
    call_command("import_cards", str(good), stdout=out)
    assert "新增 2" in out.getvalue()
    with pytest.raises(CommandError, match="1 行不合格"):
        call_command("import_cards", str(bad), stderr=io.StringIO())
    rows = CalamineWorkbook.from_path(str(tmp_path / "bad.rejects.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0] == ["行号", "原因"] and rows[1][0] == 2 and "名称必填" in rows[1][1]
