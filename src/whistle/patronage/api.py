"""Thin HTTP over 领导包保 (/api/v1/patronage): portfolio, assignments, visits, problems → cases, coverage, projects."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from whistle.core.errors import Invalid, NotFound
from whistle.enterprises.models import Enterprise
from whistle.org.models import Role

from . import selectors, services
from .models import Patronage, Project, Visit
from .schemas import AssignIn, ChangeIn, CoverageOut, EndIn, ProblemCaseIn, ProjectIn, VisitIn

router = Router(tags=["patronage"])
VIEW_ROLES = selectors.VIEW_ROLES


def _actor(request):
    actor = request.actor
    if actor.role not in VIEW_ROLES:
        raise NotFound("不存在或不在您的权限范围内")  # an enterprise user or a unit sees nothing here
    return actor


def _unit(u):
    return {"code": u.code, "name": u.name} if u else None


def _leader(user):
    return {"username": user.get_username(), "name": selectors.person_name(user)}


def patronage_out(p: Patronage, *, full: bool = False) -> dict:
    target = p.target
    body = {
        "id": p.pk,
        "kind": "enterprise" if p.enterprise_id else "project",
        "target": {"uscc": target.uscc, "name": target.name}
        if p.enterprise_id
        else {"code": target.code, "name": target.name},
        "county": _unit(p.county),
        "leader": _leader(p.leader),
        "lead_unit": _unit(p.lead_unit),
        "started_on": p.started_on,
        "start_reason": p.start_reason,
        "ended_on": p.ended_on,
        "end_reason": p.end_reason,
        "open_cases": getattr(p, "open_cases", None),
    }
    if full:
        body["task_force"] = [
            {"name": m.name, "unit": _unit(m.unit), "duty": m.duty, "phone": m.phone}
            for m in p.task_force.select_related("unit")
        ]
    return body


def visit_out(v: Visit) -> dict:
    return {
        "id": v.pk,
        "patronage": v.patronage_id,
        "visited_on": v.visited_on,
        "participants": v.participants,
        "raised": v.raised,
        "decided": v.decided,
        "problems": [
            {
                "id": pr.pk,
                "description": pr.description,
                "case": pr.case.number if pr.case_id else None,
                "case_state": pr.case.state if pr.case_id else None,
            }
            for pr in v.problems.all()
        ],
    }


def project_out(p: Project, today: dt.date) -> dict:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "county": _unit(p.county),
        "enterprise": p.enterprise.uscc if p.enterprise_id else None,
        "investment": float(p.investment),
        "planned_start": p.planned_start,
        "planned_end": p.planned_end,
        "progress": p.progress,
        "expected_progress": selectors.expected_progress(p, today),
        "milestones": [
            {"id": m.pk, "name": m.name, "planned_on": m.planned_on, "done_on": m.done_on} for m in p.milestones.all()
        ],
        "behind_plan": selectors.behind_plan(p, today),
    }


@router.get("/portfolio", summary="我的包保（领导本人在任的包保对象）")
def portfolio(request):
    actor = _actor(request)
    return [patronage_out(p, full=True) for p in selectors.portfolio(actor)]


@router.get("/patronages", summary="包保关系（按权限范围）")
def patronage_list(request, active: bool | None = True, county: str | None = None, kind: str | None = None):
    actor = _actor(request)
    return [patronage_out(p) for p in selectors.patronage_list(actor, active=active, county=county, kind=kind)]


@router.post("/patronages", response={201: dict}, summary="确定包保领导、牵头部门和专班")
def patronage_assign(request, data: AssignIn):
    actor = _actor(request)
    if data.kind == "enterprise":
        target = {
            "enterprise": Enterprise.objects.select_related("county").filter(uscc=data.target.strip().upper()).first()
        }
    else:
        target = {"project": Project.objects.select_related("county").filter(code=data.target.strip()).first()}
    found = next(iter(target.values()))
    # Outside the actor's counties a target answers exactly like a missing one (no existence oracle).
    if found is None or not selectors.can_manage(actor, found.county):
        raise Invalid("包保对象不存在", code="unknown_target", field="target")
    p = services.patronage_assign(
        actor,
        leader=data.leader,
        lead_unit=data.lead_unit,
        started_on=data.started_on,
        reason=data.reason,
        task_force=[m.dict() for m in data.task_force],
        **target,
    )
    return Status(201, patronage_out(selectors.patronage_get(actor, p.pk), full=True))


@router.get("/patronages/{int:pk}", summary="包保关系详情（专班、历史、走访）")
def patronage_detail(request, pk: int):
    actor = _actor(request)
    p = selectors.patronage_get(actor, pk)
    body = patronage_out(p, full=True)
    body["history"] = [patronage_out(h) for h in selectors.patronage_history(actor, p)]
    body["visits"] = [visit_out(v) for v in selectors.visit_list(actor, p)]
    return body


@router.post(
    "/patronages/{int:pk}/change", response={201: dict}, summary="调整包保领导/牵头部门（原关系结束，新关系开始）"
)
def patronage_change(request, pk: int, data: ChangeIn):
    actor = _actor(request)
    p = services.patronage_change(
        actor, pk, leader=data.leader, lead_unit=data.lead_unit, changed_on=data.changed_on, reason=data.reason
    )
    return Status(201, patronage_out(selectors.patronage_get(actor, p.pk), full=True))


@router.post("/patronages/{int:pk}/end", summary="结束包保关系")
def patronage_end(request, pk: int, data: EndIn):
    actor = _actor(request)
    services.patronage_end(actor, pk, ended_on=data.ended_on, reason=data.reason)
    return patronage_out(selectors.patronage_get(actor, pk), full=True)


@router.post("/patronages/{int:pk}/visits", response={201: dict}, summary="登记走访")
def visit_log(request, pk: int, data: VisitIn):
    actor = _actor(request)
    v = services.visit_log(
        actor,
        pk,
        visited_on=data.visited_on,
        participants=data.participants,
        raised=data.raised,
        decided=data.decided,
        problems=data.problems,
    )
    return Status(201, visit_out(v))


@router.get("/visits", summary="走访记录（按权限范围、年度）")
def visit_list(request, year: int | None = Query(None, ge=2000, le=2100)):
    actor = _actor(request)
    return [visit_out(v) for v in selectors.visit_list(actor, year=year)[:500]]


@router.post("/problems/{int:pk}/case", response={201: dict}, summary="走访问题转为工单（渠道：走访）")
def problem_case(request, pk: int, data: ProblemCaseIn):
    actor = _actor(request)
    case = services.problem_to_case(actor, pk, category=data.category, kind=data.kind, title=data.title)
    return Status(
        201,
        {
            "number": case.number,
            "state": case.state,
            "channel": case.channel,
            "lead_unit": _unit(case.lead_unit),
            "problem": pk,
        },
    )


@router.get("/coverage", response=CoverageOut, summary="遍访率（按县区、按领导）、各包保在办工单、滞后项目")
def coverage(request, year: int | None = Query(None, ge=2000, le=2100)):
    actor = _actor(request)
    year = year or timezone.localdate().year
    return {
        "summary": selectors.coverage_summary(actor, year),
        "by_county": selectors.coverage_by_county(actor, year),
        "by_leader": selectors.coverage_by_leader(actor, year),
        "behind_plan": [
            {"code": p.code, "name": p.name, "county": p.county.code, "progress": p.progress, "reasons": why}
            for p, why in selectors.projects_behind_plan(actor)
        ],
    }


@router.get("/projects", summary="重点项目（含是否滞后）")
def project_list(request, county: str | None = None):
    actor = _actor(request)
    today = timezone.localdate()
    return [project_out(p, today) for p in selectors.project_list(actor, county=county)]


@router.post("/projects", response={200: dict, 201: dict}, summary="新建或更新重点项目（按项目编号）")
def project_save(request, data: ProjectIn):
    actor = _actor(request)
    if actor.role not in (Role.COORDINATOR, Role.SYSADMIN):
        raise NotFound("不存在或不在您的权限范围内")
    project, created = services.project_save(actor, data.dict())
    return Status(201 if created else 200, project_out(selectors.project_get(actor, project.pk), timezone.localdate()))
