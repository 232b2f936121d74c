"""Import enterprises, key projects and assignments from one .xlsx (sheets 企业 / 项目 / 包保), with a rejects report.

Each row is written through the same services as a page would use, inside a savepoint: a bad row is rejected whole
(row number + reason) and the others go in. The whole run is one transaction, so a crash leaves nothing behind.
Rows are keyed (USCC, project code, the object of an assignment), so importing the same file again changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import sheets, tables
from whistle.core.errors import Invalid, Problem
from whistle.core.inputs import cell_text
from whistle.enterprises.models import Enterprise
from whistle.enterprises.services import clean_uscc, enterprise_register, enterprise_update
from whistle.org.scopes import Actor

from . import services
from .models import Patronage, Project
from .selectors import can_manage

ENTERPRISE_COLUMNS = ["统一社会信用代码", "企业名称", "所属县区", "行业", "规上", "重点", "联系人", "联系电话"]
PROJECT_COLUMNS = [
    "项目编号",
    "项目名称",
    "所属县区",
    "建设企业信用代码",
    "总投资（万元）",
    "计划开工",
    "计划竣工",
    "形象进度（%）",
    "节点",
]
PATRONAGE_COLUMNS = ["对象类型", "对象编号", "包保领导", "牵头部门", "开始日期", "原因", "专班成员"]
SHEETS = {"企业": ENTERPRISE_COLUMNS, "项目": PROJECT_COLUMNS, "包保": PATRONAGE_COLUMNS}
REQUIRED = {
    "企业": ["统一社会信用代码", "企业名称", "所属县区"],
    "项目": ["项目编号", "项目名称", "所属县区", "计划开工", "计划竣工"],
    "包保": ["对象类型", "对象编号", "包保领导", "牵头部门", "开始日期"],
}
MAX_ROWS = 20_000
YES, NO = {"是", "y", "yes", "true", "1", "√"}, {"否", "n", "no", "false", "0", ""}


@dataclass
class ImportResult:
    counts: dict = field(default_factory=dict)  # "企业" → {"created": n, "updated": n, "unchanged": n}
    rejects: list = field(default_factory=list)  # {"sheet", "row", "key", "reason", "values"}

    def count(self, sheet: str, outcome: str):
        self.counts.setdefault(sheet, {"created": 0, "updated": 0, "unchanged": 0})[outcome] += 1

    @property
    def accepted(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def summary(self) -> str:
        parts = [
            f"{sheet}：新增{c['created']}，更新{c['updated']}，未变{c['unchanged']}" for sheet, c in self.counts.items()
        ]
        return "；".join(parts + [f"退回{len(self.rejects)}行"])


_text = cell_text


def _flag(value, column: str) -> bool:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise Invalid(f"“{column}”须填“是”或“否”", code="invalid_flag", field=column)


def read_workbook(data: bytes) -> dict[str, list[tuple[int, dict]]]:
    """{sheet: [(row number as Excel shows it, {column: value})]} for the sheets whistle knows; others are ignored."""

    def known(names: list[str]) -> list[str]:
        return [name for name in names if name in SHEETS]

    found = {}
    try:
        for table in tables.read(io.BytesIO(data), kind="xlsx", sheets=known):
            name, header, rows = table.name, table.header, list(table.rows)
            missing = [c for c in REQUIRED[name] if c not in header]
            if missing and (header or rows):
                raise Invalid(f"工作表“{name}”缺少列：{'、'.join(missing)}", code="missing_columns", field="file")
            if len(rows) > MAX_ROWS:
                raise Invalid(f"工作表“{name}”超过{MAX_ROWS}行，请分批导入", code="too_many_rows", field="file")
            body = []
            for number, row in rows:
                values = {h: v for h, v in zip(header, row) if h}
                if any(_text(v) for v in values.values()):
                    body.append((number, values))
            found[name] = body
    except tables.Unreadable:
        raise Invalid("无法读取文件，请上传 .xlsx 格式的工作簿", code="invalid_file", field="file") from None
    if not found:
        raise Invalid("工作簿中没有“企业”“项目”或“包保”工作表，请使用导入模板", code="no_known_sheet", field="file")
    return found


def import_workbook(actor: Actor, data: bytes) -> ImportResult:
    sheets = read_workbook(data)
    result = ImportResult()
    handlers = {"企业": _enterprise_row, "项目": _project_row, "包保": _patronage_row}
    with transaction.atomic():
        for sheet in ("企业", "项目", "包保"):  # assignments may name enterprises and projects of the same file
            for number, values in sheets.get(sheet, []):
                try:
                    with transaction.atomic():
                        for column in REQUIRED[sheet]:
                            if not _text(values.get(column)):
                                raise Invalid(f"“{column}”不能为空", code="required", field=column)
                        result.count(sheet, handlers[sheet](actor, values))
                except Problem as problem:
                    key = _text(values.get(SHEETS[sheet][0] if sheet != "包保" else "对象编号"))
                    result.rejects.append(
                        {
                            "sheet": sheet,
                            "row": number,
                            "key": key,
                            "reason": problem.detail,
                            "values": [_text(values.get(c)) for c in SHEETS[sheet]],
                        }
                    )
    return result


def _enterprise_row(actor: Actor, v: dict) -> str:
    code = clean_uscc(_text(v["统一社会信用代码"]))
    county = services.county_by_code(_text(v["所属县区"]), "所属县区")
    if not can_manage(actor, county):
        raise Invalid("所属县区不在您的管辖范围内", code="county_out_of_scope", field="所属县区")
    fields = {
        "name": services.clean_text(_text(v["企业名称"]), "企业名称", limit=120, required=True, label="企业名称"),
        "county": county,
        "industry": services.clean_text(_text(v.get("行业")), "行业", limit=60, label="行业"),
        "above_scale": _flag(v.get("规上"), "规上"),
        "is_key": _flag(v.get("重点"), "重点"),
        "contact_name": services.clean_text(_text(v.get("联系人")), "联系人", limit=40, label="联系人"),
        "contact_phone": services.clean_text(_text(v.get("联系电话")), "联系电话", limit=20, label="联系电话"),
    }
    existing = Enterprise.objects.select_for_update().filter(uscc=code).first()
    if existing is None:
        enterprise_register(uscc=code, **fields)
        return "created"
    if not can_manage(actor, existing.county):
        raise Invalid("该企业不在您的管辖范围内", code="out_of_scope", field="统一社会信用代码")
    return "updated" if enterprise_update(existing, **fields) else "unchanged"


def _milestones(text: str) -> list[dict]:
    """ "开工:2026-02-01:2026-02-03;投产:2026-10-01" → name, planned date, optional date reached."""
    items = []
    for part in filter(None, (p.strip() for p in text.replace("；", ";").split(";"))):
        bits = [b.strip() for b in part.replace("：", ":").split(":")]
        if len(bits) not in (2, 3):
            raise Invalid(
                "“节点”格式应为 名称:计划日期[:完成日期]，多个用分号分隔", code="invalid_milestones", field="节点"
            )
        items.append({"name": bits[0], "planned_on": bits[1], "done_on": bits[2] if len(bits) == 3 else None})
    return items


def _project_row(actor: Actor, v: dict) -> str:
    code = _text(v["项目编号"])
    before = Project.objects.filter(code=code).first()
    data = {
        "code": code,
        "name": _text(v["项目名称"]),
        "county": _text(v["所属县区"]),
        "enterprise": _text(v.get("建设企业信用代码")) or None,
        "investment": _text(v.get("总投资（万元）")) or 0,
        "planned_start": v["计划开工"],
        "planned_end": v["计划竣工"],
        "progress": _text(v.get("形象进度（%）")) or 0,
        "milestones": _milestones(_text(v.get("节点"))),
    }
    if before is not None:
        clean = services.clean_project(data)
        same = all(
            getattr(before, k) == clean[k]
            for k in ("name", "county", "enterprise", "investment", "planned_start", "planned_end", "progress")
        )
        nodes = [{"name": m.name, "planned_on": m.planned_on, "done_on": m.done_on} for m in before.milestones.all()]
        if same and nodes == clean["milestones"]:
            return "unchanged"
    services.project_save(actor, data)
    return "created" if before is None else "updated"


def _task_force(text: str) -> list[dict]:
    """ "张三/caoxian-zjj/联络员;李四" → name, unit code, duty."""
    members = []
    for part in filter(None, (p.strip() for p in text.replace("；", ";").replace("、", ";").split(";"))):
        bits = [b.strip() for b in part.split("/")] + ["", ""]
        members.append({"name": bits[0], "unit": bits[1] or None, "duty": bits[2]})
    return members


def _patronage_row(actor: Actor, v: dict) -> str:
    kind, key = _text(v["对象类型"]), _text(v["对象编号"])
    if kind == "企业":
        target = {"enterprise": Enterprise.objects.filter(uscc=key.upper()).first()}
    elif kind == "项目":
        target = {"project": Project.objects.filter(code=key).first()}
    else:
        raise Invalid("“对象类型”须为“企业”或“项目”", code="invalid_target_kind", field="对象类型")
    if next(iter(target.values())) is None:
        raise Invalid(
            f"{kind}“{key}”不存在（可在同一文件的“{kind}”表中一并导入）", code="unknown_target", field="对象编号"
        )
    leader = services.leader_user(_text(v["包保领导"]), "包保领导")
    unit = services.unit_by_code(_text(v["牵头部门"]), "牵头部门")
    started = services.clean_date(_text(v["开始日期"]), "开始日期")
    reason = _text(v.get("原因")) or "批量导入"
    members = _task_force(_text(v.get("专班成员")))
    current = Patronage.objects.filter(ended_on__isnull=True, **target).first()
    if current is None:
        services.patronage_assign(
            actor, leader=leader, lead_unit=unit, started_on=started, reason=reason, task_force=members, **target
        )
        return "created"
    if current.leader_id == leader.pk and current.lead_unit_id == unit.pk:
        have = [(m.name, m.unit.code if m.unit_id else None, m.duty) for m in current.task_force.select_related("unit")]
        if not members or have == [(m["name"], m["unit"], m["duty"]) for m in members]:
            return "unchanged"
        services.task_force_set(actor, current.pk, members)
        return "updated"
    services.patronage_change(actor, current.pk, leader=leader, lead_unit=unit, changed_on=started, reason=reason)
    return "updated"


def rejects_workbook(result: ImportResult) -> bytes:
    """The rejected rows with their reasons, one sheet, the original values beside them."""
    book = sheets.Book()
    width = max(len(c) for c in SHEETS.values())
    book.table(
        "退回行",
        ["工作表", "行号", "编号", "原因"] + [f"列{i + 1}" for i in range(width)],
        [[r["sheet"], r["row"], r["key"], r["reason"], *r["values"]] for r in result.rejects],
        widths={3: 40},
    )
    return book.close()


def template_workbook() -> bytes:
    """An empty workbook with the three sheets and their headers, and one example row each."""
    book = sheets.Book()
    examples = {
        "企业": ["91371721MA3C5TXL5J", "曹县木业有限公司", "caoxian", "木材加工", "是", "是", "王经理", "13905300001"],
        "项目": [
            "XM-2026-001",
            "年产10万立方米板材项目",
            "caoxian",
            "91371721MA3C5TXL5J",
            52000,
            "2026-03-01",
            "2027-06-30",
            20,
            "开工:2026-03-01:2026-03-05;主体完工:2026-12-31;投产:2027-06-30",
        ],
        "包保": [
            "企业",
            "91371721MA3C5TXL5J",
            "xianlingdao",
            "caoxian-gxj",
            "2026-01-05",
            "县级领导包保重点企业",
            "张三/caoxian-gxj/联络员;李四/caoxian-zjj/专员",
        ],
    }
    for name, columns in SHEETS.items():
        book.table(name, columns, [examples[name]], widths={c: 18 for c in range(len(columns))})
    return book.close()
