"""Every read of reforms, scoped to the actor, and the one table of who may do what (pages offer exactly these).

Who sees a task: the reform office, leaders and coordinators whose subtree holds the task's owner (the government
whose plan it is) or its lead unit; the lead and assisting units; auditors and system administrators. Anyone else,
and anyone asking for a task outside that, finds nothing (404, like a missing one).

Who acts: the lead unit reports and submits (for a county government leading a 交办单 item, its county's reform
office reports); the reform office of the owner accepts, sends back, closes (销号) and reviews sheets.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from whistle.core.errors import NotFound
from whistle.org.models import Role
from whistle.org.scopes import READ_ALL_ROLES, UNIT_ROLES, Actor

from .models import (
    Area,
    Kind,
    Light,
    Outcome,
    OutcomeStage,
    PushLevel,
    State,
    Task,
    TaskCase,
    TaskEvent,
    TaskFile,
    TaskNotice,
)

AREA_ROLES = {Role.REFORM_OFFICE, Role.LEADER, Role.COORDINATOR}
VIEW_ROLES = (*AREA_ROLES, *UNIT_ROLES, *READ_ALL_ROLES)
BOARD_ROLES = (*AREA_ROLES, *READ_ALL_ROLES)
MAX_ID = 2**63


def task_scope_q(actor: Actor, prefix: str = "") -> Q:
    if actor.is_system or actor.role in READ_ALL_ROLES:
        return Q()
    if actor.role in AREA_ROLES and actor.scope_root is not None:
        if actor.sees_all:
            return Q()
        path = actor.scope_root.path
        return Q(**{f"{prefix}owner__path__startswith": path}) | Q(**{f"{prefix}lead_unit__path__startswith": path})
    if actor.role in UNIT_ROLES and actor.unit is not None:
        assisting = Task.assisting_units.through.objects.filter(
            task_id=OuterRef(f"{prefix}pk" if prefix else "pk"), unit_id=actor.unit.pk
        )
        return Q(**{f"{prefix}lead_unit_id": actor.unit.pk}) | Q(Exists(assisting))
    return Q(pk__in=[])


def tasks(actor: Actor) -> QuerySet[Task]:
    return Task.objects.filter(task_scope_q(actor))


def task_get(actor: Actor, task_id, *, for_update: bool = False) -> Task:
    task = None
    if isinstance(task_id, int) and 0 < task_id < MAX_ID:
        qs = tasks(actor).filter(pk=task_id)
        if for_update:
            # Lock the row by id only: PostgreSQL refuses FOR UPDATE beside the scope's EXISTS on some plans.
            task = Task.objects.select_for_update().filter(pk=task_id).first() if qs.exists() else None
        else:
            task = qs.select_related("area", "owner", "lead_unit", "parent", "status", "source_category").first()
    if task is None:
        raise NotFound("任务不存在或不在您的权限范围内", code="task_not_found")
    return task


# ---- who may do what ---------------------------------------------------------------------------------------------


def is_reporter(actor: Actor, task: Task) -> bool:
    """The lead unit itself; for a government leading (a county's 交办单 item), its own reform office."""
    if actor.role in UNIT_ROLES and actor.unit is not None:
        return actor.unit.pk == task.lead_unit_id
    if actor.role == Role.REFORM_OFFICE and actor.scope_root is not None:
        return actor.scope_root.pk == task.lead_unit_id
    return False


def is_office(actor: Actor, task: Task) -> bool:
    """The reform office whose subtree holds the task's owner (the city's office for the city's plan and sheets)."""
    return actor.role == Role.REFORM_OFFICE and actor.covers(task.owner)


def can_manage(actor: Actor) -> bool:
    """Create tasks and sheets, import the plan, turn a recurring topic into a task."""
    return actor.role == Role.REFORM_OFFICE and actor.scope_root is not None


# action → (label, states it applies to, who: "reporter" | "office")
ACTIONS = {
    "report": ("报送进展", {State.OPEN}, "reporter"),
    "submit": ("申请验收", {State.OPEN}, "reporter"),
    "accept": ("验收通过", {State.SUBMITTED}, "office"),
    "send_back": ("退回整改", {State.SUBMITTED}, "office"),
    "close": ("销号", {State.ACCEPTED}, "office"),
}


def open_children(task: Task) -> int:
    return task.children.exclude(state=State.CLOSED).count()


def refusal(actor: Actor, task: Task, action: str) -> tuple[str, str, int] | None:
    """Why `actor` may not do `action` on `task` now: (Chinese detail, code, status), or None if allowed."""
    label, states, who = ACTIONS[action]
    if task.kind == Kind.SHEET:
        return ("交办单按事项逐项报送、验收和销号", "sheet_has_items", 409)
    allowed = is_reporter(actor, task) if who == "reporter" else is_office(actor, task)
    if not allowed:
        whom = "牵头单位" if who == "reporter" else "交办方改革办"
        return (f"只有{whom}可以{label}", "not_allowed", 403)
    if task.state not in states:
        return (f"任务{task.get_state_display()}，不能{label}", "invalid_state", 409)
    if action == "submit" and open_children(task):
        return ("下级任务尚未全部销号，不能申请验收", "children_open", 409)
    return None


def allowed_actions(actor: Actor, task: Task) -> list[str]:
    return [a for a in ACTIONS if refusal(actor, task, a) is None]


def can_review(actor: Actor, task: Task) -> bool:
    return task.kind == Kind.SHEET and is_office(actor, task)


# ---- one task ------------------------------------------------------------------------------------------------------


def timeline(task: Task) -> list[dict]:
    """Events and notices in date order (notices are the sweep's, not part of the hash chain)."""
    entries = [
        {"at": e.at, "kind": e.get_kind_display(), "event": e, "files": list(e.files.all())}
        for e in task.events.select_related("actor").prefetch_related("files")
    ]
    entries += [
        {"at": n.issued_at, "kind": n.get_kind_display(), "notice": n} for n in task.notices.select_related("unit")
    ]
    return sorted(entries, key=lambda e: e["at"])


def children(actor: Actor, task: Task) -> QuerySet[Task]:
    return tasks(actor).filter(parent=task).select_related("lead_unit", "area").order_by("code")


def case_trend(task: Task, today: dt.date | None = None) -> dict | None:
    """For a task made from a recurring problem: the cases of its category in its owner's area by month, before and
    after it closed — do they stop arriving?"""
    if task.source_category_id is None:
        return None
    from whistle.cases.models import Case, Category

    today = today or timezone.localdate()
    categories = [
        task.source_category_id,
        *Category.objects.filter(parent=task.source_category_id).values_list("pk", flat=True),
    ]
    cases = Case.objects.filter(category__in=categories)
    if task.owner.parent_id is not None:
        cases = cases.filter(Q(county=task.owner_id) | Q(county__path__startswith=task.owner.path))
    start = task.created_at - dt.timedelta(days=366)
    by_month = {
        row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"]: row["n"]
        for row in cases.filter(submitted_at__gte=start)
        .annotate(m=TruncMonth("submitted_at"))
        .values("m")
        .annotate(n=Count("pk"))
    }
    closed = task.closed_at
    before = sum(n for m, n in by_month.items() if closed is None or m < timezone.localtime(closed).date())
    after = sum(n for m, n in by_month.items() if closed is not None and m >= timezone.localtime(closed).date())
    months_after = 0
    if closed is not None:
        c = timezone.localtime(closed).date()
        months_after = max(1, (today.year - c.year) * 12 + today.month - c.month + 1)
    return {
        "months": sorted(by_month.items()),
        "linked": TaskCase.objects.filter(task=task).count(),
        "before": before,
        "after": after,
        "months_after": months_after,
        "stopped": closed is not None and after == 0,
    }


def linked_cases(actor: Actor, task: Task):
    from whistle.cases.models import Case
    from whistle.cases.selectors import case_scope_q

    ids = TaskCase.objects.filter(task=task).values("case_id")
    return Case.objects.filter(case_scope_q(actor), pk__in=ids).order_by("-submitted_at")[:50]


def file_get(actor: Actor, file_id) -> TaskFile:
    found = None
    if isinstance(file_id, int) and 0 < file_id < MAX_ID:
        found = TaskFile.objects.filter(pk=file_id, task__in=tasks(actor)).first()
    if found is None:
        raise NotFound("文件不存在或不在您的权限范围内", code="file_not_found")
    return found


def public_task(task_id) -> Task:
    task = None
    if isinstance(task_id, int) and 0 < task_id < MAX_ID:
        task = Task.objects.select_related("area", "lead_unit", "status").filter(pk=task_id, is_public=True).first()
    if task is None:
        raise NotFound("该任务未公开", code="task_not_found")
    return task


def public_reports(task: Task) -> list[TaskEvent]:
    """What the public page shows: dated reports and steps, never staff names."""
    return list(task.events.filter(kind__in=["create", "report", "submit", "accept", "close"]).order_by("seq"))


# ---- lists: the board, a unit's own list ---------------------------------------------------------------------------

FILTERS = ("area", "unit", "light", "state", "kind", "overdue", "waiting", "q", "year")


def task_list(actor: Actor, f: dict, today: dt.date | None = None) -> QuerySet[Task]:
    today = today or timezone.localdate()
    qs = tasks(actor).exclude(kind=Kind.SHEET)
    if f.get("year"):
        qs = qs.filter(year=f["year"])
    if f.get("area"):
        qs = qs.filter(area__code=f["area"])
    if f.get("unit"):
        qs = qs.filter(lead_unit__code=f["unit"])
    if f.get("light") in Light.values:
        qs = qs.filter(light=f["light"])
    if f.get("state") in State.values:
        qs = qs.filter(state=f["state"])
    if f.get("kind") in (Kind.TASK, Kind.ITEM):
        qs = qs.filter(kind=f["kind"])
    if f.get("overdue"):
        qs = qs.filter(state=State.OPEN, red_on__lte=today)
    if f.get("waiting"):
        qs = qs.filter(state=State.SUBMITTED)
    if f.get("q"):
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(code__icontains=f["q"]))
    return qs.select_related("area", "lead_unit").order_by("next_due_on", "code")


def board(actor: Actor, year: int, today: dt.date | None = None) -> dict:
    """The reform office's board: counts by light and state, by area and by unit, from ONE grouped read of the year's
    tasks (by area, unit, light and state), summed here: one pass over the rows instead of one per breakdown."""
    today = today or timezone.localdate()
    qs = tasks(actor).filter(year=year).exclude(kind=Kind.SHEET)
    lights: Counter = Counter()
    states: Counter = Counter()
    overdue = 0
    areas: dict = {}  # code -> the area's names, then its counts
    units: dict = {}
    for row in (
        qs.values("area__code", "area__name", "area__order", "lead_unit__code", "lead_unit__name", "light", "state")
        .annotate(
            n=Count("pk"), late=Count("pk", filter=Q(state=State.OPEN, red_on__lte=today)), weighted=Sum("progress")
        )
        .order_by()
    ):
        n, state, light = row["n"], row["state"], row["light"]
        states[state] += n
        overdue += row["late"]
        red = yellow = 0
        if state == State.OPEN:
            lights[light] += n
            red, yellow = (n if light == Light.RED else 0), (n if light == Light.YELLOW else 0)
        closed = n if state == State.CLOSED else 0
        area = areas.setdefault(
            row["area__code"],
            Counter({k: row[k] for k in ("area__code", "area__name", "area__order")}),
        )
        area.update(total=n, red=red, yellow=yellow, closed=closed, weighted=row["weighted"] or 0)
        unit = units.setdefault(
            row["lead_unit__code"], Counter({k: row[k] for k in ("lead_unit__code", "lead_unit__name")})
        )
        unit.update(total=n, red=red, yellow=yellow, closed=closed, waiting=n if state == State.SUBMITTED else 0)
    # Tasks without an area (a sheet's items) sort last, as NULLS LAST did in SQL.
    by_area = sorted(
        (dict(a) for a in areas.values()),
        key=lambda a: (a["area__order"] is None, a["area__order"] or 0, a["area__code"] or ""),
    )
    for row in by_area:
        row["progress"] = round(row["weighted"] / row["total"]) if row["total"] else 0
    by_unit = sorted(
        (dict(u) for u in units.values()), key=lambda u: (-u["red"], -u["yellow"], u["lead_unit__name"] or "")
    )[:30]
    return {
        "year": year,
        "total": sum(states.values()),
        "green": lights[Light.GREEN],
        "yellow": lights[Light.YELLOW],
        "red": lights[Light.RED],
        "overdue": overdue,
        "waiting": states[State.SUBMITTED],
        "accepted": states[State.ACCEPTED],
        "closed": states[State.CLOSED],
        "by_area": by_area,
        "by_unit": by_unit,
    }


def leader_summary(actor: Actor, year: int | None = None) -> dict | None:
    """The cockpit's section: the year's tasks by light, the red ones first (each a link), sheets by county."""
    if actor.role not in BOARD_ROLES:
        return None
    year = year or timezone.localdate().year
    summary = board(actor, year)
    summary["red_tasks"] = list(
        tasks(actor)
        .filter(year=year, state=State.OPEN, light=Light.RED)
        .exclude(kind=Kind.SHEET)
        .select_related("lead_unit")
        .order_by("red_on", "code")[:8]
    )
    summary["sheets"] = sheet_rows(actor, year)
    return summary


def my_tasks(actor: Actor, today: dt.date | None = None) -> QuerySet[Task]:
    """A unit's own list (what it leads, and what its county's office reports for), what is due next first."""
    if actor.role in UNIT_ROLES and actor.unit is not None:
        qs = Task.objects.filter(lead_unit=actor.unit)
    elif actor.role == Role.REFORM_OFFICE and actor.scope_root is not None:
        qs = Task.objects.filter(lead_unit=actor.scope_root)
    else:
        return Task.objects.none()
    return (
        qs.exclude(kind=Kind.SHEET)
        .exclude(state=State.CLOSED)
        .select_related("area", "lead_unit", "parent")
        .order_by("next_due_on", "code")
    )


def assisting_tasks(actor: Actor) -> QuerySet[Task]:
    if actor.role not in UNIT_ROLES or actor.unit is None:
        return Task.objects.none()
    return Task.objects.filter(assisting_units=actor.unit).exclude(state=State.CLOSED).order_by("next_due_on")


# ---- sheets -------------------------------------------------------------------------------------------------------


def sheet_rows(actor: Actor, year: int) -> list[dict]:
    sheets = list(tasks(actor).filter(kind=Kind.SHEET, year=year).select_related("lead_unit").order_by("code"))
    counts = {
        (row["parent_id"]): row
        for row in Task.objects.filter(parent__in=sheets)
        .values("parent_id")
        .annotate(
            items=Count("pk"),
            closed=Count("pk", filter=Q(state=State.CLOSED)),
            red=Count("pk", filter=Q(state=State.OPEN, light=Light.RED)),
            yellow=Count("pk", filter=Q(state=State.OPEN, light=Light.YELLOW)),
        )
        .order_by()
    }
    return [{"sheet": s, **counts.get(s.pk, {"items": 0, "closed": 0, "red": 0, "yellow": 0})} for s in sheets]


# ---- outcomes ----------------------------------------------------------------------------------------------------


def outcomes(actor: Actor, year: int | None = None) -> QuerySet[Outcome]:
    qs = Outcome.objects.filter(task_scope_q(actor, "task__")).select_related("task", "task__lead_unit")
    if year:
        qs = qs.filter(task__year=year)
    return qs


def outcome_get(actor: Actor, outcome_id) -> Outcome:
    found = None
    if isinstance(outcome_id, int) and 0 < outcome_id < MAX_ID:
        found = outcomes(actor).filter(pk=outcome_id).first()
    if found is None:
        raise NotFound("成果不存在或不在您的权限范围内", code="outcome_not_found")
    return found


def funnel(actor: Actor, year: int) -> dict:
    """218 → 43 → 28 as a query: the year's tasks, the results recognised as 制度性创新成果, those selected as
    典型经验, and those pushed to the province and to the central reform office."""
    counts = outcomes(actor, year).aggregate(  # one statement, not a COUNT per stage
        proposed=Count("pk"),
        innovation=Count("pk", filter=Q(stage__in=[OutcomeStage.INNOVATION, OutcomeStage.TYPICAL])),
        typical=Count("pk", filter=Q(stage=OutcomeStage.TYPICAL)),
        province=Count("pk", filter=Q(pushed_level=PushLevel.PROVINCE)),
        central=Count("pk", filter=Q(pushed_level=PushLevel.CENTRAL)),
    )
    return {
        "year": year,
        "tasks": tasks(actor).filter(year=year, kind=Kind.TASK, parent__isnull=True).count(),
        **counts,
    }


# ---- notices, the monthly 通报 --------------------------------------------------------------------------------------


def notices(actor: Actor, month: dt.date | None = None) -> QuerySet[TaskNotice]:
    qs = TaskNotice.objects.filter(task_scope_q(actor, "task__")).select_related("task", "unit")
    if month:
        from whistle.core.months import month_bounds

        lo, hi = month_bounds(month)
        qs = qs.filter(issued_at__gte=lo, issued_at__lt=hi)
    return qs


def bulletin(actor: Actor, month: dt.date) -> dict:
    """The monthly 通报: each area's tasks and progress, the red and yellow lights, the letters of the month, the
    tasks closed (销号) in the month."""
    from whistle.core.months import month_bounds

    lo, hi = month_bounds(month)
    year_board = board(actor, month.year)
    qs = tasks(actor).filter(year=month.year).exclude(kind=Kind.SHEET)
    reported = set(
        TaskEvent.objects.filter(task__in=qs, kind="report", at__gte=lo, at__lt=hi).values_list("task_id", flat=True)
    )
    late = list(
        qs.filter(state=State.OPEN, light__in=[Light.RED, Light.YELLOW])
        .select_related("lead_unit", "area")
        .order_by("-light", "next_due_on", "code")
    )
    closed = list(qs.filter(closed_at__gte=lo, closed_at__lt=hi).select_related("lead_unit").order_by("code"))
    return {
        "month": month,
        "board": year_board,
        "reported": len(reported),
        "live": qs.filter(state=State.OPEN).count(),
        "late": late,
        "closed": closed,
        "letters": list(notices(actor, month).order_by("unit__name", "task__code")),
    }


def areas() -> list[Area]:
    return list(Area.objects.filter(is_active=True))


def on_time_by_unit(first: dt.date, last: dt.date, unit_ids=None) -> dict[int, dict]:
    """Item 10, the facts of the metric `reform_on_time`: per lead unit, the tasks and items due in [first, last]
    (Beijing dates) and those of them submitted for acceptance by their due date."""
    qs = Task.objects.exclude(kind=Kind.SHEET).filter(due_on__gte=first, due_on__lte=last)
    if unit_ids is not None:
        qs = qs.filter(lead_unit_id__in=list(unit_ids))
    rows = qs.values("lead_unit_id").annotate(
        due=Count("pk"),
        on_time=Count("pk", filter=Q(submitted_on__isnull=False, submitted_on__lte=models_due())),
    )
    return {r["lead_unit_id"]: {"reform_due": r["due"], "reform_on_time": r["on_time"]} for r in rows.order_by()}


def models_due():
    from django.db.models import F

    return F("due_on")
