"""A chain's map in and out of Excel (产业链图谱), the way chain offices keep it today: one row per firm at a node
(or per node without firms), the node named by its path from the segment's top ("原料药/医药中间体"). The export
writes exactly the columns the import reads, so an exported map imports again unchanged; an import adds the nodes
and firms not yet on the map (through the services, each row in a savepoint: a bad row is rejected whole with its
row number and reason, the others go in) and leaves what is there alone."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from whistle.core import sheets, tables
from whistle.core.errors import Invalid, Problem
from whistle.core.inputs import cell_text
from whistle.org.scopes import Actor

from . import services
from .models import Chain, Node, NodeFirm, Segment
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


def export_map(chain: Chain) -> bytes:
    nodes = list(Node.objects.filter(chain=chain).order_by("path"))
    names = {n.pk: n.name for n in nodes}
    parents = {n.pk: n.parent_id for n in nodes}

    def path_of(pk):
        parts = []
        while pk is not None:
            parts.append(names[pk])
            pk = parents[pk]
        return SEPARATOR.join(reversed(parts))

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
