"""Every read of 领导包保, scoped to the actor.

Who sees what: a leader their own portfolio, and a county or city leader (whose unit is a government) also the
assignments of their territory; a coordinator the assignments of its territory; auditors and system administrators
all; enterprise users and units nothing. Outside scope is "not found".
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from whistle.cases.models import Case
from whistle.core.errors import NotFound
from whistle.core.figures import percent
from whistle.core.rules import int_param
from whistle.enterprises.models import Enterprise
from whistle.enterprises.selectors import enterprise_scope_q
from whistle.org.models import Role, Unit, UnitKind
from whistle.org.scopes import READ_ALL_ROLES, Actor, person_name, subtree_q

from .models import Patronage, Project, Visit, VisitProblem

VIEW_ROLES = {Role.LEADER, Role.COORDINATOR, Role.AUDITOR, Role.SYSADMIN}
GOVERNMENTS = (UnitKind.GOVERNMENT, UnitKind.ZONE)
ORIGIN_PREFIX = "patronage-visit:"


def _territory(actor: Actor) -> Unit | None | bool:
    """Whose objects the actor oversees, in the terms of `org.scopes.Actor`: True for all of them (auditors, system
    administrators, the system, a city-wide coordinator or leader), the root of the actor's subtree (a county's
    coordinator or leader), or None (a leader of a department: their own portfolio only; anyone else: nothing)."""
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return True
    root = actor.scope_root
    if root is None or actor.role not in (Role.COORDINATOR, Role.LEADER):
        return None
    if actor.role == Role.LEADER and root.kind not in GOVERNMENTS:
        return None
    return True if actor.sees_all else root


def _county_q(territory, prefix: str) -> Q:
    """`Actor.covers` as a filter: objects whose county lies in the territory's subtree."""
    if territory is True:
        return Q()
    if territory is None:
        return Q(pk__in=[])
    return subtree_q(territory, f"{prefix}county")


def patronage_scope_q(actor: Actor, prefix: str = "") -> Q:
    if not (actor.is_system or actor.role in VIEW_ROLES):
        return Q(pk__in=[])
    territory = _territory(actor)
    own = Q(**{f"{prefix}leader": actor.user}) if actor.role == Role.LEADER else Q(pk__in=[])
    if territory is None:
        return own
    if territory is True:
        return Q()
    return own | _county_q(territory, f"{prefix}enterprise__") | _county_q(territory, f"{prefix}project__")


def project_scope_q(actor: Actor) -> Q:
    if not (actor.is_system or actor.role in VIEW_ROLES):
        return Q(pk__in=[])
    territory = _territory(actor)
    own = (
        Exists(Patronage.objects.filter(project=OuterRef("pk"), leader=actor.user))
        if actor.role == Role.LEADER
        else Q(pk__in=[])
    )
    if territory is None:
        return Q(own)
    if territory is True:
        return Q()
    return Q(own) | _county_q(territory, "")


def can_manage(actor: Actor, county: Unit) -> bool:
    """Assignments and projects are managed by a coordinator over the county (or a system administrator)."""
    if actor.is_system or actor.role == Role.SYSADMIN:
        return True
    return actor.role == Role.COORDINATOR and actor.covers(county)


def can_visit(actor: Actor, patronage: Patronage) -> bool:
    """The responsible leader, a leader (of a government) or coordinator over the object's county, or the system
    logs visits."""
    if actor.is_system:
        return True
    if actor.role == Role.LEADER:
        return patronage.leader_id == actor.user.pk or (
            _territory(actor) is not None and actor.covers(patronage.county)
        )
    return actor.role == Role.COORDINATOR and actor.covers(patronage.county)


def patronage_list(
    actor: Actor, *, active: bool | None = True, leader=None, county: str | None = None, kind: str | None = None
) -> QuerySet[Patronage]:
    qs = Patronage.objects.filter(patronage_scope_q(actor))
    if active is not None:
        qs = qs.filter(ended_on__isnull=active)
    if leader is not None:
        qs = qs.filter(leader=leader)
    if county:
        qs = qs.filter(Q(enterprise__county__code=county) | Q(project__county__code=county))
    if kind == "enterprise":
        qs = qs.filter(enterprise__isnull=False)
    elif kind == "project":
        qs = qs.filter(project__isnull=False)
    open_cases = Count("visits__problems__case", filter=Q(visits__problems__case__is_open=True), distinct=True)
    return (
        qs.select_related(
            "enterprise__county", "project__county", "project__enterprise", "leader__membership", "lead_unit"
        )
        .annotate(open_cases=open_cases)
        .order_by("ended_on", "-started_on", "pk")
    )


def portfolio(actor: Actor) -> QuerySet[Patronage]:
    """The signed-in leader's own active assignments (for others: those in their scope)."""
    if actor.role == Role.LEADER:
        return patronage_list(actor, leader=actor.user)
    return patronage_list(actor)


def patronage_get(actor: Actor, pk) -> Patronage:
    patronage = (
        Patronage.objects.filter(patronage_scope_q(actor), pk=pk)
        .select_related(
            "enterprise__county", "project__county", "project__enterprise", "leader__membership", "lead_unit"
        )
        .first()
        if isinstance(pk, int) or str(pk).isdigit()
        else None
    )
    if patronage is None:
        raise NotFound("包保关系不存在或不在您的权限范围内")
    return patronage


def patronage_history(actor: Actor, patronage: Patronage) -> QuerySet[Patronage]:
    """Every assignment of the same object, newest first (history of makes, changes and ends)."""
    same = Q(enterprise_id=patronage.enterprise_id) if patronage.enterprise_id else Q(project_id=patronage.project_id)
    return (
        Patronage.objects.filter(same).select_related("leader__membership", "lead_unit").order_by("-started_on", "-pk")
    )


def visit_list(actor: Actor, patronage: Patronage | None = None, *, year: int | None = None) -> QuerySet[Visit]:
    qs = Visit.objects.filter(patronage_scope_q(actor, "patronage__"))
    if patronage is not None:
        same = (
            Q(patronage__enterprise_id=patronage.enterprise_id)
            if patronage.enterprise_id
            else Q(patronage__project_id=patronage.project_id)
        )
        qs = qs.filter(same)
    if year:
        qs = qs.filter(visited_on__year=year)
    return qs.select_related("patronage", "enterprise", "created_by__membership").prefetch_related("problems__case")


def visit_get(actor: Actor, pk) -> Visit:
    visit = (
        Visit.objects.filter(patronage_scope_q(actor, "patronage__"), pk=pk)
        .select_related(
            "patronage__enterprise__county",
            "patronage__project__county",
            "patronage__project__enterprise",
            "patronage__leader",
            "enterprise",
        )
        .first()
        if str(pk).isdigit()
        else None
    )
    if visit is None:
        raise NotFound("走访记录不存在或不在您的权限范围内")
    return visit


def visit_problem_get(actor: Actor, pk, *, for_update: bool = False) -> VisitProblem:
    qs = (
        VisitProblem.objects.filter(patronage_scope_q(actor, "visit__patronage__"), pk=pk)
        if str(pk).isdigit()
        else VisitProblem.objects.none()
    )
    if for_update:
        locked = VisitProblem.objects.select_for_update().filter(pk__in=qs.values("pk"))
        problem = locked.first()
        if problem is not None:
            problem = VisitProblem.objects.select_related(
                "case",
                "visit__enterprise",
                "visit__patronage__enterprise__county",
                "visit__patronage__project__county",
                "visit__patronage__leader__membership",
            ).get(pk=problem.pk)
    else:
        problem = qs.select_related("case", "visit__patronage").first()
    if problem is None:
        raise NotFound("走访问题不存在或不在您的权限范围内")
    return problem


def case_origin(actor: Actor, case: Case) -> dict | None:
    """Where a case raised on a visit came from, for the case page: the visit and its patronage, if the actor may see
    them (else None: the case page then shows nothing of it)."""
    if not case.external_ref.startswith(ORIGIN_PREFIX):
        return None
    problem = (
        VisitProblem.objects.filter(patronage_scope_q(actor, "visit__patronage__"), case_id=case.pk)
        .select_related(
            "visit__patronage__enterprise", "visit__patronage__project", "visit__patronage__leader__membership"
        )
        .first()
    )
    if problem is None:
        return None
    visit = problem.visit
    return {"visit": visit, "patronage": visit.patronage, "target": visit.patronage.target, "problem": problem}


# ---- projects ---------------------------------------------------------------------------------------------------


def project_list(actor: Actor, *, county: str | None = None) -> QuerySet[Project]:
    qs = Project.objects.filter(project_scope_q(actor), is_active=True)
    if county:
        qs = qs.filter(county__code=county)
    return qs.select_related("county", "enterprise").prefetch_related("milestones").order_by("code")


def project_get(actor: Actor, pk) -> Project:
    project = (
        Project.objects.filter(project_scope_q(actor), pk=pk).select_related("county", "enterprise").first()
        if str(pk).isdigit()
        else None
    )
    if project is None:
        raise NotFound("项目不存在或不在您的权限范围内")
    return project


def planned_progress(planned_start: dt.date, planned_end: dt.date, today: dt.date) -> int:
    """Progress a plan expects by `today`: linear from planned start (0%) to planned end (100%)."""
    if today <= planned_start:
        return 0
    if today >= planned_end:
        return 100
    return int(100 * (today - planned_start).days / (planned_end - planned_start).days)


def expected_progress(project: Project, today: dt.date) -> int:
    return planned_progress(project.planned_start, project.planned_end, today)


def behind_plan(project: Project, today: dt.date | None = None, tolerance: int | None = None) -> list[str]:
    """Why a project is behind plan (empty: on plan): a milestone past its planned date and not reached, or progress
    more than `patronage.behind_plan_tolerance_pct` points below what the plan expects by now."""
    today = today or timezone.localdate()
    tolerance = int_param("patronage.behind_plan_tolerance_pct") if tolerance is None else tolerance
    reasons = [
        f"节点“{m.name}”计划{m.planned_on:%Y-%m-%d}完成，尚未完成"
        for m in project.milestones.all()
        if m.done_on is None and m.planned_on < today
    ]
    expected = expected_progress(project, today)
    if project.progress + tolerance < expected:
        reasons.append(f"形象进度{project.progress}%，按计划应达{expected}%")
    return reasons


def projects_behind_plan(actor: Actor, today: dt.date | None = None) -> list[tuple[Project, list[str]]]:
    today = today or timezone.localdate()
    tolerance = int_param("patronage.behind_plan_tolerance_pct")
    rows = [(p, behind_plan(p, today, tolerance)) for p in project_list(actor)]
    return [(p, why) for p, why in rows if why]


# ---- coverage (遍访率) ------------------------------------------------------------------------------------------


def _above_scale(actor: Actor) -> QuerySet[Enterprise]:
    if not (actor.is_system or actor.role in VIEW_ROLES):
        return Enterprise.objects.none()
    return Enterprise.objects.filter(enterprise_scope_q(actor), above_scale=True)


def _visited_q(year: int) -> Exists:
    return Exists(Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__year=year))


def coverage_by_county(actor: Actor, year: int) -> list[dict]:
    """遍访率 by county: above-scale enterprises in the actor's scope, and how many had at least one visit in `year`.
    Rate in percent (one decimal), None for a county without above-scale enterprises."""
    rows = (
        _above_scale(actor)
        .values("county__code", "county__name", "county__path")
        .annotate(above_scale=Count("pk"), visited=Count("pk", filter=Q(_visited_q(year))))
        .order_by("county__path")
    )
    return [
        {
            "county": r["county__code"],
            "name": r["county__name"],
            "above_scale": r["above_scale"],
            "visited": r["visited"],
            "rate": percent(r["visited"], r["above_scale"]),
        }
        for r in rows
    ]


def coverage_by_leader(actor: Actor, year: int) -> list[dict]:
    """遍访率 by leader: the above-scale enterprises in each leader's active portfolio visited in `year`, their
    assignments (enterprises and projects), visits in the year and open cases raised on visits."""
    active = patronage_list(actor)
    visited = Exists(Visit.objects.filter(patronage__enterprise_id=OuterRef("enterprise_id"), visited_on__year=year))
    by_leader: dict[int, dict] = {}
    for p in active.annotate(visited=visited):
        row = by_leader.setdefault(
            p.leader_id,
            {
                "leader": p.leader.get_username(),
                "name": person_name(p.leader),
                "patronages": 0,
                "enterprises": 0,
                "projects": 0,
                "above_scale": 0,
                "visited": 0,
                "open_cases": 0,
            },
        )
        row["patronages"] += 1
        row["open_cases"] += p.open_cases
        if p.enterprise_id:
            row["enterprises"] += 1
            if p.enterprise.above_scale:
                row["above_scale"] += 1
                row["visited"] += bool(p.visited)
        else:
            row["projects"] += 1
    visits = dict(
        Visit.objects.filter(patronage__in=active.values("pk"), visited_on__year=year)
        .values_list("patronage__leader")
        .annotate(n=Count("pk"))
        .values_list("patronage__leader", "n")
    )
    rows = []
    for leader_id, row in by_leader.items():
        row["visits"] = visits.get(leader_id, 0)
        row["rate"] = percent(row["visited"], row["above_scale"])
        rows.append(row)
    return sorted(rows, key=lambda r: (-(r["rate"] or 0), r["leader"]))


def coverage_summary(actor: Actor, year: int, today: dt.date | None = None) -> dict:
    """The figures the leader's cockpit shows for patronage, in the actor's scope:
    above_scale, visited, rate (遍访率, percent), patronages (active), open_cases (open cases raised on visits),
    projects (active key projects), behind_plan (of those)."""
    above = _above_scale(actor)
    totals = above.aggregate(above_scale=Count("pk"), visited=Count("pk", filter=Q(_visited_q(year))))
    patronages = Patronage.objects.filter(patronage_scope_q(actor), ended_on__isnull=True)
    open_cases = Case.objects.filter(is_open=True, visit_problem__visit__patronage__in=patronages.values("pk")).count()
    projects = list(project_list(actor))
    tolerance = int_param("patronage.behind_plan_tolerance_pct") if projects else 0
    today = today or timezone.localdate()
    return {
        "year": year,
        "above_scale": totals["above_scale"],
        "visited": totals["visited"],
        "rate": percent(totals["visited"], totals["above_scale"]),
        "patronages": patronages.count(),
        "open_cases": open_cases,
        "projects": len(projects),
        "behind_plan": sum(1 for p in projects if behind_plan(p, today, tolerance)),
    }
