"""Import enterprises, projects and assignments from .xlsx with a rejects report; idempotent; nothing half-written."""

import io

import pytest
import xlsxwriter
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from whistle.core.errors import Invalid
from whistle.enterprises.models import Enterprise
from whistle.enterprises.services import enterprise_update
from whistle.patronage.models import Milestone, Patronage, Project, TaskForceMember
from whistle.patronage.workbook_import import SHEETS, import_workbook, rejects_workbook, template_workbook


def workbook(sheets: dict) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate([SHEETS.get(name, ["a"])] + rows):
            sheet.write_row(i, 0, row)
    book.close()
    return out.getvalue()


GOOD = {
    "企业": [
        ["91371721MA3C5TXL7Q", "曹县新材料有限公司", "caoxian", "新材料", "是", "是", "孙经理", "13905300009"],
        ["91371721MA3C5TXL5J", "曹县木业有限公司（更名）", "caoxian", "木材加工", "是", "是", "王经理", "13905300001"],
        ["91371721MA3C5TXL50", "坏代码", "caoxian", "", "是", "否", "", ""],  # wrong check character
        ["91371722MA3C5TXL64", "县区不存在", "nowhere", "", "否", "否", "", ""],
    ],
    "项目": [
        [
            "XM-1",
            "新材料一期",
            "caoxian",
            "91371721MA3C5TXL7Q",
            52000,
            "2026-03-01",
            "2027-06-30",
            20,
            "开工:2026-03-01:2026-03-05;投产:2027-06-30",
        ],
        ["XM-2", "日期颠倒", "caoxian", "", 100, "2026-06-01", "2026-01-01", 0, ""],
    ],
    "包保": [
        [
            "企业",
            "91371721MA3C5TXL7Q",
            "cao_leader",
            "caoxian-zjj",
            "2026-01-05",
            "县级包保",
            "张三/caoxian-zjj/联络员;李四",
        ],
        ["项目", "XM-1", "city_leader", "caoxian-zjj", "2026-03-01", "", ""],
        ["企业", "91371721MA3C5TXL5J", "nobody", "caoxian-zjj", "2026-01-05", "", ""],
        ["项目", "XM-2", "cao_leader", "caoxian-zjj", "2026-03-01", "", ""],
        ["其他", "x", "cao_leader", "caoxian-zjj", "2026-03-01", "", ""],
    ],
}


def test_import_with_rejects_and_idempotent(heze):
    data = workbook(GOOD)
    result = import_workbook(heze.actor("cao_office"), data)
    assert result.counts == {
        "企业": {"created": 1, "updated": 1, "unchanged": 0},
        "项目": {"created": 1, "updated": 0, "unchanged": 0},
        "包保": {"created": 2, "updated": 0, "unchanged": 0},
    }
    assert [(r["sheet"], r["row"]) for r in result.rejects] == [
        ("企业", 4),
        ("企业", 5),
        ("项目", 3),
        ("包保", 4),
        ("包保", 5),
        ("包保", 6),
    ]
    reasons = {(r["sheet"], r["row"]): r["reason"] for r in result.rejects}
    assert "统一社会信用代码" in reasons[("企业", 4)] and "县区" in reasons[("企业", 5)]
    assert (
        "竣工" in reasons[("项目", 3)] and "包保领导不存在" in reasons[("包保", 4)] and "XM-2" in reasons[("包保", 5)]
    )
    assert Enterprise.objects.get(uscc="91371721MA3C5TXL5J").name == "曹县木业有限公司（更名）"
    assert not Project.objects.filter(code="XM-2").exists()
    p = Patronage.objects.get(enterprise__uscc="91371721MA3C5TXL7Q")
    assert [(m.name, m.unit and m.unit.code, m.duty) for m in p.task_force.all()] == [
        ("张三", "caoxian-zjj", "联络员"),
        ("李四", None, ""),
    ]
    assert Milestone.objects.filter(project__code="XM-1").count() == 2

    snapshot = (
        Enterprise.objects.count(),
        Project.objects.count(),
        Patronage.objects.count(),
        TaskForceMember.objects.count(),
        Milestone.objects.count(),
    )
    again = import_workbook(heze.actor("cao_office"), data)
    assert again.counts == {
        "企业": {"created": 0, "updated": 0, "unchanged": 2},
        "项目": {"created": 0, "updated": 0, "unchanged": 1},
        "包保": {"created": 0, "updated": 0, "unchanged": 2},
    }
    assert len(again.rejects) == 6
    assert snapshot == (
        Enterprise.objects.count(),
        Project.objects.count(),
        Patronage.objects.count(),
        TaskForceMember.objects.count(),
        Milestone.objects.count(),
    )

    report = (
        CalamineWorkbook.from_filelike(io.BytesIO(rejects_workbook(result))).get_sheet_by_name("退回行").to_python()
    )
    assert report[0][:4] == ["工作表", "行号", "编号", "原因"]
    assert [(r[0], int(r[1])) for r in report[1:]] == [
        ("企业", 4),
        ("企业", 5),
        ("项目", 3),
        ("包保", 4),
        ("包保", 5),
        ("包保", 6),
    ]


def test_import_changes_the_leader_when_the_file_names_another(heze):
    import_workbook(heze.actor("cao_office"), workbook({"企业": GOOD["企业"][:1], "包保": GOOD["包保"][:1]}))
    changed = [["企业", "91371721MA3C5TXL7Q", "city_leader", "caoxian-zjj", "2026-07-01", "领导分工调整", ""]]
    result = import_workbook(heze.actor("cao_office"), workbook({"包保": changed}))
    assert result.counts["包保"]["updated"] == 1
    rows = list(Patronage.objects.order_by("started_on").values_list("leader__username", "ended_on"))
    assert rows[0][0] == "cao_leader" and str(rows[0][1]) == "2026-07-01" and rows[1] == ("city_leader", None)


def test_import_out_of_scope_rows_are_rejected(heze):
    result = import_workbook(heze.actor("shan_office"), workbook({"企业": GOOD["企业"][:1]}))
    assert result.accepted == 0 and "管辖范围" in result.rejects[0]["reason"]
    assert not Enterprise.objects.filter(uscc="91371721MA3C5TXL7Q").exists()


@pytest.mark.parametrize(
    "data,code", [(b"not a workbook", "invalid_file"), (None, "no_known_sheet"), ("missing", "missing_columns")]
)
def test_import_bad_file(heze, data, code):
    if data is None:
        data = workbook({"Sheet1": [["x"]]})
    elif data == "missing":
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        book.add_worksheet("企业").write_row(0, 0, ["企业名称"])
        book.close()
        data = out.getvalue()
    with pytest.raises(Invalid) as e:
        import_workbook(heze.actor("cao_office"), data)
    assert e.value.code == code


def test_template_imports_cleanly_shape(heze):
    book = CalamineWorkbook.from_filelike(io.BytesIO(template_workbook()))
    assert book.sheet_names == ["企业", "项目", "包保"]


def test_patronage_import_command(heze, tmp_path, capsys):
    path = tmp_path / "包保.xlsx"
    path.write_bytes(workbook(GOOD))
    call_command("patronage_import", str(path))
    out = capsys.readouterr().out
    assert "企业：新增1，更新1" in out and "退回6行" in out
    assert (tmp_path / "包保-退回.xlsx").exists()


def test_import_updates_an_enterprise_through_the_enterprises_service(heze):
    row = ["91371721MA3C5TXL5J", "  曹县木业有限公司  ", "caoxian", "木材加工", "是", "否", "王经理", "13905300001"]
    first = import_workbook(heze.actor("cao_office"), workbook({"企业": [row]}))
    assert first.counts == {"企业": {"created": 0, "updated": 1, "unchanged": 0}}
    enterprise = Enterprise.objects.get(uscc="91371721MA3C5TXL5J")
    assert (enterprise.name, enterprise.industry, enterprise.above_scale, enterprise.is_key) == (
        "曹县木业有限公司",
        "木材加工",
        True,
        False,
    )
    assert import_workbook(heze.actor("cao_office"), workbook({"企业": [row]})).counts == {
        "企业": {"created": 0, "updated": 0, "unchanged": 1}
    }
    assert enterprise_update(enterprise, contact_name="孙经理", name="曹县木业有限公司") == ["contact_name"]
    with pytest.raises(Invalid) as blank:
        enterprise_update(enterprise, name="  ")
    assert blank.value.code == "required"
    with pytest.raises(TypeError):
        enterprise_update(enterprise, uscc="91371721MA3C5TXL7Q")  # the credit code is the enterprise's identity
    enterprise.refresh_from_db()
    assert (enterprise.uscc, enterprise.name, enterprise.contact_name) == (
        "91371721MA3C5TXL5J",
        "曹县木业有限公司",
        "孙经理",
    )
