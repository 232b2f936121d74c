"""A department's figures from one .xlsx, with a rejects report (following patronage/importing.py).

Sheet "数据" (or the first sheet): 统一社会信用代码, 企业名称 (for reading only), and one column per figure the
department owns in this round, headed by the figure's name (“税收”, or “税收（万元）”) or its code. A column the
department does not own refuses the file (nothing written); a bad row is rejected whole with its row number and
reason, the others go in; the run is one transaction. Each value is written through the same helpers as the form
(`services.clean_value`, `services._write_figure`), as the step “部门导入”. Importing the same file again leaves
the same values (and records the step again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from whistle.core import sheets, tables
from whistle.core.errors import Conflict, Forbidden, Invalid, Problem
from whistle.org.scopes import Actor

from . import access
from .models import FigureKind, FigureStep, Participant, Round, RoundState
from .services import _locked_round, _not_frozen, _write_figure, clean_value

SHEET = "数据"
USCC = "统一社会信用代码"
NAME = "企业名称"
MAX_ROWS = 100_000


@dataclass
class ImportResult:
    written: int = 0
    rows: int = 0
    columns: list = field(default_factory=list)
    rejects: list = field(default_factory=list)  # {"row", "uscc", "name", "reason"}

    def summary(self) -> str:
        return f"导入{self.rows}行、{self.written}个数据，退回{len(self.rejects)}行"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _header_kinds(header: list[str], kinds: list[FigureKind]) -> dict[int, FigureKind]:
    names = {}
    for k in kinds:
        for label in (k.code, k.name, f"{k.name}（{k.unit}）", f"{k.name}({k.unit})"):
            names[label] = k
    return {i: names[h] for i, h in enumerate(header) if h in names}


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    """(header, [(row number as Excel shows it, values)]) of sheet 数据 (or the first sheet), read by the one table
    reader (`core.tables`): a file that is not a workbook, an empty one, one without the USCC column or with more than
    MAX_ROWS rows is refused before anything is written."""
    for table in tables.xlsx_upload(data, sheets=_figure_sheet, max_rows=MAX_ROWS):
        rows = list(table.rows)
        if not any(table.header) and not rows:
            break
        if USCC not in table.header:
            raise Invalid(f"缺少“{USCC}”列，请使用导入模板", code="missing_columns", field="file")
        return table.header, [(n, list(r)) for n, r in rows if any(_text(v) for v in r)]
    raise Invalid("工作簿是空的，请使用导入模板", code="empty_file", field="file")


def _figure_sheet(names: list[str]) -> list[str]:
    return [SHEET] if SHEET in names else names[:1]


def import_figures(actor: Actor, round_id: int, data: bytes, *, now=None) -> ImportResult:
    """The .xlsx path: its columns are checked before any row is read."""
    header, body = read_rows(data)
    kinds = list(FigureKind.objects.all())
    columns = _header_kinds(header, kinds)
    unknown = [h for i, h in enumerate(header) if h and h not in (USCC, NAME) and i not in columns]
    if unknown:
        raise Invalid(f"无法识别的列：{'、'.join(unknown)}", code="unknown_columns", field="file")
    if not columns:
        raise Invalid("没有可导入的数据列", code="missing_columns", field="file")
    uscc_at = header.index(USCC)
    name_at = header.index(NAME) if NAME in header else None
    records = []
    for number, row in body:
        row = row + [None] * (len(header) - len(row))
        records.append(
            (
                number,
                _text(row[uscc_at]).upper(),
                _text(row[name_at]) if name_at is not None else "",
                {kind.code: row[i] for i, kind in columns.items()},
            )
        )
    return ingest(actor, round_id, [k.code for k in columns.values()], records, FigureStep.Step.IMPORTED, now=now)


def ingest(actor: Actor, round_id: int, codes: list[str], records: list, step: str, *, now=None) -> ImportResult:
    """Rows (number, USCC, name, {figure code: raw value}) from a file or the API: one transaction, a bad row
    rejected whole, a figure the actor's unit does not own refusing everything."""
    now = now or timezone.now()
    result = ImportResult()
    with transaction.atomic():
        rnd: Round = _locked_round(actor, round_id)
        _not_frozen(rnd)
        if rnd.state in (RoundState.PUBLICITY, RoundState.REVIEW):
            raise Conflict("公示开始后数据只能通过异议答复更正", code="figures_closed")
        owned = access.owned_kinds(actor, rnd)
        if not owned and actor.role != "sysadmin":
            raise Forbidden("本单位在本轮评价中没有负责报送的数据项", code="figure_not_owned")
        kinds = {k.code: k for k in FigureKind.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in kinds]
        if unknown:
            raise Invalid(f"数据项不存在：{'、'.join(unknown)}", code="unknown_figure", field="kind")
        foreign = [k.name for k in kinds.values() if k.pk not in owned and actor.role != "sysadmin"]
        if foreign:
            raise Forbidden(
                f"这些数据项不由本单位报送：{'、'.join(foreign)}，请删去后再报送", code="figure_not_owned", field="kind"
            )
        result.columns = [kinds[c].name for c in codes]
        participants = {
            p.enterprise.uscc: p for p in Participant.objects.filter(round=rnd).select_related("enterprise")
        }
        seen = set()
        for number, uscc, name, raw in records:
            try:
                with transaction.atomic():
                    if not uscc:
                        raise Invalid("统一社会信用代码不能为空", code="required", field=USCC)
                    if uscc in seen:
                        raise Invalid("同一企业重复出现", code="duplicate_row", field=USCC)
                    participant = participants.get(uscc)
                    if participant is None:
                        raise Invalid("该企业不在本轮评价名单中", code="not_participant", field=USCC)
                    values = [(kinds[code], clean_value(value, kinds[code].name)) for code, value in raw.items()]
                    for kind, value in values:
                        if value is None:
                            continue
                        note = "Excel导入" if step == FigureStep.Step.IMPORTED else "接口报送"
                        _write_figure(actor, rnd, participant, kind, value, step, note, now)
                        result.written += 1
                    seen.add(uscc)
                    result.rows += 1
            except Problem as problem:
                result.rejects.append({"row": number, "uscc": uscc, "name": name, "reason": problem.detail})
        if result.written and rnd.score_runs:
            Round.objects.filter(pk=rnd.pk).update(needs_rescore=True)
    return result


def rejects_workbook(rejects: list[dict]) -> bytes:
    book = sheets.Book()
    book.table(
        "退回行",
        ["行号", USCC, NAME, "原因"],
        [[r["row"], r["uscc"], r["name"], r["reason"]] for r in rejects],
        widths={1: 22, 2: 30, 3: 40},
    )
    return book.close()


def template_workbook(actor: Actor, rnd: Round) -> bytes:
    """The round's participants with the columns this department owns, ready to fill in."""
    owned = access.owned_kinds(actor, rnd)
    kinds = [k for k in FigureKind.objects.all() if k.pk in owned]
    book = sheets.Book()
    parts = Participant.objects.filter(round=rnd).select_related("enterprise").order_by("enterprise__name")
    book.table(
        SHEET,
        [USCC, NAME] + [f"{k.name}（{k.unit}）" for k in kinds],
        [[p.enterprise.uscc, p.enterprise.name] + [None] * len(kinds) for p in parts],
        widths={0: 22, 1: 30},
    )
    return book.close()
