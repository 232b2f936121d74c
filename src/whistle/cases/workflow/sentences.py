"""Timeline sentences: how each row's event reads to people who never saw the table (plain Chinese).

A row of the table names its sentence; `web.timeline` tells a case's events with them. A sentence sees the event,
the event after it (a dispatch by the catalogue makes its `route` event silent) and `when`, the page's way of
writing a moment; it returns a `Said` or None (nothing to show)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..models import Resolution, Satisfaction, Urgency

# Keyed by whatever a payload holds: an old or missing value reads as nothing.
URGENCY: dict[object, str] = dict(Urgency.choices)
RESOLUTION: dict[object, str] = dict(Resolution.choices)
SATISFACTION: dict[object, str] = dict(Satisfaction.choices)
# How each contact method (effects.CONTACT_METHODS) reads after a name.
CONTACTED = {"phone": "已电话联系企业", "onsite": "已到企业现场", "online": "已线上联系企业", "meeting": "已约见企业"}


class Said(NamedTuple):
    text: str
    detail: str = ""
    tone: str = ""  # "warn" (yellow card, supervision) or "alert" (red card, reopen) or "done"


# (event, the event after it or None, when) -> Said | None
Sentence = Callable[..., "Said | None"]


def submit(e, following, when):
    urgency = e.payload.get("urgency")
    if urgency and urgency != Urgency.ORDINARY:
        return Said(f"{e.actor_label}提交了{URGENCY.get(urgency, '')}诉求", "", "warn")
    return Said(f"{e.actor_label}提交了诉求")


def route(e, following, when):
    if following is not None and following.action == "dispatch":
        return None  # the dispatch sentence says the catalogue did it
    return Said("派单目录未匹配到承办单位，已转吹哨办人工派单")


def dispatch(e, following, when):
    p = e.payload
    by = "系统按派单目录" if e.actor_id is None else e.actor_label
    return Said(f"{by}派单至{p.get('unit_name', '')}", f"办结时限：{when(p.get('resolve_due_at'))}")


def redispatch(e, following, when):
    p = e.payload
    detail = f"理由：{p['reason']}；" if p.get("reason") else ""
    return Said(
        f"{e.actor_label}改派至{p.get('unit_name', '')}", f"{detail}办结时限：{when(p.get('resolve_due_at'))}", "warn"
    )


def accept(e, following, when):
    return Said(f"{e.actor_label}已签收")


def return_to_office(e, following, when):
    p = e.payload
    if "suggested_unit_name" not in p:  # as the requester sees it (cases.visibility): no internal reasons
        return Said(f"{e.actor_label}退回，等待重新派单", "", "warn")
    return Said(
        f"{e.actor_label}退单，建议由{p.get('suggested_unit_name', '')}办理", f"理由：{p.get('reason', '')}", "warn"
    )


def contact(e, following, when):
    p = e.payload
    return Said(f"{e.actor_label}{CONTACTED.get(p.get('method'), '已联系企业')}", p.get("note", ""))


def opinion(e, following, when):
    return Said(f"{e.actor_label}给出答复意见", e.payload.get("opinion", ""))


def request_extension(e, following, when):
    return Said(f"{e.actor_label}申请延期", f"理由：{e.payload.get('reason', '')}")


def approve_extension(e, following, when):
    p = e.payload
    return Said(f"{e.actor_label}批准延期，办结时限延至{when(p.get('resolve_due_at'))}", p.get("note", ""))


def reject_extension(e, following, when):
    return Said(f"{e.actor_label}驳回延期申请", f"理由：{e.payload.get('reason', '')}")


def reply(e, following, when):
    return Said(f"{e.actor_label}办结并答复", e.payload.get("content", ""), "done")


def verdict(p: dict, sep: str) -> str:
    """A follow-up's resolution and satisfaction in words."""
    return sep.join(
        x for x in (RESOLUTION.get(p.get("resolution"), ""), SATISFACTION.get(p.get("satisfaction"), "")) if x
    )


def follow_up(e, following, when):
    p = e.payload
    text = f"{e.actor_label}{'代为登记' if p.get('on_behalf') else ''}回访评价：{verdict(p, '，')}"
    if p.get("contradictory"):
        text += "（解决情况与满意度矛盾）"
    if p.get("reopen_count"):
        return Said(f"{text}；工单转入第{p['reopen_count']}次重办", p.get("comment", ""), "alert")
    return Said(f"{text}；工单办结", p.get("comment", ""), "done")


def assist_note(e, following, when):
    return Said(f"{e.actor_label}（协办）提交协办意见", e.payload.get("note", ""))


def comment(e, following, when):
    return Said(f"{e.actor_label}补充说明", e.payload.get("note", ""))


def urge(e, following, when):
    return Said(f"{e.actor_label}催办", e.payload.get("note", ""), "warn")


def supervise(e, following, when):
    p = e.payload
    return Said(f"{e.actor_label}发出{p.get('notice', '督办单')}", p.get("reason", ""), "alert")


def escalate(e, following, when):
    return Said(f"{e.actor_label}将工单提级至市级协调", e.payload.get("reason", ""), "warn")


def green_channel(e, following, when):
    p = e.payload
    leader = f"，由{p['leader_name']}领办" if p.get("leader_name") else ""
    return Said(f"工单转入绿色通道{leader}", p.get("reason", ""), "alert")


def yellow_card(e, following, when):
    p = e.payload
    if p.get("dispatch_due_at"):
        return Said("系统发出黄牌预警", f"派单时限：{when(p.get('dispatch_due_at'))}，请尽快派单", "warn")
    return Said("系统发出黄牌预警", f"办结时限：{when(p.get('resolve_due_at'))}，距时限不足1个工作日", "warn")


def red_card(e, following, when):
    p = e.payload
    if p.get("dispatch_due_at"):
        return Said("系统发出红牌警示", f"已超过派单时限（{when(p.get('dispatch_due_at'))}）", "alert")
    return Said("系统发出红牌警示", f"已超过办结时限（{when(p.get('resolve_due_at'))}）", "alert")


def attach(e, following, when):
    return Said(f"{e.actor_label}上传了附件“{e.payload.get('name', '')}”")


def set_urgency(e, following, when):
    p = e.payload
    text = f"{e.actor_label}将紧急程度由{URGENCY.get(p.get('previous'), '')}调整为{URGENCY.get(p.get('urgency'), '')}"
    due = p.get("dispatch_due_at") or p.get("resolve_due_at")
    label = "派单时限" if p.get("dispatch_due_at") else "办结时限"
    detail = "；".join(
        x for x in (f"理由：{p['reason']}" if p.get("reason") else "", f"{label}：{when(due)}" if due else "") if x
    )
    return Said(text, detail, "warn" if p.get("urgency") != Urgency.ORDINARY else "")


def callback_check(e, following, when):
    p = e.payload
    if "mismatch" not in p:
        return Said(f"{e.actor_label}回访抽查：无法联系", p.get("note", ""))
    outcome = "与企业回访评价不一致" if p["mismatch"] else "与企业回访评价一致"
    return Said(
        f"{e.actor_label}回访抽查：{verdict(p, '，')}；{outcome}", p.get("note", ""), "alert" if p["mismatch"] else ""
    )


def withdraw(e, following, when):
    return Said(f"{e.actor_label}撤回了诉求", f"原因：{e.payload.get('reason', '')}")


def rating_voided(e, following, when):
    return Said("评价经复核作废，差评整改终止，工单关闭", e.payload.get("reason", ""), "done")


def seed_state(e, following, when):
    return Said("合成数据：未逐步办理，直接置为当前状态", "", "")


# Events written outside the table: `seed_state`, the one jump of a synthetic case that `whistle seed --cases N` wrote
# for benchmarks before it played each case's steps (issue 15); databases seeded then keep it in their chains.
OUTSIDE_TABLE = {"seed_state": seed_state}


def unknown(e, following, when):
    """An event whose row is gone from the table (kept in the chain): its code, not a guess."""
    return Said(f"{e.actor_label}：{e.action}")
