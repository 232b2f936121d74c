"""Import a version's items from the .xlsx a justice bureau publishes, with a rejects report.

The published tables differ in their titles and column names (序号 | 违法行为 | 适用条件 | 法定依据, 余杭's 违法行为
种类 | 相应处罚规定, rules.md §7); the header row is found among the first rows by its column names, and each known
column accepts the names in `ALIASES`. The 领域 comes from a column or from a row that holds only a field's name
(how many published lists group their items). Conditions are read from the 适用条件 text by the phrases of the
condition catalogue (or from an explicit 条件代码 column); a row whose conditions cannot be recognised is rejected,
never imported with fewer conditions than the list states. All or nothing per row, one transaction per file; the
same file again replaces the rows by their 序号 and changes nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import sheets, tables
from whistle.core.errors import Invalid, Problem
from whistle.org.scopes import Actor

from . import selectors, services
from .models import ListVersion, Treatment

COLUMNS = [
    "序号",
    "领域",
    "违法行为",
    "适用条件",
    "法定依据",
    "处罚依据",
    "处理方式",
    "罚款下限（元）",
    "罚款上限（元）",
    "改正期限（工作日）",
    "执法部门",
    "检索词",
    "条件代码",
]
ALIASES = {
    "序号": ["序号", "编号"],
    "领域": ["领域", "所属领域", "执法领域", "类别"],
    "违法行为": ["违法行为", "违法情形", "违法行为种类", "违法行为名称"],
    "适用条件": ["适用条件", "不予处罚条件", "从轻减轻条件", "适用情形"],
    "法定依据": ["法定依据", "法律依据", "违法依据", "不予处罚依据"],
    "处罚依据": ["处罚依据", "相应处罚规定", "处罚规定"],
    "处理方式": ["处理方式", "清单类型", "处罚类型", "处理措施"],
    "罚款下限（元）": ["罚款下限（元）", "罚款下限", "从轻罚款下限"],
    "罚款上限（元）": ["罚款上限（元）", "罚款上限", "从轻罚款上限"],
    "改正期限（工作日）": ["改正期限（工作日）", "改正期限", "责令改正期限"],
    "执法部门": ["执法部门", "实施部门", "职能部门编码"],
    "检索词": ["检索词", "关键词"],
    "条件代码": ["条件代码"],
}
REQUIRED = ["序号", "违法行为", "适用条件", "法定依据"]
MAX_ROWS = 5_000
HEADER_WITHIN = 10  # the header is looked for among this many rows at the top of a sheet


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    fields: int = 0
    rejects: list = field(default_factory=list)  # {"row", "key", "reason", "values"}

    @property
    def accepted(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return f"新增事项{self.created}，更新{self.updated}，涉及领域{self.fields}个；退回{len(self.rejects)}行"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def _header(row: list[str]) -> dict[str, int] | None:
    """{column: position} of a header row (its cells as text), or None for a row that is not the list's header."""
    names = [h.replace(" ", "").replace("\n", "") for h in row]
    found = {}
    for column, aliases in ALIASES.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[column] = i
                break
    return found if all(c in found for c in ("序号", "违法行为")) else None


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """[(row number as Excel shows it, {column: text})] from the first sheet that has the list's header among its
    first rows (below the titles a published list puts above it), read by the one table reader (`core.tables`)."""
    for table in tables.xlsx_upload(
        data, sheets=list, header=_is_header, header_within=HEADER_WITHIN, max_rows=MAX_ROWS
    ):
        header = _header(table.header) or {}
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise Invalid(f"工作表“{table.name}”缺少列：{'、'.join(missing)}", code="missing_columns", field="file")
        body = []
        for number, values in table.rows:
            cells = {c: _text(values[i]) if i < len(values) else "" for c, i in header.items()}
            if any(cells.values()):
                body.append((number, cells))
        return body
    raise Invalid("没有找到含“序号”“违法行为”列的表头，请使用导入模板", code="no_header", field="file")


def _is_header(row: list[str]) -> bool:
    return _header(row) is not None


def import_workbook(actor: Actor, version_pk, data: bytes) -> ImportResult:
    services._check_manager(actor)
    version = selectors.version_get(version_pk)
    services.check_editable(version)
    rows = read_rows(data)
    result = ImportResult()
    field_name = ""
    seen: set[str] = set()
    with transaction.atomic():
        ListVersion.objects.select_for_update().filter(pk=version.pk).first()
        for number, cells in rows:
            # A row with only its first cells filled names the field of the rows below it.
            if cells.get("序号") and not cells.get("违法行为") and not cells.get("法定依据"):
                field_name = cells["序号"].lstrip("一二三四五六七八九十、. ").strip() or field_name
                continue
            try:
                with transaction.atomic():
                    created = _row(version, cells, field_name, seen)
            except Problem as problem:
                result.rejects.append(
                    {
                        "row": number,
                        "key": cells.get("序号", ""),
                        "reason": problem.detail,
                        "values": [cells.get(c, "") for c in COLUMNS],
                    }
                )
                continue
            if created:
                result.created += 1
            else:
                result.updated += 1
        result.fields = version.fields.count()
    return result


def _row(version: ListVersion, cells: dict, field_name: str, seen: set[str]) -> bool:
    for column in REQUIRED:
        if not cells.get(column):
            raise Invalid(f"“{column}”不能为空", code="required", field=column)
    number = services.clean_text(cells["序号"], "序号", limit=20, label="序号")
    if number in seen:
        raise Invalid(f"序号“{number}”在文件中重复", code="duplicate_number", field="序号")
    name = cells.get("领域") or field_name
    if not name:
        raise Invalid("没有“领域”：请填写领域列，或在事项上方加一行领域名称", code="field_required", field="领域")
    name = services.clean_text(name, "领域", limit=60, label="领域")
    treatment = services.parse_treatment(cells.get("处理方式") or "不予处罚")
    condition_text = services.clean_text(cells["适用条件"], "适用条件", limit=2000, label="适用条件")
    conditions = services.parse_conditions(condition_text, cells.get("条件代码", ""))
    if not conditions:
        raise Invalid("未能识别适用条件（可在“条件代码”列写明）", code="conditions_unrecognised", field="适用条件")
    if treatment == Treatment.FIRST_OFFENCE and "first_offence" not in {c.code for c in conditions}:
        conditions += list(services.Condition.objects.filter(code="first_offence"))
    low = (
        services.clean_amount(cells.get("罚款下限（元）"), "罚款下限（元）", "罚款下限")
        if cells.get("罚款下限（元）")
        else None
    )
    high = (
        services.clean_amount(cells.get("罚款上限（元）"), "罚款上限（元）", "罚款上限")
        if cells.get("罚款上限（元）")
        else None
    )
    if low is not None and high is not None and high < low:
        raise Invalid("罚款上限不能低于下限", code="fine_range_reversed", field="罚款上限（元）")
    if treatment == Treatment.LIGHT_PENALTY and high is None:
        raise Invalid("轻罚事项须写明罚款上限", code="fine_range_required", field="罚款上限（元）")
    days = services.clean_days(cells.get("改正期限（工作日）"), "改正期限（工作日）")
    fld = services.field_get_or_create(version, name, cells.get("执法部门", ""))
    existed = version.items.filter(number=number).exists()
    services.item_save(
        version,
        {
            "number": number,
            "field": fld,
            "treatment": treatment,
            "violation": services.clean_text(cells["违法行为"], "违法行为", limit=2000, label="违法行为"),
            "condition_text": condition_text,
            "conditions": conditions,
            "legal_basis": services.clean_text(cells["法定依据"], "法定依据", limit=4000, label="法定依据"),
            "penalty_basis": services.clean_text(cells.get("处罚依据"), "处罚依据", limit=4000, label="处罚依据"),
            "fine_min": low,
            "fine_max": high,
            "correction_days": days,
            "keywords": services.clean_text(cells.get("检索词"), "检索词", limit=200, label="检索词"),
        },
    )
    seen.add(number)
    return not existed


def rejects_workbook(rejects: list) -> bytes:
    book = sheets.Book()
    book.table(
        "退回行",
        ["行号", "序号", "原因", *COLUMNS],
        [[r["row"], r["key"], r["reason"], *r["values"]] for r in rejects],
        widths={2: 40, 5: 40},
    )
    return book.close()


def template_workbook() -> bytes:
    book = sheets.Book()
    book.table(
        "清单",
        COLUMNS,
        [
            [
                "1",
                "市场监管",
                "个体工商户未将营业执照置于经营场所醒目位置",
                "首次被发现，并在责令改正的期限内改正",
                "《促进个体工商户发展条例》；《行政处罚法》第三十三条",
                "《市场主体登记管理条例》第四十八条",
                "不予处罚",
                "",
                "",
                5,
                "scjg",
                "营业执照 亮照经营",
                "",
            ],
        ],
        widths={c: 20 for c in range(len(COLUMNS))},
    )
    return book.close()
