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


def workbook(actor: Actor):
    """The workbook in a temporary file, at its start (streamed: an export of any length)."""
    out = tempfile.TemporaryFile()
    book = sheets.Book(out, constant_memory=True)
    proposals = selectors.proposal_list(actor)
    sheet = book.sheet("问责建议", PROPOSAL_COLUMNS, rows=proposals.count())
    for p in proposals.iterator(chunk_size=1000):
        sheet.row(
            [
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
        )
    actions = selectors.action_list(actor)
    sheet = book.sheet("问责记录", ACTION_COLUMNS, rows=actions.count())
    for a in actions.iterator(chunk_size=1000):
        sheet.row(
            [
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
        )
    book.close()
    out.seek(0)
    return out
