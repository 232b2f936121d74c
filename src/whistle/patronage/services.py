"""Every write of 领导包保: assignments (make, change, end), task forces, projects, visits, and a visit's problem
turned into a case. One transaction each; refusals are `whistle.core.errors` problems."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from whistle.cases.models import Channel, Kind
from whistle.cases.services import case_submit
from whistle.core import inputs
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Membership, Role, Unit, UnitKind
from whistle.org.scopes import Actor

from .models import Milestone, Patronage, Project, TaskForceMember, Visit, VisitProblem
from .selectors import can_manage, can_visit, patronage_get, person_name

REASON_MAX = 200


# ---- small validators shared by the forms, the API and the import ------------------------------------------------


def clean_date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid("日期格式应为 YYYY-MM-DD", code="invalid_date", field=field) from None


def clean_text(value, field: str, *, limit: int, required: bool = False, label: str = "") -> str:
    """Text from a page or a spreadsheet cell (a number is taken as its text); codes `required`, `too_long`."""
    return inputs.text(value, field, label=label, limit=limit, required=required, code="", coerce=True)


def leader_user(value, field: str = "leader"):
    """A user whose role is leader, named by username (or the user itself)."""
    User = get_user_model()
    username = value.get_username() if isinstance(value, User) else str(value or "").strip()
    membership = (
        Membership.objects.select_related("user", "unit").filter(user__username=username, role=Role.LEADER).first()
        if username
        else None
    )
    if membership is None:
        raise Invalid("包保领导不存在（须为“领导”角色的账号）", code="unknown_leader", field=field)
    return membership.user


def unit_by_code(value, field: str = "lead_unit", label: str = "单位") -> Unit:
    text = str(value or "").strip()
    unit = Unit.objects.filter(is_active=True).filter(code=text).first() if text else None
    if unit is None and text:
        matches = list(Unit.objects.filter(is_active=True, name=text)[:2])
        unit = matches[0] if len(matches) == 1 else None
    if unit is None:
        raise Invalid(f"{label}不存在：{text or '（空）'}", code="unknown_unit", field=field)
    return unit


def county_by_code(value, field: str = "county") -> Unit:
    unit = unit_by_code(value, field, "所属县区")
    if unit.level != Level.COUNTY or unit.kind not in (UnitKind.GOVERNMENT, UnitKind.ZONE):
        raise Invalid("所属县区须为县区人民政府或功能区", code="unknown_county", field=field)
    return unit


def _check_manage(actor: Actor, county: Unit):
    if not can_manage(actor, county):
        # Outside the coordinator's territory the object does not exist for them.
        raise NotFound("对象不存在或不在您的管辖范围内", code="not_found")


def _check_leader_covers(leader, county: Unit, field: str = "leader"):
    if not Actor.of(leader).covers(county):
        raise Invalid("该领导的辖区不包含此对象所在县区", code="leader_out_of_scope", field=field)


def _target(enterprise: Enterprise | None, project: Project | None):
    if (enterprise is None) == (project is None):
        raise Invalid("请选择一个包保对象（企业或项目）", code="target_required", field="target")
    return enterprise or project


# ---- assignments -----------------------------------------------------------------------------------------------


def patronage_assign(
    actor: Actor,
    *,
    enterprise: Enterprise | None = None,
    project: Project | None = None,
    leader,
    lead_unit,
    started_on,
    reason: str = "",
    task_force: list[dict] | None = None,
) -> Patronage:
    """Give an enterprise or project its leader, lead unit and task force. A second active assignment is refused:
    change the current one instead."""
    target = _target(enterprise, project)
    _check_manage(actor, target.county)
    if enterprise is not None and not enterprise.is_key and not enterprise.above_scale:
        raise Invalid("只有重点企业或规上企业纳入领导包保", code="not_key_enterprise", field="target")
    leader = leader_user(leader)
    _check_leader_covers(leader, target.county)
    unit = lead_unit if isinstance(lead_unit, Unit) else unit_by_code(lead_unit)
    started = clean_date(started_on, "started_on")
    reason = clean_text(reason, "reason", limit=REASON_MAX, label="原因")
    members = [_member(m, i) for i, m in enumerate(task_force or [])]
    try:
        with transaction.atomic():
            patronage = Patronage.objects.create(
                enterprise=enterprise,
                project=project,
                leader=leader,
                lead_unit=unit,
                started_on=started,
                start_reason=reason,
                created_by=actor.user,
            )
            TaskForceMember.objects.bulk_create([TaskForceMember(patronage=patronage, **m) for m in members])
    except IntegrityError:
        raise Conflict(
            "该对象已有在任的包保领导，请使用“调整”", code="patronage_active_exists", field="target"
        ) from None
    return patronage


def _member(data: dict, index: int) -> dict:
    field = f"task_force[{index}]"
    name = clean_text(data.get("name"), f"{field}.name", limit=40, required=True, label="专班成员姓名")
    unit = data.get("unit")
    if unit not in (None, "") and not isinstance(unit, Unit):
        unit = unit_by_code(unit, f"{field}.unit")
    return {
        "name": name,
        "unit": unit or None,
        "duty": clean_text(data.get("duty"), f"{field}.duty", limit=60, label="分工"),
        "phone": clean_text(data.get("phone"), f"{field}.phone", limit=20, label="电话"),
    }


def _locked_active(actor: Actor, pk: int) -> Patronage:
    patronage = patronage_get(actor, pk)
    _check_manage(actor, patronage.county)
    patronage = Patronage.objects.select_for_update().get(pk=patronage.pk)
    if patronage.ended_on is not None:
        raise Conflict("该包保关系已结束", code="patronage_ended")
    return patronage


@transaction.atomic
def patronage_end(actor: Actor, pk: int, *, ended_on, reason: str) -> Patronage:
    """End an assignment (项目竣工、企业退出重点名单 …) with its date and reason; the row stays as history."""
    patronage = _locked_active(actor, pk)
    ended = clean_date(ended_on, "ended_on")
    if ended < patronage.started_on:
        raise Invalid("结束日期不能早于包保起始日", code="dates_reversed", field="ended_on")
    patronage.ended_on = ended
    patronage.end_reason = clean_text(reason, "reason", limit=REASON_MAX, required=True, label="结束原因")
    patronage.save(update_fields=["ended_on", "end_reason"])
    return patronage


@transaction.atomic
def patronage_change(
    actor: Actor, pk: int, *, leader, lead_unit=None, changed_on, reason: str, keep_task_force: bool = True
) -> Patronage:
    """Hand the object to another leader and/or lead unit from a date: the current row ends that day, a new one starts."""
    current = _locked_active(actor, pk)
    reason = clean_text(reason, "reason", limit=REASON_MAX, required=True, label="调整原因")
    changed = clean_date(changed_on, "changed_on")
    if changed < current.started_on:
        raise Invalid("调整日期不能早于原包保起始日", code="dates_reversed", field="changed_on")
    new_leader = leader_user(leader)
    _check_leader_covers(new_leader, current.county)
    unit = (
        current.lead_unit
        if lead_unit in (None, "")
        else lead_unit
        if isinstance(lead_unit, Unit)
        else unit_by_code(lead_unit)
    )
    if new_leader.pk == current.leader_id and unit.pk == current.lead_unit_id:
        raise Invalid("调整后的包保领导和牵头部门与现在相同", code="no_change", field="leader")
    current.ended_on, current.end_reason = changed, f"调整：{reason}"
    current.save(update_fields=["ended_on", "end_reason"])
    successor = Patronage.objects.create(
        enterprise_id=current.enterprise_id,
        project_id=current.project_id,
        leader=new_leader,
        lead_unit=unit,
        started_on=changed,
        start_reason=reason,
        created_by=actor.user,
    )
    if keep_task_force:
        TaskForceMember.objects.bulk_create(
            [
                TaskForceMember(patronage=successor, name=m.name, unit_id=m.unit_id, duty=m.duty, phone=m.phone)
                for m in current.task_force.all()
            ]
        )
    return successor


@transaction.atomic
def task_force_set(actor: Actor, pk: int, members: list[dict]) -> list[TaskForceMember]:
    """Replace the task force (专班) of an active assignment."""
    patronage = _locked_active(actor, pk)
    rows = [_member(m, i) for i, m in enumerate(members)]
    patronage.task_force.all().delete()
    return TaskForceMember.objects.bulk_create([TaskForceMember(patronage=patronage, **m) for m in rows])


# ---- projects --------------------------------------------------------------------------------------------------


def clean_project(data: dict) -> dict:
    """Validated project fields (code, name, county, enterprise, investment, dates, progress, milestones)."""
    code = clean_text(data.get("code"), "code", limit=40, required=True, label="项目编号")
    name = clean_text(data.get("name"), "name", limit=120, required=True, label="项目名称")
    county = data["county"] if isinstance(data.get("county"), Unit) else county_by_code(data.get("county"))
    enterprise = data.get("enterprise")
    if enterprise not in (None, "") and not isinstance(enterprise, Enterprise):
        enterprise = Enterprise.objects.filter(uscc=str(enterprise).strip().upper()).first()
        if enterprise is None:
            raise Invalid("建设企业（统一社会信用代码）不存在", code="unknown_enterprise", field="enterprise")
    try:
        investment = Decimal(str(data.get("investment") or 0)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Invalid("总投资须为数字（万元）", code="invalid_number", field="investment") from None
    if not investment.is_finite() or investment < 0 or investment >= Decimal("1e12"):
        raise Invalid("总投资须为非负数（万元）", code="invalid_number", field="investment")
    start, end = (
        clean_date(data.get("planned_start"), "planned_start"),
        clean_date(data.get("planned_end"), "planned_end"),
    )
    if end < start:
        raise Invalid("计划竣工日期不能早于计划开工日期", code="dates_reversed", field="planned_end")
    try:
        progress = int(Decimal(str(data.get("progress") or 0)))
    except (InvalidOperation, ValueError):
        raise Invalid("形象进度须为0–100的整数", code="invalid_progress", field="progress") from None
    if not 0 <= progress <= 100:
        raise Invalid("形象进度须为0–100的整数", code="invalid_progress", field="progress")
    milestones = []
    for i, m in enumerate(data.get("milestones") or []):
        label = clean_text(m.get("name"), f"milestones[{i}].name", limit=60, required=True, label="节点名称")
        planned = clean_date(m.get("planned_on"), f"milestones[{i}].planned_on")
        done = clean_date(m["done_on"], f"milestones[{i}].done_on") if m.get("done_on") else None
        milestones.append({"name": label, "planned_on": planned, "done_on": done})
    return {
        "code": code,
        "name": name,
        "county": county,
        "enterprise": enterprise or None,
        "investment": investment,
        "planned_start": start,
        "planned_end": end,
        "progress": progress,
        "milestones": milestones,
    }


@transaction.atomic
def project_save(actor: Actor, data: dict) -> tuple[Project, bool]:
    """Create or update a project by its code (so an import run twice changes nothing). Returns (project, created)."""
    fields = clean_project(data)
    _check_manage(actor, fields["county"])
    enterprise = fields["enterprise"]
    if enterprise is not None and not can_manage(actor, enterprise.county):
        # Another county's enterprise is not the coordinator's to link, and is answered exactly like an unknown one.
        raise Invalid("建设企业（统一社会信用代码）不存在", code="unknown_enterprise", field="enterprise")
    milestones = fields.pop("milestones")
    existing = Project.objects.select_for_update().filter(code=fields["code"]).first()
    if existing is not None:
        _check_manage(actor, existing.county)
    project, created = Project.objects.update_or_create(code=fields.pop("code"), defaults=fields)
    if milestones or not created:
        project.milestones.all().delete()
        Milestone.objects.bulk_create([Milestone(project=project, **m) for m in milestones])
    return project, created


@transaction.atomic
def project_progress(actor: Actor, pk: int, *, progress, done: dict[int, object] | None = None) -> Project:
    """Report progress (%), and the milestones reached ({milestone id: date})."""
    from .selectors import project_get

    project = project_get(actor, pk)
    if not (can_manage(actor, project.county) or _leads(actor, project)):
        raise NotFound("项目不存在或不在您的管辖范围内")
    try:
        value = int(str(progress))
    except ValueError:
        raise Invalid("形象进度须为0–100的整数", code="invalid_progress", field="progress") from None
    if not 0 <= value <= 100:
        raise Invalid("形象进度须为0–100的整数", code="invalid_progress", field="progress")
    Project.objects.filter(pk=project.pk).update(progress=value, updated_at=timezone.now())
    for mid, day in (done or {}).items():
        Milestone.objects.filter(project=project, pk=mid).update(
            done_on=clean_date(day, f"milestone_{mid}") if day else None
        )
    project.refresh_from_db()
    return project


def _leads(actor: Actor, project: Project) -> bool:
    return actor.user is not None and project.patronages.filter(ended_on__isnull=True, leader=actor.user).exists()


# ---- visits and their problems ---------------------------------------------------------------------------------


@transaction.atomic
def visit_log(
    actor: Actor,
    patronage_pk: int,
    *,
    visited_on,
    participants: str,
    raised: str = "",
    decided: str = "",
    problems: list[str] | None = None,
    today: dt.date | None = None,
) -> Visit:
    """Log a visit (走访) under an assignment: date, who went, what the enterprise raised, what was decided, and the
    problems to follow up (each can become a case)."""
    patronage = patronage_get(actor, patronage_pk)
    if not can_visit(actor, patronage):
        raise Forbidden("只有包保领导、其上级领导或辖区吹哨办可以登记走访", code="visit_not_permitted")
    day = clean_date(visited_on, "visited_on")
    today = today or timezone.localdate()
    if day > today:
        raise Invalid("走访日期不能晚于今天", code="date_in_future", field="visited_on")
    if day < patronage.started_on:
        raise Invalid("走访日期早于本包保关系的起始日", code="dates_reversed", field="visited_on")
    if patronage.ended_on is not None and day > patronage.ended_on:
        raise Invalid("走访日期晚于本包保关系的结束日", code="dates_reversed", field="visited_on")
    participants = clean_text(participants, "participants", limit=200, required=True, label="参加人员")
    raised = clean_text(raised, "raised", limit=4000, label="企业反映的问题")
    decided = clean_text(decided, "decided", limit=4000, label="议定事项")
    items = [clean_text(p, f"problems[{i}]", limit=1000, label="问题") for i, p in enumerate(problems or [])]
    items = [p for p in items if p]
    enterprise = patronage.enterprise if patronage.enterprise_id else patronage.project.enterprise
    visit = Visit.objects.create(
        patronage=patronage,
        enterprise=enterprise,
        visited_on=day,
        participants=participants,
        raised=raised,
        decided=decided,
        created_by=actor.user,
    )
    VisitProblem.objects.bulk_create([VisitProblem(visit=visit, description=p) for p in items])
    return visit


@transaction.atomic
def visit_problem_add(actor: Actor, visit_pk: int, description: str) -> VisitProblem:
    from .selectors import visit_get

    visit = visit_get(actor, visit_pk)
    if not can_visit(actor, visit.patronage):
        raise Forbidden("只有包保领导、其上级领导或辖区吹哨办可以登记走访问题", code="visit_not_permitted")
    text = clean_text(description, "description", limit=1000, required=True, label="问题")
    return VisitProblem.objects.create(visit=visit, description=text)


def origin_ref(problem: VisitProblem) -> str:
    """The case's `external_ref`: which visit problem it came from (read back by `selectors.case_origin`)."""
    return f"patronage-visit:{problem.visit_id}:{problem.pk}"


def problem_to_case(
    actor: Actor,
    problem_pk: int,
    *,
    category: str,
    kind: str = Kind.HELP,
    title: str = "",
    now: dt.datetime | None = None,
):
    """One click: the problem becomes a case (channel 走访) of the visited enterprise, linked both ways. It is submitted
    through the normal case service by whoever converts it — the leader (cases admits a leader over the county on
    channel `visit`) or the coordinator — so the case's submit event names them."""
    from .selectors import visit_problem_get

    with transaction.atomic():
        problem = visit_problem_get(actor, problem_pk, for_update=True)
        visit = problem.visit
        if not can_visit(actor, visit.patronage):
            raise Forbidden("只有包保领导、其上级领导或辖区吹哨办可以转办走访问题", code="visit_not_permitted")
        if problem.case_id is not None:
            raise Conflict(f"该问题已转为工单 {problem.case.number}", code="already_case", field="problem")
        target = visit.patronage.target
        enterprise = visit.enterprise
        description = (
            f"{problem.description}\n\n（来源：{visit.visited_on:%Y年%-m月%-d日} 领导包保走访 · {target.name} · "
            f"包保领导 {person_name(visit.patronage.leader)}；登记人 {actor.label}）"
        )
        case, _ = case_submit(
            actor,
            kind=kind,
            category=category,
            title=title or problem.description.strip().splitlines()[0][:30],
            description=description,
            channel=Channel.VISIT,
            enterprise=enterprise,
            county=target.county.code,
            contact_name=(enterprise.contact_name if enterprise else "") or person_name(visit.patronage.leader),
            contact_phone=(enterprise.contact_phone if enterprise else "") or _phone(visit.patronage.leader),
            external_ref=origin_ref(problem),
            now=now,
        )
        problem.case = case
        problem.save(update_fields=["case"])
    return case


def _phone(user) -> str:
    membership = getattr(user, "membership", None)
    return membership.phone if membership else ""
