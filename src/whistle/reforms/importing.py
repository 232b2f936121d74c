"""The plan in and out of Excel: the reform office's own ledger (sheet 改革任务) imported row by row through
`services.task_create`, each row in a savepoint (a bad row is rejected whole, with its row number and reason, and
the others go in); the export writes the same columns plus progress, state and light, so an exported plan imports
again unchanged (rows are keyed by 编号: a code already present is left alone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import sheets, tables, wording
from whistle.core.errors import Invalid, Problem
from whistle.org.scopes import Actor

from . import services
from .models import Task
from .selectors import can_manage

SHEET = "改革任务"
COLUMNS = [
    "编号",
    "上级编号",
    "改革领域",
    "任务名称",
    "目标要求",
    "牵头单位",
    "配合单位",
    "责任领导",
    "责任人",
    "开始日期",
    "完成时限",
    "权重",
    "报送周期（月）",
    "节点",
    "公开",
]
EXPORT_COLUMNS = [*COLUMNS, "进度（%）", "状态", "预警灯", "最近节点"]
REQUIRED = ["任务名称", "牵头单位", "开始日期", "完成时限"]
MAX_ROWS = 20_000
SEPARATORS = ("、", ",", "，", ";", "；")


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    rejects: list = field(default_factory=list)  # {"row", "key", "reason"}

    def summary(self) -> str:
        return f"新增{self.created}项，已存在未变{self.unchanged}项，退回{len(self.rejects)}行"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _split(value: str) -> list[str]:
    for sep in SEPARATORS[1:]:
        value = value.replace(sep, SEPARATORS[0])
    return [v.strip() for v in value.split(SEPARATORS[0]) if v.strip()]


def _milestones(value: str) -> list[dict]:
    """ "方案出台:2026-03-31、试点:2026-06-30" (a colon, either width)."""
    found = []
    for part in _split(value):
        name, _, day = part.replace("：", ":").rpartition(":")
        if not name:
            raise Invalid(f"节点“{part}”应写成 名称:YYYY-MM-DD", code="invalid_milestone", field="节点")
        found.append({"name": name.strip(), "due_on": day.strip()})
    return found


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """[(row number as Excel shows it, {column: value})] of sheet 改革任务 (or the first sheet), read by the one table
    reader (`core.tables`): a file that is not a workbook, a sheet without the required columns or with more than
    MAX_ROWS rows is refused before anything is written."""
    for table in tables.xlsx_upload(data, sheets=_plan_sheet, max_rows=MAX_ROWS):
        missing = [c for c in REQUIRED if c not in table.header]
        rows = list(table.rows) if missing and not any(table.header) else None  # an empty sheet imports nothing
        if missing and (any(table.header) or rows):
            raise Invalid(
                f"工作表“{table.name}”缺少列：{'、'.join(missing)}；请使用导入模板",
                code="missing_columns",
                field="file",
            )
        return tables.records(table, rows)
    raise Invalid("工作簿是空的", code="no_known_sheet", field="file")


def _plan_sheet(names: list[str]) -> list[str]:
    return [SHEET] if SHEET in names else names[:1]


def import_plan(actor: Actor, data: bytes) -> ImportResult:
    if not can_manage(actor):
        raise Invalid("只有改革办可以导入改革任务", code="not_allowed", field="file")
    rows = read_rows(data)
    result = ImportResult()
    with transaction.atomic():
        for number, values in rows:
            v = {k: _text(x) for k, x in values.items()}
            key = v.get("编号", "")
            if key and Task.objects.filter(code=key).exists():
                result.unchanged += 1
                continue
            try:
                parent = None
                if v.get("上级编号"):
                    parent = Task.objects.filter(code=v["上级编号"]).values_list("pk", flat=True).first()
                    if parent is None:
                        raise Invalid(
                            f"上级编号不存在：{v['上级编号']}（上级须在本行之前或已导入）", code="invalid_parent"
                        )
                with transaction.atomic():
                    services.task_create(
                        actor,
                        {
                            "code": key,
                            "parent": parent,
                            "area": v.get("改革领域"),
                            "title": v.get("任务名称"),
                            "target": v.get("目标要求"),
                            "lead_unit": v.get("牵头单位"),
                            "assisting": _split(v.get("配合单位", "")),
                            "leader_name": v.get("责任领导"),
                            "person_name": v.get("责任人"),
                            "starts_on": v.get("开始日期"),
                            "due_on": v.get("完成时限"),
                            "weight": v.get("权重") or 1,
                            "report_every_months": v.get("报送周期（月）") or None,
                            "milestones": _milestones(v.get("节点", "")),
                            "is_public": v.get("公开") in ("是", "1", "y", "yes", "√"),
                        },
                    )
            except Problem as problem:
                result.rejects.append({"row": number, "key": key or v.get("任务名称", ""), "reason": problem.detail})
            else:
                result.created += 1
    return result


def _row(t: Task) -> list:
    return [
        t.code,
        t.parent.code if t.parent_id else "",
        t.area.name if t.area_id else "",
        t.title,
        t.target,
        t.lead_unit.name,
        "、".join(u.name for u in t.assisting_units.all()),
        t.leader_name,
        t.person_name,
        t.starts_on,
        t.due_on,
        t.weight,
        t.report_every_months,
        "、".join(f"{m.name}:{m.due_on.isoformat()}" for m in t.milestones.all()),
        "是" if t.is_public else "否",
        t.progress,
        t.get_state_display(),
        t.get_light_display(),
        t.next_due_on,
    ]


def export_plan(qs) -> bytes:
    """The tasks as the office's ledger (parents before their children, so the file imports again)."""
    qs = qs.select_related("parent", "area", "lead_unit").prefetch_related("assisting_units", "milestones")
    rows = [_row(t) for t in qs.order_by("depth", "code")]
    book = sheets.Book()
    book.table(SHEET, EXPORT_COLUMNS, rows, widths={3: 40, 4: 40, 5: 24, 6: 30, 13: 30})
    return book.close()


def template_workbook() -> bytes:
    example = [
        "2026-GG-001",
        "",
        "经济体制改革",
        "深化“一业一证”改革",
        "年底前覆盖30个行业，审批时限压减50%",
        f"{wording.text('city_name')}行政审批服务局",
        f"{wording.text('city_name')}市场监督管理局",
        "刘建国",
        "王明",
        "2026-01-01",
        "2026-12-31",
        2,
        1,
        "方案出台:2026-03-31、全面推开:2026-09-30",
        "是",
    ]
    return sheets.workbook([(SHEET, COLUMNS, [example])])


def rejects_workbook(rejects: list[dict]) -> bytes:
    return sheets.workbook(
        [("退回清单", ["行号", "编号/名称", "原因"], [[r["row"], r["key"], r["reason"]] for r in rejects])]
    )
