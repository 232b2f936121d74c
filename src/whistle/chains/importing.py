"""A chain's map and its lists in and out of Excel, the way chain offices keep them today.

The map (产业链图谱): one row per firm at a node (or per node without firms), the node named by its path from the
segment's top ("原料药/医药中间体"). The lists (N张清单): one row per entry of a year's lists, the list named by its
type, a node by the same path. Each export writes exactly the columns its import reads, so an exported sheet imports
again unchanged; an import adds what is not there yet (through the services, each row in a savepoint: a bad row is
rejected whole with its row number and reason, the others go in), leaves what is there alone, and reports the
rejected rows (`rejects_workbook`). Text goes out through `core.sheets`, so what a person typed stays text in Excel."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import sheets, tables
from whistle.core.errors import Forbidden, Invalid, Problem
from whistle.core.inputs import cell_text
from whistle.core.params import parse_year
from whistle.org.scopes import Actor

from . import services
from .models import Chain, ListEntry, ListType, Node, NodeFirm, Segment
from .selectors import can_keep

SHEET = "产业链图谱"
COLUMNS = ("环节", "节点路径", "企业名称", "统一社会信用代码", "所在地")
SEPARATOR = "/"
MAX_ROWS = 50_000
SEGMENTS = {label: value for value, label in Segment.choices}


@dataclass
class ImportResult:
    nodes: int = 0
    firms: int = 0
    rejects: list = field(default_factory=list)  # {"row", "reason"}

    def summary(self) -> str:
        return f"新增节点{self.nodes}个、企业{self.firms}家，退回{len(self.rejects)}行"


def node_paths(chain: Chain) -> dict[int, str]:
    """Each node's path from its segment's top, "原料药/医药中间体" (one query; parents come first in path order)."""
    paths: dict[int, str] = {}
    for pk, parent, name in Node.objects.filter(chain=chain).order_by("path").values_list("pk", "parent_id", "name"):
        paths[pk] = f"{paths[parent]}{SEPARATOR}{name}" if parent in paths else name
    return paths


def export_map(chain: Chain) -> bytes:
    nodes = list(Node.objects.filter(chain=chain).order_by("path"))
    paths = node_paths(chain)

    def path_of(pk):
        return paths[pk]

    firms: dict[int, list] = {}
    for firm in NodeFirm.objects.filter(node__chain=chain).select_related("enterprise").order_by("node_id", "name"):
        firms.setdefault(firm.node_id, []).append(firm)
    rows = []
    for node in nodes:
        at_node = firms.get(node.pk) or [None]
        for firm in at_node:
            rows.append(
                [
                    node.get_segment_display(),
                    path_of(node.pk),
                    firm.name if firm else "",
                    firm.enterprise.uscc if firm and firm.enterprise_id else "",
                    firm.place if firm else "",
                ]
            )
    return sheets.workbook([(SHEET, list(COLUMNS), rows)])


def _node_for(actor: Actor, chain: Chain, segment: str, path: str, result: ImportResult) -> Node:
    parts = [p.strip() for p in path.split(SEPARATOR)]
    if not all(parts):
        raise Invalid("节点路径不能有空的层级", code="invalid_path", field="节点路径")
    parent = None
    for name in parts:
        node = Node.objects.filter(chain=chain, parent=parent, name=name).first()
        if node is None:
            node = services.node_add(actor, chain, name=name, segment=segment, parent=parent.pk if parent else None)
            result.nodes += 1
        elif parent is None and node.segment != segment:
            raise Invalid(f"节点“{name}”已属于{node.get_segment_display()}", code="segment_mismatch", field="环节")
        parent = node
    assert parent is not None
    return parent


def import_map(actor: Actor, chain: Chain, data: bytes) -> ImportResult:
    if not can_keep(actor, chain):
        raise Invalid("只有本产业链的链办可以导入图谱", code="not_allowed", field="file")
    try:
        table = next(tables.read(data, kind="xlsx", sheets=_pick, columns=COLUMNS))
    except (tables.Unreadable, StopIteration):
        raise Invalid("无法读取文件，请上传 .xlsx 格式的工作簿", code="invalid_file", field="file") from None
    missing = [c for c in ("环节", "节点路径") if c not in table.header]
    if missing:
        raise Invalid(f"缺少列：{'、'.join(missing)}；请使用导出的图谱格式", code="missing_columns", field="file")
    result = ImportResult()
    with transaction.atomic():
        for number, values in table.rows:
            if number > MAX_ROWS:
                raise Invalid(f"超过{MAX_ROWS}行，请分批导入", code="too_many_rows", field="file")
            segment_label, path, name, uscc, place = (cell_text(v) for v in values)
            if not any((segment_label, path, name, uscc, place)):
                continue
            try:
                with transaction.atomic():
                    if segment_label not in SEGMENTS:
                        raise Invalid("环节须为上游、中游或下游", code="invalid_segment", field="环节")
                    node = _node_for(actor, chain, SEGMENTS[segment_label], path, result)
                    if name or uscc:
                        exists = NodeFirm.objects.filter(node=node, name=name).exists() if name else False
                        if not exists:
                            services.firm_add(actor, chain, node.pk, name=name, uscc=uscc, place=place)
                            result.firms += 1
            except Problem as problem:
                result.rejects.append({"row": number, "reason": problem.detail})
    return result


def _pick(names: list[str]) -> list[str]:
    return [SHEET] if SHEET in names else names[:1]


def rejects_workbook(rejects: list[dict]) -> bytes:
    return sheets.workbook(
        [("退回清单", ["行号", "名称", "原因"], [[r["row"], r.get("key", ""), r["reason"]] for r in rejects])]
    )


# ---- the lists ----------------------------------------------------------------------------------------------------

LISTS_SHEET = "清单"
LIST_COLUMNS = ("清单", "名称", "统一社会信用代码", "节点路径", "说明")


@dataclass
class ListsResult:
    year: int
    created: int = 0
    unchanged: int = 0
    rejects: list = field(default_factory=list)  # {"row", "key", "reason"}

    def summary(self) -> str:
        return f"{self.year}年清单：新增{self.created}条，已有未变{self.unchanged}条，退回{len(self.rejects)}行"


def export_lists(chain: Chain, year: int) -> bytes:
    paths = node_paths(chain)
    rows = [
        [
            entry.list_type.name,
            entry.name,
            entry.enterprise.uscc if entry.enterprise_id else "",
            paths.get(entry.node_id, "") if entry.node_id else "",
            entry.note,
        ]
        for entry in ListEntry.objects.filter(chain=chain, year=year)
        .select_related("list_type", "enterprise")
        .order_by("list_type__order", "list_type__code", "pk")
    ]
    return sheets.workbook([(LISTS_SHEET, list(LIST_COLUMNS), rows)])


def _node_by_path(chain: Chain, path: str, by_path: dict[str, int]) -> int | None:
    if not path:
        return None
    pk = by_path.get(SEPARATOR.join(p.strip() for p in path.split(SEPARATOR)))
    if pk is None:
        raise Invalid(f"图谱中没有节点“{path}”，请先在图谱中添加", code="unknown_node", field="节点路径")
    return pk


def import_lists(actor: Actor, chain: Chain, year, data: bytes) -> ListsResult:
    """A year's lists from a workbook: each row an entry of the list its 清单 names (by name or code). An entry the
    year's list already has (same name) is left as it is."""
    if not can_keep(actor, chain):
        raise Forbidden("只有本产业链的链办可以导入清单", code="not_chain_office")
    result = ListsResult(year=parse_year(year))
    table = next(tables.xlsx_upload(data, sheets=_pick_lists, columns=LIST_COLUMNS, max_rows=MAX_ROWS), None)
    if table is None:
        raise Invalid("文件中没有工作表", code="invalid_file", field="file")
    missing = [c for c in ("清单", "名称") if c not in table.header]
    if missing:
        raise Invalid(f"缺少列：{'、'.join(missing)}；请使用导出的清单格式", code="missing_columns", field="file")
    rows = list(table.rows)  # read whole before writing: a file past MAX_ROWS is refused with nothing written
    kinds = {}
    for kind in ListType.objects.filter(is_active=True):
        kinds[kind.name] = kinds[kind.code] = kind
    by_path = {path: pk for pk, path in node_paths(chain).items()}
    have = set(ListEntry.objects.filter(chain=chain, year=result.year).values_list("list_type_id", "name"))
    with transaction.atomic():
        for number, values in rows:
            kind_label, name, uscc, path, note = (cell_text(v) for v in values)
            if not any((kind_label, name, uscc, path, note)):
                continue
            try:
                kind = kinds.get(kind_label)
                if kind is None:
                    raise Invalid(f"清单类型“{kind_label}”不存在", code="invalid_list_type", field="清单")
                if (kind.pk, name) in have:
                    result.unchanged += 1
                    continue
                with transaction.atomic():
                    services.entry_add(
                        actor,
                        chain,
                        list_type=kind.code,
                        year=result.year,
                        name=name,
                        uscc=uscc,
                        node=_node_by_path(chain, path, by_path),
                        note=note,
                    )
                have.add((kind.pk, name))
                result.created += 1
            except Problem as problem:
                result.rejects.append({"row": number, "key": name, "reason": problem.detail})
    return result


def _pick_lists(names: list[str]) -> list[str]:
    return [LISTS_SHEET] if LISTS_SHEET in names else names[:1]


# ---- the chain report as a workbook -------------------------------------------------------------------------------


def export_report(report: dict) -> bytes:
    """The printable report's tables, one sheet each (指标, 项目, 缺链分析, 企业, 清单)."""
    kpis = [
        [f.definition.name, f.value if f.value is not None else "未填报", f.definition.unit] for f in report["kpis"]
    ]
    inv = report["investment"]
    if inv:
        kpis += [
            ["市级领导带队招商（次）", inv["trips"], "次"],
            ["新签约过亿元项目", inv["signed"], "个"],
            ["过亿元项目总投资", inv["amount_yi"], "亿元"],
        ]
    projects = [
        [
            p.get_pipeline_display(),
            p.name,
            p.target_firm,
            p.stage.name,
            p.get_light_display(),
            p.due_on,
            p.amount,
            p.signed_on,
            p.started_on,
            p.county.name,
            p.responsible_unit.name,
            p.node.name if p.node_id else "",
        ]
        for p in report["projects"]
    ]
    gaps = [
        [i, g.node.name, "；".join(text for _, text in g.reasons), g.target, g.projects]
        for i, g in enumerate(report["suggestions"], start=1)
    ]
    firms = [
        [f["name"], "、".join(f["nodes"]), f["klass"] or "", f["open"], f["overdue"], f["satisfaction"]]
        for f in report["health"]["listed"]
    ]
    lists = [
        [t.name, e.name, e.node.name if e.node_id else "", e.note] for t, entries in report["lists"] for e in entries
    ]
    return sheets.workbook(
        [
            ("指标", ["指标", f"{report['year']}年", "单位"], kpis),
            (
                "项目",
                [
                    "类型",
                    "项目名称",
                    "目标企业",
                    "阶段",
                    "预警",
                    "本阶段时限",
                    "投资额（万元）",
                    "签约日期",
                    "开工日期",
                    "落地县区",
                    "责任单位",
                    "补链节点",
                ],
                projects,
            ),
            ("缺链分析", ["序号", "节点", "原因", "可招引企业", "已有项目"], gaps),
            ("企业", ["企业", "节点", "亩产效益分类", "未办结诉求", "超时诉求", "满意率（%）"], firms),
            ("清单", ["清单", "名称", "节点", "说明"], lists),
        ]
    )
