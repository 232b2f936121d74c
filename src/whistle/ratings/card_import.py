"""Registering cadres and windows from an .xlsx sheet (issue 4, item 1).

Every row is checked before anything is written: kind, name, unit code (existing, active, inside the importer's
scope), phone format, post or hall, duplicates inside the file. A file with any rejected row writes nothing; the
rejects report (.xlsx, row number + reason) says what to fix. A clean file is written in one transaction and is
idempotent on the card code: a row whose card code exists updates that card, so importing the same file twice
changes nothing. A row without a card code gets a deterministic one (a keyed hash of kind, unit and name), so
re-importing it still finds the same card, and the code stays unguessable."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import inputs, sheets, tables, wording
from whistle.core.errors import Invalid
from whistle.core.hashing import keyed_hash
from whistle.core.inputs import cell_text
from whistle.org.models import Role, Unit
from whistle.org.scopes import Actor

from .models import Cadre, Window

COLUMNS = [
    ("类型", "kind", "干部 或 窗口"),
    ("名称", "name", "干部姓名或窗口名称"),
    ("单位编码", "unit", "所属单位的编码，如 caoxian-zjj"),
    ("职务", "post", "干部必填"),
    ("所在大厅", "hall", "窗口必填"),
    ("党员", "is_party_member", "是 / 否（干部）"),
    ("监督电话", "supervision_phone", "手机号或 区号-号码"),
    ("职责", "duties", "可换行"),
    ("服务事项及时限", "service_items", "每行一项（干部）"),
    ("亮码编号", "card_code", "可不填：首次导入自动生成；更新已有卡片时填写"),
]
KINDS = {"干部": Cadre, "窗口": Window}
MAX_ROWS = 20_000
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")
LIMITS = {"name": 60, "post": 60, "hall": 80, "duties": 2000, "service_items": 2000}
IMPORT_ROLES = {Role.UNIT_ADMIN, Role.SYSADMIN}


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejects


def template_xlsx() -> bytes:
    """The sheet to fill in: the header row, a note under each column, and one example of each kind."""
    book = sheets.Book()
    sheet = book.table(
        "干部和窗口",
        [title for title, _, _ in COLUMNS],
        [
            [
                "干部",
                "张伟",
                "caoxian-zjj",
                "审批科科长",
                "",
                "是",
                "0530-3212345",
                "负责建筑工程施工许可审批",
                "施工许可证核发 3个工作日",
                "",
            ],
            [
                "窗口",
                "企业开办综合窗口",
                "heze-scjg",
                "",
                f"{wording.text('city_name')}政务服务中心一楼",
                "",
                "0530-5310001",
                "营业执照、印章刻制一窗通办",
                "",
                "",
            ],
        ],
    )
    sheet.notes([hint for _, _, hint in COLUMNS])
    sheet.text_columns(len(COLUMNS), 18)  # typed cells stay text: a phone number must not become a number
    return book.close()


def rejects_xlsx(rejects: list[tuple[int, str]]) -> bytes:
    return sheets.Book().table("退回清单", ["行号", "原因"], rejects, widths={1: 60}).book.close()


def read_rows(data, name: str = "") -> list[tuple[int, list[str]]]:
    """The first sheet's rows (or a CSV's, when `name` ends in .csv) as text, with their row numbers, through the one
    table reader. An unreadable file or a wrong header is refused whole (Invalid)."""
    kind = "csv" if name.lower().endswith(".csv") else "xlsx"
    try:
        table = tables.first(io.BytesIO(data) if isinstance(data, bytes) else data, kind=kind)
        rows = [(number, [cell_text(v) for v in values]) for number, values in table.rows]
    except tables.Unreadable:
        raise Invalid("无法读取文件，请上传由模板填写的 .xlsx 文件", code="unreadable_file", field="file") from None
    if not table.header and not rows:
        raise Invalid("文件是空的", code="empty_file", field="file")
    expected = [title for title, _, _ in COLUMNS]
    if table.header[: len(expected)] != expected:
        raise Invalid("表头与模板不一致，请下载模板后填写：" + "、".join(expected), code="wrong_header", field="file")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"一次最多导入{MAX_ROWS}行", code="too_many_rows", field="file")
    return [(number, row + [""] * (len(expected) - len(row))) for number, row in rows]


def default_code(kind: str, unit: str, name: str) -> str:
    return keyed_hash(f"card:{kind}:{unit}:{name}")[:16]


def _check(
    actor: Actor, rows: list[tuple[int, list[str]]]
) -> tuple[list[tuple[int, type, dict]], list[tuple[int, str]]]:
    units = {u.code: u for u in Unit.objects.filter(is_active=True, code__in={r[2] for _, r in rows})}
    existing = {
        code: model
        for model in (Cadre, Window)
        for code in model.objects.filter(card_code__in={r[9] for _, r in rows if r[9]}).values_list(
            "card_code", flat=True
        )
    }
    good, rejects, seen_codes, seen_names = [], [], {}, {}
    for line, row in rows:
        values = {name: row[i] for i, (_, name, _) in enumerate(COLUMNS)}
        reasons = []
        if any("\x00" in v for v in values.values()):
            values = {k: v.replace("\x00", "") for k, v in values.items()}
            reasons.append("含有非法字符")
        model = KINDS.get(values["kind"])
        if model is None:
            reasons.append("类型须为“干部”或“窗口”")
        if not values["name"]:
            reasons.append("名称必填")
        for name, limit in LIMITS.items():
            if len(values[name]) > limit:
                reasons.append(f"{dict((n, t) for t, n, _ in COLUMNS)[name]}不能超过{limit}字")
        unit = units.get(values["unit"])
        if unit is None:
            reasons.append(f"单位编码“{values['unit']}”不存在或已停用" if values["unit"] else "单位编码必填")
        elif not (actor.is_system or actor.role == Role.SYSADMIN or actor.covers(unit)):
            reasons.append(f"单位“{unit.name}”不在您的管理范围内")
        try:
            values["supervision_phone"] = inputs.phone(values["supervision_phone"], field="supervision_phone")
        except Invalid:
            reasons.append("监督电话格式不正确（11位手机号或 区号-号码）")
        if model is Cadre and not values["post"]:
            reasons.append("干部须填写职务")
        if model is Window and not values["hall"]:
            reasons.append("窗口须填写所在大厅")
        if values["is_party_member"] not in ("", "是", "否"):
            reasons.append("党员一栏填“是”或“否”")
        code = values["card_code"]
        if code and not CODE_RE.match(code):
            reasons.append("亮码编号须为8至24位字母、数字、“-”或“_”")
        if model and not code and not reasons:
            code = default_code(values["kind"], values["unit"], values["name"])
        if code and existing.get(code, model) is not model:
            reasons.append(f"亮码编号“{code}”已属于另一类卡片")
        name_key = (values["kind"], values["unit"], values["name"])
        if code and code in seen_codes:
            reasons.append(f"与第{seen_codes[code]}行的亮码编号重复")
        elif all(name_key) and name_key in seen_names:
            reasons.append(f"与第{seen_names[name_key]}行重复（同一单位、同一类型、同名）")
        if reasons:
            rejects.append((line, "；".join(reasons)))
            continue
        seen_codes[code] = seen_names[name_key] = line
        fields = {
            "name": values["name"],
            "unit": unit,
            "supervision_phone": values["supervision_phone"],
            "duties": values["duties"],
        }
        if model is Cadre:
            fields.update(
                post=values["post"],
                is_party_member=values["is_party_member"] == "是",
                service_items=values["service_items"],
            )
        else:
            fields.update(hall=values["hall"])
        good.append((line, model, {"card_code": code, **fields}))
    return good, rejects


def import_cards(actor: Actor, data, name: str = "") -> Result:
    """Check every row, then write all of them in one transaction — or, if any row is rejected, none."""
    if not (actor.is_system or actor.role in IMPORT_ROLES):
        raise Invalid("只有系统管理员和单位管理员可以导入", code="not_permitted")
    rows = read_rows(data, name)
    good, rejects = _check(actor, rows)
    result = Result(rejects=rejects)
    if rejects:
        return result
    if not good:
        result.rejects.append((2, "没有可导入的行"))
        return result
    with transaction.atomic():
        for _, model, fields in good:
            code = fields.pop("card_code")
            card = model.objects.select_for_update().filter(card_code=code).first()
            if card is None:
                model.objects.create(card_code=code, **fields)
                result.created += 1
            elif any(getattr(card, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(card, k, v)
                card.save()
                result.updated += 1
            else:
                result.unchanged += 1
    return result
