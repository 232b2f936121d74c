"""A case's events told as plain Chinese sentences, for people who never saw the workflow table.

The requester is told the events `cases.visibility.requester_events` leaves it, with what that leaves in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from whistle.cases.models import CaseEvent, Resolution, Satisfaction

RESOLUTION = dict(Resolution.choices)
SATISFACTION = dict(Satisfaction.choices)
# How each contact method (workflow.CONTACT_METHODS) reads after a name.
CONTACTED = {"phone": "已电话联系企业", "onsite": "已到企业现场", "online": "已线上联系企业", "meeting": "已约见企业"}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    text: str
    detail: str = ""
    tone: str = ""  # "warn" (yellow card, supervision) or "alert" (red card, reopen) or "done"


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    from whistle.web.templatetags.web import when  # with the year when it is not this year's

    return when(timezone.localtime(dt.datetime.fromisoformat(iso)))


def _sentence(event: CaseEvent, following: CaseEvent | None) -> Entry | None:
    p, who, at = event.payload, event.actor_label, event.at
    match event.action:
        case "submit":
            return Entry(at, f"{who}提交了诉求")
        case "route":
            if following is not None and following.action == "dispatch":
                return None  # the dispatch sentence says the catalogue did it
            return Entry(at, "派单目录未匹配到承办单位，已转吹哨办人工派单")
        case "dispatch":
            by = "系统按派单目录" if event.actor_id is None else who
            return Entry(at, f"{by}派单至{p.get('unit_name', '')}", f"办结时限：{_when(p.get('resolve_due_at'))}")
        case "redispatch":
            detail = f"理由：{p['reason']}；" if p.get("reason") else ""
            return Entry(
                at,
                f"{who}改派至{p.get('unit_name', '')}",
                f"{detail}办结时限：{_when(p.get('resolve_due_at'))}",
                "warn",
            )
        case "accept":
            return Entry(at, f"{who}已签收")
        case "return":
            if "suggested_unit_name" not in p:  # as the requester sees it (cases.visibility): no internal reasons
                return Entry(at, f"{who}退回，等待重新派单", "", "warn")
            return Entry(
                at, f"{who}退单，建议由{p.get('suggested_unit_name', '')}办理", f"理由：{p.get('reason', '')}", "warn"
            )
        case "contact":
            return Entry(at, f"{who}{CONTACTED.get(p.get('method'), '已联系企业')}", p.get("note", ""))
        case "opinion":
            return Entry(at, f"{who}给出答复意见", p.get("opinion", ""))
        case "request_extension":
            return Entry(at, f"{who}申请延期", f"理由：{p.get('reason', '')}")
        case "approve_extension":
            return Entry(at, f"{who}批准延期，办结时限延至{_when(p.get('resolve_due_at'))}", p.get("note", ""))
        case "reject_extension":
            return Entry(at, f"{who}驳回延期申请", f"理由：{p.get('reason', '')}")
        case "reply":
            return Entry(at, f"{who}办结并答复", p.get("content", ""), "done")
        case "follow_up":
            verdict = "，".join(
                x for x in (RESOLUTION.get(p.get("resolution"), ""), SATISFACTION.get(p.get("satisfaction"), "")) if x
            )
            text = f"{who}{'代为登记' if p.get('on_behalf') else ''}回访评价：{verdict}"
            if p.get("reopen_count"):
                return Entry(at, f"{text}；工单转入第{p['reopen_count']}次重办", p.get("comment", ""), "alert")
            return Entry(at, f"{text}；工单办结", p.get("comment", ""), "done")
        case "assist_note":
            return Entry(at, f"{who}（协办）提交协办意见", p.get("note", ""))
        case "comment":
            return Entry(at, f"{who}补充说明", p.get("note", ""))
        case "urge":
            return Entry(at, f"{who}催办", p.get("note", ""), "warn")
        case "supervise":
            return Entry(at, f"{who}发出{p.get('notice', '督办单')}", p.get("reason", ""), "alert")
        case "escalate":
            return Entry(at, f"{who}将工单提级至市级协调", p.get("reason", ""), "warn")
        case "green_channel":
            leader = f"，由{p['leader_name']}领办" if p.get("leader_name") else ""
            return Entry(at, f"工单转入绿色通道{leader}", p.get("reason", ""), "alert")
        case "yellow_card" if p.get("dispatch_due_at"):
            return Entry(at, "系统发出黄牌预警", f"派单时限：{_when(p.get('dispatch_due_at'))}，请尽快派单", "warn")
        case "red_card" if p.get("dispatch_due_at"):
            return Entry(at, "系统发出红牌警示", f"已超过派单时限（{_when(p.get('dispatch_due_at'))}）", "alert")
        case "yellow_card":
            return Entry(
                at, "系统发出黄牌预警", f"办结时限：{_when(p.get('resolve_due_at'))}，距时限不足1个工作日", "warn"
            )
        case "red_card":
            return Entry(at, "系统发出红牌警示", f"已超过办结时限（{_when(p.get('resolve_due_at'))}）", "alert")
        case "attach":
            return Entry(at, f"{who}上传了附件“{p.get('name', '')}”")
        case "withdraw":
            return Entry(at, f"{who}撤回了诉求", f"原因：{p.get('reason', '')}")
    return Entry(at, f"{who}：{event.action}")


def timeline(events: list[CaseEvent]) -> list[Entry]:
    entries = []
    for i, event in enumerate(events):
        entry = _sentence(event, events[i + 1] if i + 1 < len(events) else None)
        if entry is not None:
            entries.append(entry)
    return entries


def reopen_reason(events: list[CaseEvent]) -> str:
    """Why the case is being redone, in the requester's words, from the last follow-up that reopened it."""
    for event in reversed(events):
        if event.action == "follow_up" and event.payload.get("reopen_count"):
            p = event.payload
            verdict = "、".join(
                x for x in (RESOLUTION.get(p.get("resolution"), ""), SATISFACTION.get(p.get("satisfaction"), "")) if x
            )
            comment = f"：{p['comment']}" if p.get("comment") else ""
            return f"第{p['reopen_count']}次重办：回访评价为“{verdict}”{comment}"
    return ""
