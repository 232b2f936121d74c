"""Every write of chains: the map and its firms, the lists, the pipeline (a target → signed → started …), leaders'
trips, a project's problem as a 吹哨 case (through `cases.services`, the only door) and a key project under
领导包保 (through `patronage.services`). Each write is one transaction; only the chain's own office keeps a chain.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from whistle.cases.models import Channel, Kind
from whistle.cases.services import case_submit
from whistle.core import inputs
from whistle.core.errors import Conflict, Forbidden, Invalid
from whistle.core.params import parse_year
from whistle.enterprises.models import Enterprise
from whistle.org.models import Level, Unit
from whistle.org.scopes import Actor

from . import lights, mapcache
from .models import (
    Chain,
    EventKind,
    KpiDefinition,
    KpiSource,
    KpiValue,
    ListEntry,
    ListType,
    Node,
    NodeFirm,
    Pipeline,
    Project,
    ProjectCase,
    ProjectEvent,
    Segment,
    Stage,
    Trip,
)
from .selectors import can_keep, node_get, project_get

NAME_MAX = 120
PATRONAGE_PLAN_DAYS = 730  # the key project's planned span in patronage's ledger until its office edits it
PATH_STEP = 4  # digits per level of a node's path: up to 9999 children per node


def _check_keeps(actor: Actor, chain: Chain) -> None:
    if not can_keep(actor, chain):
        raise Forbidden("只有本产业链的链办可以维护产业链", code="not_chain_office")


def clean_date(value, field: str, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(inputs.cell_text(value))
    except ValueError:
        raise Invalid(f"{label}格式应为 YYYY-MM-DD", code=f"invalid_{field}", field=field) from None


def clean_amount(value, field: str = "amount") -> Decimal:
    """An amount in 万元: positive, at most 12 digits before the point."""
    try:
        amount = Decimal(inputs.cell_text(value).replace(",", ""))
    except InvalidOperation:
        raise Invalid("请填写投资额（万元，数字）", code="invalid_amount", field=field) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise Invalid("投资额须为大于0的数字（万元）", code="invalid_amount", field=field)
    return amount.quantize(Decimal("0.01"))


def unit_by_code(value, field: str, label: str) -> Unit:
    unit = Unit.objects.filter(code=inputs.cell_text(value), is_active=True).first()
    if unit is None:
        raise Invalid(f"{label}不存在", code=f"invalid_{field}", field=field)
    return unit


def county_by_code(value, field: str = "county") -> Unit:
    unit = unit_by_code(value, field, "落地县区")
    if unit.level != Level.COUNTY or unit.kind != "government":
        raise Invalid("落地县区须为县区人民政府", code="invalid_county", field=field)
    return unit


def enterprise_by_uscc(value, field: str = "enterprise") -> Enterprise | None:
    code = inputs.cell_text(value).upper()
    if not code:
        return None
    enterprise = Enterprise.objects.filter(uscc=code).first()
    if enterprise is None:
        raise Invalid("未找到该统一社会信用代码的本地企业", code="unknown_enterprise", field=field)
    return enterprise


def _event(project: Project, actor: Actor, kind: str, text: str, now: dt.datetime) -> None:
    ProjectEvent.objects.create(project=project, kind=kind, at=now, actor=actor.user, text=text[:500])


# ---- the map ----------------------------------------------------------------------------------------------------


def _next_path(chain: Chain, parent: Node | None) -> str:
    siblings = Node.objects.filter(chain=chain, parent=parent).count()
    if siblings >= 10**PATH_STEP - 1:
        raise Invalid("同一节点下的子节点过多", code="too_many_nodes", field="parent")
    return (parent.path if parent else "") + f"{siblings + 1:0{PATH_STEP}d}"


def node_add(actor: Actor, chain: Chain, *, name, segment=None, parent=None) -> Node:
    """A node of the map: under a parent (its segment follows the parent's) or at the top of a segment."""
    _check_keeps(actor, chain)
    name = inputs.text(name, "name", label="节点名称", limit=60)
    parent_node = node_get(actor, chain, parent) if parent not in (None, "") else None
    if parent_node is not None:
        segment = parent_node.segment
    elif segment not in Segment.values:
        raise Invalid("请选择上游、中游或下游", code="invalid_segment", field="segment")
    if parent_node is not None and parent_node.depth >= 255 // PATH_STEP - 1:
        raise Invalid("节点层级过深", code="too_deep", field="parent")
    try:
        with transaction.atomic():
            return Node.objects.create(
                chain=chain,
                parent=parent_node,
                segment=segment,
                name=name,
                path=_next_path(chain, parent_node),
                depth=parent_node.depth + 1 if parent_node else 0,
            )
    except IntegrityError:
        raise Conflict("同一上级下已有同名节点", code="node_exists", field="name") from None


def firm_add(actor: Actor, chain: Chain, node_pk, *, name="", uscc="", place="") -> NodeFirm:
    """A firm at a node: a local enterprise by its 统一社会信用代码, or a firm elsewhere by its name and city."""
    _check_keeps(actor, chain)
    node = node_get(actor, chain, node_pk)
    enterprise = enterprise_by_uscc(uscc, "uscc")
    if enterprise is not None:
        name = enterprise.name
    name = inputs.text(name, "name", label="企业名称", limit=NAME_MAX)
    place = inputs.text(place, "place", label="所在地", limit=40, required=False)
    if NodeFirm.objects.filter(node=node, name=name).exists():
        raise Conflict("该节点已有此企业", code="firm_exists", field="name")
    return NodeFirm.objects.create(node=node, enterprise=enterprise, name=name, place=place)


# ---- lists ------------------------------------------------------------------------------------------------------


def entry_add(actor: Actor, chain: Chain, *, list_type, year, name, uscc="", node=None, note="") -> ListEntry:
    _check_keeps(actor, chain)
    kind = ListType.objects.filter(code=inputs.cell_text(list_type), is_active=True).first()
    if kind is None:
        raise Invalid("清单类型不存在", code="invalid_list_type", field="list_type")
    year = parse_year(year)
    name = inputs.text(name, "name", label="名称", limit=NAME_MAX, coerce=True)
    note = inputs.text(note, "note", label="说明", limit=500, required=False)
    enterprise = enterprise_by_uscc(uscc, "uscc")
    node_obj = node_get(actor, chain, node) if node not in (None, "") else None
    try:
        with transaction.atomic():
            return ListEntry.objects.create(
                chain=chain, list_type=kind, year=year, name=name, enterprise=enterprise, node=node_obj, note=note
            )
    except IntegrityError:
        raise Conflict(f"{year}年{kind.name}已有“{name}”", code="entry_exists", field="name") from None


def lists_carry_over(actor: Actor, chain: Chain, *, from_year, to_year) -> int:
    """Start a year's lists from another year's (版本 = 年度): its entries not yet in the target year are copied, in
    one statement; the office then edits the new year's version. Returns how many entries were copied."""
    _check_keeps(actor, chain)
    source, target = parse_year(from_year, "from_year"), parse_year(to_year, "to_year")
    if source == target:
        raise Invalid("请选择不同的年度", code="same_year", field="to_year")
    have = set(ListEntry.objects.filter(chain=chain, year=target).values_list("list_type_id", "name"))
    copies = [
        ListEntry(
            chain=chain,
            list_type_id=e.list_type_id,
            year=target,
            name=e.name,
            enterprise_id=e.enterprise_id,
            node_id=e.node_id,
            note=e.note,
        )
        for e in ListEntry.objects.filter(chain=chain, year=source)
        if (e.list_type_id, e.name) not in have
    ]
    if not copies:
        raise Conflict(f"{source}年清单没有可沿用的条目", code="nothing_to_copy", field="from_year")
    with transaction.atomic():
        ListEntry.objects.bulk_create(copies, ignore_conflicts=True, batch_size=1000)
        mapcache.bump(chain.pk)  # bulk_create sends no signal
    return len(copies)


def kpi_record(actor: Actor, chain: Chain, *, kpi, year, value, note="", now: dt.datetime | None = None) -> KpiValue:
    """A reported KPI's figure for a chain and a year (产业集群主营收入 …): recorded again, the new figure replaces it."""
    _check_keeps(actor, chain)
    definition = KpiDefinition.objects.filter(
        code=inputs.cell_text(kpi), is_active=True, source=KpiSource.REPORTED
    ).first()
    if definition is None:
        raise Invalid("该指标不存在或不由链办填报", code="invalid_kpi", field="kpi")
    year = parse_year(year)
    try:
        number = Decimal(inputs.cell_text(value).replace(",", ""))
    except InvalidOperation:
        raise Invalid("请填写数值", code="invalid_value", field="value") from None
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise Invalid("数值超出范围", code="invalid_value", field="value")
    note = inputs.text(note, "note", label="来源说明", limit=200, required=False)
    record, _ = KpiValue.objects.update_or_create(
        chain=chain,
        definition=definition,
        year=year,
        defaults={
            "value": number.quantize(Decimal("0.01")),
            "note": note,
            "recorded_by": actor.user,
            "recorded_at": now or timezone.now(),
        },
    )
    return record


# ---- the pipeline -----------------------------------------------------------------------------------------------


def project_create(actor: Actor, chain: Chain, data: dict, now: dt.datetime | None = None) -> Project:
    """A target enters the pipeline at its first stage: an investment project (a firm to attract, usually for a gap
    node) or a renovation project (技改) of a local enterprise."""
    _check_keeps(actor, chain)
    now = now or timezone.now()
    pipeline = data.get("pipeline") or Pipeline.INVESTMENT
    if pipeline not in Pipeline.values:
        raise Invalid("项目类型不正确", code="invalid_pipeline", field="pipeline")
    name = inputs.text(data.get("name"), "name", label="项目名称", limit=NAME_MAX)
    target = inputs.text(data.get("target_firm"), "target_firm", label="目标企业", limit=NAME_MAX, required=False)
    enterprise = enterprise_by_uscc(data.get("uscc"), "uscc")
    if pipeline == Pipeline.RENOVATION and enterprise is None:
        raise Invalid("技改项目须填写本地企业的统一社会信用代码", code="enterprise_required", field="uscc")
    node = node_get(actor, chain, data["node"]) if data.get("node") not in (None, "") else None
    county = county_by_code(data.get("county"))
    responsible = unit_by_code(data.get("responsible_unit"), "responsible_unit", "责任单位")
    first = Stage.objects.filter(pipeline=pipeline).order_by("order").first()
    if first is None:
        raise Invalid("未设置项目阶段", code="no_stages", field="pipeline")
    with transaction.atomic():
        project = Project(
            chain=chain,
            pipeline=pipeline,
            name=name,
            target_firm=target,
            enterprise=enterprise,
            node=node,
            county=county,
            responsible_unit=responsible,
            stage=first,
            stage_since=timezone.localtime(now).date(),
            created_at=now,
        )
        lights.schedule(project, timezone.localtime(now).date())
        project.save()
        _event(
            project,
            actor,
            EventKind.CREATE,
            f"登记：{first.name}" + (f"（补链节点：{node.name}）" if node else ""),
            now,
        )
    return project


def project_advance(actor: Actor, pk, *, stage, on=None, amount=None, now: dt.datetime | None = None) -> Project:
    """Move a project forward to a later stage (one step or several), on a date no later than today. Reaching the
    signed stage takes the amount (万元) and the date as the signing date; reaching 开工 records the start. The new
    stage's deadline counts from that date."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        project = project_get(actor, pk, for_update=True)
        _check_keeps(actor, project.chain)
        target = Stage.objects.filter(pipeline=project.pipeline, code=inputs.cell_text(stage)).first()
        if target is None:
            raise Invalid("阶段不存在", code="invalid_stage", field="stage")
        if target.order <= project.stage.order:
            raise Conflict(f"项目已在“{project.stage.name}”，只能向后推进", code="stage_not_forward", field="stage")
        day = clean_date(on, "on", "日期") if on not in (None, "") else today
        if day > today:
            raise Invalid("日期不能晚于今天", code="date_in_future", field="on")
        if day < project.stage_since:
            raise Invalid("日期不能早于进入上一阶段的日期", code="date_before_stage", field="on")
        passes_signed = Stage.objects.filter(
            pipeline=project.pipeline, is_signed=True, order__gt=project.stage.order, order__lte=target.order
        ).exists()
        if passes_signed:
            project.amount = clean_amount(amount)
            project.signed_on = day
        elif amount not in (None, ""):
            project.amount = clean_amount(amount)
        if target.code == "started" and project.started_on is None:
            project.started_on = day
        project.stage, project.stage_since = target, day
        lights.schedule(project, today)
        project.save()
        text = f"推进至“{target.name}”（{day:%Y-%m-%d}）"
        if passes_signed:
            text += f"，签约额{project.amount}万元"
        _event(project, actor, EventKind.STAGE, text, now)
    return project


def trip_record(actor: Actor, chain: Chain, data: dict, now: dt.datetime | None = None) -> Trip:
    """A 招商 trip or visit: date, city, who went, whom they met, and the projects it concerned."""
    _check_keeps(actor, chain)
    now = now or timezone.now()
    went_on = clean_date(data.get("went_on"), "went_on", "日期")
    if went_on > timezone.localtime(now).date():
        raise Invalid("日期不能晚于今天", code="date_in_future", field="went_on")
    city = inputs.text(data.get("city"), "city", label="赴往城市", limit=40)
    who = inputs.text(data.get("who"), "who", label="带队及参加人员", limit=200)
    met = inputs.text(data.get("met"), "met", label="洽谈对象", limit=300, required=False)
    ids = [p for p in data.get("projects") or [] if str(p).strip()]
    projects = list(Project.objects.filter(chain=chain, pk__in=[p for p in ids if str(p).isdigit()]))
    if len(projects) != len(set(ids)):
        raise Invalid("所选项目不属于本产业链", code="invalid_projects", field="projects")
    with transaction.atomic():
        trip = Trip.objects.create(
            chain=chain,
            went_on=went_on,
            city=city,
            who=who,
            met=met,
            led_by_leader=bool(data.get("led_by_leader", True)),
            recorded_by=actor.user,
        )
        trip.projects.set(projects)
        for project in projects:
            _event(
                project,
                actor,
                EventKind.TRIP,
                f"{went_on:%Y-%m-%d} 赴{city}招商：{who}" + (f"，洽谈{met}" if met else ""),
                now,
            )
    return trip


def problem_to_case(actor: Actor, pk, *, category: str, description, now: dt.datetime | None = None):
    """One click: a problem the project met becomes a 吹哨 case through the case service, in the project's county,
    of its local enterprise if it has one, with the project named in the case (`external_ref`) and the case listed
    on the project. The chain office raises it through the system door of `case_submit` (it is no case role), and
    the case's text names the officer who raised it."""
    now = now or timezone.now()
    with transaction.atomic():
        project = project_get(actor, pk, for_update=True)
        _check_keeps(actor, project.chain)
        text = inputs.text(description, "description", label="问题描述", limit=2000)
        enterprise = project.enterprise
        case, _ = case_submit(
            Actor.system(),
            kind=Kind.HELP,
            category=category,
            title=text.splitlines()[0][:30],
            description=f"{text}\n\n（来源：{project.chain.name}产业链 · {project.name}（{project.stage.name}）；登记人 {actor.label}）",
            channel=Channel.WEB,
            enterprise=enterprise,
            county=project.county.code,
            contact_name=(enterprise.contact_name if enterprise else "") or actor.label,
            contact_phone=(enterprise.contact_phone if enterprise else "") or (actor.membership.phone or ""),
            external_ref=f"chains-project:{project.pk}",
            now=now,
        )
        ProjectCase.objects.create(project=project, case=case)
        _event(project, actor, EventKind.PROBLEM, f"问题转为吹哨工单 {case.number}", now)
    return case


def project_patronage(actor: Actor, pk, *, leader, lead_unit, started_on, now: dt.datetime | None = None):
    """A key project under 领导包保: the project joins patronage's key projects and gets its leader, lead unit and
    task force through patronage's own services (which decide who may assign: a coordinator over the county)."""
    from whistle.patronage import services as patronage_services

    now = now or timezone.now()
    with transaction.atomic():
        project = project_get(actor, pk, for_update=True)
        if project.patronage_project_id is not None:
            raise Conflict("该项目已纳入领导包保", code="already_patronage", field="project")
        start = clean_date(started_on, "started_on", "包保起始日")
        end = start + dt.timedelta(days=PATRONAGE_PLAN_DAYS)
        target, _ = patronage_services.project_save(
            actor,
            {
                "code": f"CHAIN-{project.pk}",
                "name": project.name[:120],
                "county": project.county.code,
                "enterprise": project.enterprise.uscc if project.enterprise else "",
                "investment": str(project.amount or 0),
                "planned_start": start.isoformat(),
                "planned_end": end.isoformat(),
            },
        )
        patronage = patronage_services.patronage_assign(
            actor, project=target, leader=leader, lead_unit=lead_unit, started_on=start, reason="产业链重点项目"
        )
        project.patronage_project, project.is_key = target, True
        project.save(update_fields=["patronage_project", "is_key"])
        _event(project, actor, EventKind.PATRONAGE, f"纳入领导包保：{patronage.leader}", now)
    return patronage
