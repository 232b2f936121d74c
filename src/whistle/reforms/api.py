"""Thin HTTP over 改革任务 and 交办单 (/api/v1/reforms): the board, tasks, reports, acceptance and 销号, sheets,
outcomes. Every refusal is problem+json; a task outside the caller's scope is a 404 like a missing one."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from whistle.core.errors import NotFound
from whistle.core.params import parse_year

from . import selectors, services
from .models import Task

router = Router(tags=["reforms"])


def _actor(request, roles=selectors.VIEW_ROLES):
    actor = request.actor
    if actor.role not in roles:
        raise NotFound("不存在或不在您的权限范围内")
    return actor


def _unit(u):
    return {"code": u.code, "name": u.name} if u else None


def task_out(t: Task, actor=None, *, full: bool = False) -> dict:
    body = {
        "id": t.pk,
        "code": t.code,
        "kind": t.kind,
        "parent": t.parent_id,
        "year": t.year,
        "title": t.title,
        "area": t.area.code if t.area_id else None,
        "lead_unit": _unit(t.lead_unit),
        "leader_name": t.leader_name,
        "person_name": t.person_name,
        "starts_on": t.starts_on,
        "due_on": t.due_on,
        "next_due_on": t.next_due_on,
        "progress": t.progress,
        "state": t.state,
        "light": t.light,
        "weight": t.weight,
    }
    if full:
        body.update(
            target=t.target,
            issuer_title=t.issuer_title,
            report_every_months=t.report_every_months,
            assisting_units=[_unit(u) for u in t.assisting_units.all()],
            milestones=[
                {"id": m.pk, "name": m.name, "due_on": m.due_on, "done_on": m.done_on} for m in t.milestones.all()
            ],
            allowed_actions=selectors.allowed_actions(actor, t) if actor else [],
            events=[
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "at": e.at,
                    "by": e.actor_label,
                    "period": e.period,
                    "progress": e.progress,
                    "status": e.status,
                    "text": e.text,
                    "hash": e.hash,
                }
                for e in t.events.order_by("seq")
            ],
            notices=[
                {"kind": n.kind, "lapse_on": n.lapse_on, "reason": n.reason, "issued_at": n.issued_at}
                for n in t.notices.order_by("issued_at")
            ],
        )
    return body


class TaskFilter(Schema):
    year: int | None = None
    area: str | None = None
    unit: str | None = None
    light: str | None = None
    state: str | None = None
    kind: str | None = None
    overdue: bool = False
    waiting: bool = False
    q: str | None = None
    page: int = 1


class MilestoneIn(Schema):
    name: str
    due_on: str


class TaskIn(Schema):
    title: str
    area: str | None = None
    lead_unit: str
    assisting: list[str] = []
    starts_on: str
    due_on: str
    target: str = ""
    leader_name: str = ""
    person_name: str = ""
    weight: int = 1
    report_every_months: int | None = None
    parent: int | None = None
    code: str | None = None
    is_public: bool = False
    milestones: list[MilestoneIn] = []


class ReportIn(Schema):
    text: str
    progress: int | None = None
    status: str | None = None
    milestones_done: list[int] = []


class TextIn(Schema):
    text: str = ""


class ReasonIn(Schema):
    reason: str


class ReviewIn(Schema):
    score: float
    note: str


class OutcomeIn(Schema):
    title: str
    summary: str


class DecisionIn(Schema):
    decision: str
    note: str


class PushIn(Schema):
    level: str
    pushed_on: str


PAGE = 100


@router.get("/board", summary="改革办看板：按灯色、领域、牵头单位统计")
def board(request, year: str | None = None):
    actor = _actor(request, selectors.BOARD_ROLES)
    year_value = parse_year(year) if year else timezone.localdate().year
    data = selectors.board(actor, year_value)
    return {
        **{k: v for k, v in data.items() if k not in ("by_area", "by_unit")},
        "by_area": [
            {
                "area": r["area__code"],
                "name": r["area__name"],
                **{k: r[k] for k in ("total", "red", "yellow", "closed", "progress")},
            }
            for r in data["by_area"]
        ],
        "by_unit": [
            {
                "unit": r["lead_unit__code"],
                "name": r["lead_unit__name"],
                **{k: r[k] for k in ("total", "red", "yellow", "waiting", "closed")},
            }
            for r in data["by_unit"]
        ],
    }


@router.get("/summary", summary="领导驾驶舱：改革任务概况（红灯任务可下钻）")
def summary(request):
    actor = _actor(request, selectors.BOARD_ROLES)
    data = selectors.leader_summary(actor)
    return {
        "year": data["year"],
        **{k: data[k] for k in ("total", "green", "yellow", "red", "overdue", "waiting", "closed")},
        "red_tasks": [task_out(t) for t in data["red_tasks"]],
        "sheets": [
            {
                "id": r["sheet"].pk,
                "county": _unit(r["sheet"].lead_unit),
                **{k: r[k] for k in ("items", "closed", "red", "yellow")},
            }
            for r in data["sheets"]
        ],
    }


@router.get("/tasks", summary="改革任务列表（按权限范围；可按领域、单位、灯色、状态筛选）")
def task_list(request, filters: Query[TaskFilter]):
    actor = _actor(request)
    f = filters.dict()
    page = max(1, min(f.pop("page") or 1, 100_000))
    qs = selectors.task_list(actor, f)
    rows = list(qs[(page - 1) * PAGE : page * PAGE])
    return {"page": page, "count": qs.count(), "results": [task_out(t) for t in rows]}


@router.post("/tasks", response={201: dict}, summary="立项交办（改革办）")
def task_create(request, data: TaskIn):
    actor = _actor(request)
    payload = data.dict()
    payload["milestones"] = [m for m in payload["milestones"]]
    task = services.task_create(actor, payload)
    return Status(201, task_out(task, actor, full=True))


@router.get("/tasks/{task_id}", summary="任务详情、记录与可办操作")
def task_detail(request, task_id: int):
    actor = _actor(request)
    return task_out(selectors.task_get(actor, task_id), actor, full=True)


@router.post("/tasks/{task_id}/reports", response={201: dict}, summary="报送进展（牵头单位）")
def task_report(request, task_id: int, data: ReportIn):
    actor = _actor(request)
    event = services.report_add(
        actor,
        task_id,
        text_value=data.text,
        progress=data.progress,
        status=data.status,
        milestones_done=data.milestones_done,
    )
    return Status(201, {"seq": event.seq, "period": event.period, "progress": event.progress, "hash": event.hash})


def _step(request, task_id, fn, **kwargs):
    actor = _actor(request)
    event = fn(actor, task_id, **kwargs)
    task = selectors.task_get(actor, task_id)
    return {"seq": event.seq, "kind": event.kind, "state": task.state, "light": task.light}


@router.post("/tasks/{task_id}/submit", summary="申请验收（须已有佐证材料）")
def task_submit(request, task_id: int, data: TextIn):
    return _step(request, task_id, services.task_submit, text_value=data.text)


@router.post("/tasks/{task_id}/accept", summary="验收通过（改革办）")
def task_accept(request, task_id: int, data: TextIn):
    return _step(request, task_id, services.task_accept, text_value=data.text)


@router.post("/tasks/{task_id}/send_back", summary="退回整改（改革办，须写明理由）")
def task_send_back(request, task_id: int, data: ReasonIn):
    return _step(request, task_id, services.task_send_back, reason=data.reason)


@router.post("/tasks/{task_id}/close", summary="销号（改革办，须先验收）")
def task_close(request, task_id: int, data: TextIn):
    return _step(request, task_id, services.task_close, text_value=data.text)


@router.post("/sheets/{sheet_id}/review", summary="交办单年终考评（改革办）")
def sheet_review(request, sheet_id: int, data: ReviewIn):
    actor = _actor(request)
    event = services.sheet_review(actor, sheet_id, score=data.score, note=data.note)
    return {"seq": event.seq, "score": event.payload["score"]}


def outcome_out(o) -> dict:
    return {
        "id": o.pk,
        "task": o.task_id,
        "title": o.title,
        "stage": o.stage,
        "proposed_on": o.proposed_on,
        "reviewed_on": o.reviewed_on,
        "selected_on": o.selected_on,
        "pushed_level": o.pushed_level or None,
        "pushed_on": o.pushed_on,
    }


@router.get("/outcomes", summary="改革成果与漏斗（任务 → 制度性创新成果 → 典型经验 → 报送）")
def outcome_list(request, year: str | None = None):
    actor = _actor(request)
    year_value = parse_year(year) if year else timezone.localdate().year
    return {
        "funnel": selectors.funnel(actor, year_value),
        "results": [outcome_out(o) for o in selectors.outcomes(actor, year_value)[:500]],
    }


@router.post("/tasks/{task_id}/outcomes", response={201: dict}, summary="申报改革成果")
def outcome_propose(request, task_id: int, data: OutcomeIn):
    actor = _actor(request)
    return Status(201, outcome_out(services.outcome_propose(actor, task_id, title=data.title, summary=data.summary)))


@router.post("/outcomes/{outcome_id}/review", summary="认定制度性创新成果（改革办）")
def outcome_review(request, outcome_id: int, data: DecisionIn):
    actor = _actor(request)
    return outcome_out(services.outcome_review(actor, outcome_id, decision=data.decision, note=data.note))


@router.post("/outcomes/{outcome_id}/select", summary="遴选为典型经验（改革办）")
def outcome_select(request, outcome_id: int):
    actor = _actor(request)
    return outcome_out(services.outcome_select(actor, outcome_id))


@router.post("/outcomes/{outcome_id}/push", summary="记录报送省委改革办或中央改革办（改革办）")
def outcome_push(request, outcome_id: int, data: PushIn):
    actor = _actor(request)
    return outcome_out(services.outcome_push(actor, outcome_id, level=data.level, pushed_on=data.pushed_on))


def _today() -> dt.date:
    return timezone.localdate()
