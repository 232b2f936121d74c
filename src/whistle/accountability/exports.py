"""问责建议 and 问责记录 in an actor's scope as .xlsx, one sheet each (through core.sheets, the one writer)."""

from __future__ import annotations

import tempfile

from whistle.core import sheets
from whistle.org.scopes import Actor, person_name

from . import selectors

PROPOSAL_COLUMNS = [
    "编号",
    "建议措施",
    "对象类型",
    "对象",
    "所属单位",
    "事由",
    "规则",
    "提出时间",
    "状态",
    "确认人",
    "确认时间",
    "确认意见",
]
ACTION_COLUMNS = ["建议编号", "措施", "对象", "所属单位", "日期", "参加人员", "结果", "记录人", "记录时间"]


def _proposal_row(p) -> list:
    return [
        p.pk,
        p.get_action_display(),
        p.get_subject_display(),
        p.target.name,
        p.unit.name,
        p.summary,
        p.rule.name,
        p.created_at,
        p.get_state_display(),
        person_name(p.decided_by),
        p.decided_at,
        p.decision_reason,
    ]


def _action_row(a) -> list:
    return [
        a.proposal_id,
        a.get_kind_display(),
        a.proposal.target.name,
        a.proposal.unit.name,
        a.held_on,
        a.participants,
        a.outcome,
        person_name(a.recorded_by),
        a.recorded_at,
    ]


def workbook(actor: Actor):
    """The workbook in a temporary file, at its start (streamed: an export of any length)."""
    out = tempfile.TemporaryFile()
    book = sheets.Book(out, constant_memory=True)
    for name, columns, rows, row in (
        ("问责建议", PROPOSAL_COLUMNS, selectors.proposal_list(actor), _proposal_row),
        ("问责记录", ACTION_COLUMNS, selectors.action_list(actor), _action_row),
    ):
        book.sheet(name, columns, rows=rows.count()).rows(map(row, rows.iterator(chunk_size=1000)))
    book.close()
    out.seek(0)
    return out
