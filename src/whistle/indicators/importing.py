"""Figures from one .xlsx with a rejects report: sheet 数据 (one figure a row) and sheet 乡镇空气 (the towns' monthly
monitoring data in bulk: one town a row, the six pollutants across).

Each figure goes through `services.figure_submit`, the same path as the form and the API, inside a savepoint: a bad
row is rejected whole (row number + reason) and the others go in, all of them waiting for review under one batch
id, which a reviewer can approve in one step. A figure equal to its latest version is not a new version, so
importing the same file again changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from whistle.core import sheets, tables
from whistle.core.errors import Invalid, Problem
from whistle.org.scopes import Actor

from . import services
from .models import Origin

FIGURE_COLUMNS = ["指标编码", "地区编码", "期别", "数值", "同比增长（%）", "数据来源说明"]
AIR_COLUMNS = ["地区编码", "期别", "PM2.5", "PM10", "SO2", "NO2", "O3", "CO", "数据来源说明"]
AIR_CODES = {"PM2.5": "pm25", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "O3": "o3", "CO": "co"}
SHEETS = {"数据": FIGURE_COLUMNS, "乡镇空气": AIR_COLUMNS}
REQUIRED = {"数据": ["指标编码", "地区编码", "期别"], "乡镇空气": ["地区编码", "期别"]}
MAX_ROWS = 50_000


@dataclass
class ImportResult:
    batch: str = ""
    created: int = 0
    unchanged: int = 0
    flagged: int = 0
    rejects: list = field(default_factory=list)  # {"sheet", "row", "key", "reason", "values"}

    def summary(self) -> str:
        return f"新报送{self.created}条（其中异常波动{self.flagged}条），与已报送一致{self.unchanged}条，退回{len(self.rejects)}行"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value).strip()


def read_workbook(data: bytes) -> dict[str, list[tuple[int, dict]]]:
    """{sheet: [(row number as Excel shows it, {column: value})]} of sheets 数据 and 乡镇空气, read by the one table
    reader (`core.tables`): a file that is not a workbook, a sheet without the required columns or with more than
    MAX_ROWS rows is refused before anything is written."""
    found = {}
    for table in tables.xlsx_upload(data, sheets=_known_sheets, max_rows=MAX_ROWS):
        name = table.name
        missing = [c for c in REQUIRED[name] if c not in table.header]
        rows = list(table.rows) if missing and not any(table.header) else None  # an empty sheet imports nothing
        if missing and (any(table.header) or rows):
            raise Invalid(f"工作表“{name}”缺少列：{'、'.join(missing)}", code="missing_columns", field="file")
        found[name] = tables.records(table, rows)
    return found


def _known_sheets(names: list[str]) -> list[str]:
    known = [name for name in names if name in SHEETS]
    if not known:
        raise Invalid("工作簿中没有“数据”或“乡镇空气”工作表，请使用导入模板", code="no_known_sheet", field="file")
    return known


def import_workbook(actor: Actor, data: bytes, now: dt.datetime | None = None) -> ImportResult:
    now = now or timezone.now()
    book = read_workbook(data)
    result = ImportResult(batch=timezone.localtime(now).strftime("%Y%m%d%H%M") + "-" + uuid.uuid4().hex[:6])

    def submit(**kwargs):
        figure, created = services.figure_submit(actor, batch=result.batch, now=now, **kwargs)
        if created:
            result.created += 1
            result.flagged += figure.jump_flag
        else:
            result.unchanged += 1

    with transaction.atomic():
        for number, v in book.get("数据", []):
            try:
                with transaction.atomic():
                    for column in REQUIRED["数据"]:
                        if not _text(v.get(column)):
                            raise Invalid(f"“{column}”不能为空", code="required", field=column)
                    submit(
                        indicator=_text(v["指标编码"]),
                        region=_text(v["地区编码"]),
                        period=_text(v["期别"]),
                        value=v.get("数值"),
                        growth=v.get("同比增长（%）"),
                        source_note=_text(v.get("数据来源说明")),
                        origin=Origin.IMPORT,
                    )
            except Problem as problem:
                result.rejects.append(_reject("数据", number, v, problem))
        for number, v in book.get("乡镇空气", []):
            try:
                with transaction.atomic():
                    for column in REQUIRED["乡镇空气"]:
                        if not _text(v.get(column)):
                            raise Invalid(f"“{column}”不能为空", code="required", field=column)
                    given = [c for c in AIR_CODES if _text(v.get(c))]
                    if not given:
                        raise Invalid("至少填写一项污染物浓度", code="value_required", field="PM2.5")
                    for column in given:
                        try:
                            submit(
                                indicator=AIR_CODES[column],
                                region=_text(v["地区编码"]),
                                period=_text(v["期别"]),
                                value=v.get(column),
                                source_note=_text(v.get("数据来源说明")) or "乡镇空气自动监测站",
                                origin=Origin.BULK,
                            )
                        except Problem as problem:
                            problem.detail = f"{column}：{problem.detail}"
                            raise
            except Problem as problem:
                result.rejects.append(_reject("乡镇空气", number, v, problem))
    return result


def _reject(sheet: str, number: int, values: dict, problem: Problem) -> dict:
    key = _text(values.get("地区编码"))
    if sheet == "数据":
        key = f"{_text(values.get('指标编码'))}/{key}"
    return {
        "sheet": sheet,
        "row": number,
        "key": key,
        "reason": problem.detail,
        "values": [_text(values.get(c)) for c in SHEETS[sheet]],
    }


def rejects_workbook(result: ImportResult) -> bytes:
    book = sheets.Book()
    width = max(len(c) for c in SHEETS.values())
    book.table(
        "退回行",
        ["工作表", "行号", "指标/地区", "原因"] + [f"列{i + 1}" for i in range(width)],
        [[r["sheet"], r["row"], r["key"], r["reason"], *r["values"]] for r in result.rejects],
        widths={3: 40},
    )
    return book.close()


def template_workbook() -> bytes:
    book = sheets.Book()
    book.table(
        "数据",
        FIGURE_COLUMNS,
        [
            ["retail", "heze", "2026-03", 612.35, 6.8, "市统计局月度快报"],
            ["industry_va", "heze", "2026-03", None, 9.1, "省统计局反馈（可比价增速）"],
        ],
        widths={c: 18 for c in range(len(FIGURE_COLUMNS))},
    )
    book.table(
        "乡镇空气",
        AIR_COLUMNS,
        [["caoxian-zhuangzhai", "2026-03", 48, 86, 9, 28, 132, 1.2, "乡镇空气自动监测站"]],
        widths={c: 12 for c in range(len(AIR_COLUMNS))},
    )
    return book.close()
