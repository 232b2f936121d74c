"""Every write of reforms, one transaction each, each appending a hash-chained `TaskEvent`.

The steps (立项交办 → 报送进展 → 申请验收 → 验收通过 / 退回整改 → 销号) are checked by `selectors.refusal`, the same
function the pages use to offer them. A parent's progress is the weighted mean of its children's, recomputed up the
tree at every change; a report that gives a status and no percent takes the status's default progress.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from whistle.core import uploads
from whistle.core.errors import Conflict, Forbidden, Invalid, NotFound
from whistle.core.hashing import chain_hash, key_id
from whistle.org.models import Unit
from whistle.org.scopes import Actor

from . import lights, selectors
from .models import (
    Area,
    EventKind,
    Kind,
    Milestone,
    Outcome,
    OutcomeStage,
    PushLevel,
    State,
    Task,
    TaskCase,
    TaskEvent,
    TaskFile,
    TaskStatus,
)

EVIDENCE_TYPES = set(uploads.EXTENSIONS)
MAX_FILES = 5


# ---- input ---------------------------------------------------------------------------------------------------------


def text(value, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{label}须为文字", code=f"invalid_{field}", field=field)
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"请填写{label}", code=f"{field}_required", field=field)
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过{max_length}字", code=f"{field}_too_long", field=field)
    if "\x00" in value:
        raise Invalid(f"{label}含有非法字符", code=f"invalid_{field}", field=field)
    return value


def date(value, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if value in (None, "") and not required:
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"{label}格式应为 YYYY-MM-DD", code=f"invalid_{field}", field=field) from None
    if not isinstance(value, dt.date):
        raise Invalid(f"请填写{label}", code=f"{field}_required", field=field)
    if not 2000 <= value.year <= 2100:
        raise Invalid(f"{label}须在2000–2100年之间", code="out_of_range", field=field)
    return value


def number(value, field: str, label: str, lo: int, hi: int, *, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    if isinstance(value, bool):
        value = None
    try:
        n = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise Invalid(f"{label}须为整数", code=f"invalid_{field}", field=field) from None
    if not lo <= n <= hi:
        raise Invalid(f"{label}须在{lo}–{hi}之间", code="out_of_range", field=field)
    return n


def unit_by_code(code, field: str, label: str) -> Unit:
    unit = None
    if isinstance(code, Unit):
        unit = code
    elif isinstance(code, str) and code.strip():
        key = code.strip()
        unit = Unit.objects.filter(is_active=True).filter(code=key).first()
        unit = unit or Unit.objects.filter(is_active=True, name=key).first()
        unit = unit or Unit.objects.filter(is_active=True, short_name=key).first()
    if unit is None:
        raise Invalid(f"{label}不存在：{code}" if code else f"请填写{label}", code=f"invalid_{field}", field=field)
    return unit


def _files(uploaded) -> list:
    uploaded = [f for f in (uploaded or []) if f]
    if len(uploaded) > MAX_FILES:
        raise Invalid(f"一次最多上传{MAX_FILES}个文件", code="too_many_files", field="files")
    checked = []
    for upload in uploaded:
        if upload.size > settings.WHISTLE_ATTACHMENT_MAX_BYTES:
            raise Invalid("佐证材料每个不能超过10MB", code="file_too_large", field="files")
        checked.append((upload, *uploads.checked(upload, EVIDENCE_TYPES, field="files")))
    return checked


# ---- the chain -------------------------------------------------------------------------------------------------------


def append(task: Task, kind: str, actor: Actor, now: dt.datetime, **fields) -> TaskEvent:
    """The next event of a locked task; the caller saves the task (its seq and head hash change here)."""
    event = TaskEvent(
        task=task,
        seq=task.event_seq + 1,
        kind=kind,
        at=now,
        actor=actor.user,
        actor_label=actor.label[:120],
        **fields,
    )
    event.hash_key = key_id()
    event.hash = chain_hash(task.last_event_hash, event.record(), event.hash_key)
    event.save()
    task.event_seq, task.last_event_hash = event.seq, event.hash
    return event


def _attach(task: Task, event: TaskEvent, checked) -> None:
    for upload, content_type, name in checked:
        upload.seek(0)
        digest = hashlib.sha256(upload.read()).hexdigest()
        upload.seek(0)
        f = TaskFile(task=task, event=event, name=name, content_type=content_type, size=upload.size, sha256=digest)
        f.file.save(name, upload, save=False)
        f.save()


def roll_up(task: Task, today: dt.date) -> None:
    """Each ancestor's progress: the weighted mean of its children's (a closed child counts 100)."""
    parent_id = task.parent_id
    while parent_id:
        parent = Task.objects.select_for_update().get(pk=parent_id)
        rows = list(Task.objects.filter(parent=parent).values_list("progress", "weight", "state"))
        total = sum(w for _, w, _ in rows)
        done = sum((100 if s == State.CLOSED else p) * w for p, w, s in rows)
        progress = round(done / total) if total else 0
        if progress != parent.progress:
            parent.progress = progress
            parent.save(update_fields=["progress"])
        parent_id = parent.parent_id


def _refuse(actor: Actor, task: Task, action: str) -> None:
    found = selectors.refusal(actor, task, action)
    if found:
        detail, code, status = found
        raise (Forbidden if status == 403 else Conflict)(detail, code=code)


# ---- creating tasks, sheets and their items --------------------------------------------------------------------------


def _owner(actor: Actor, parent: Task | None) -> Unit:
    if parent is not None:
        return parent.owner
    return actor.scope_root


def task_create(actor: Actor, data: dict, now: dt.datetime | None = None, *, system: bool = False) -> Task:
    """立项交办: a task, a sheet or a sheet's item. `data`: title, area (code), lead_unit (code or name), assisting
    (codes), starts_on, due_on, target, leader_name, person_name, weight, report_every_months, parent (id), kind,
    code, issuer_title, is_public, milestones [{name, due_on}]."""
    now = now or timezone.now()
    if not system and not selectors.can_manage(actor):
        raise Forbidden("只有改革办可以立项交办", code="not_allowed")
    with transaction.atomic():
        parent = None
        if data.get("parent") not in (None, ""):
            try:
                parent_id = int(data["parent"])
            except (TypeError, ValueError):
                raise Invalid("上级任务编号不正确", code="invalid_parent", field="parent") from None
            parent = selectors.task_get(actor, parent_id, for_update=True)
            if not system and not selectors.is_office(actor, parent):
                raise Forbidden("只有交办方改革办可以分解任务", code="not_allowed")
            if parent.state == State.CLOSED:
                raise Conflict("上级任务已销号", code="invalid_state", field="parent")
        kind = data.get("kind") or (Kind.ITEM if parent is not None and parent.kind == Kind.SHEET else Kind.TASK)
        if kind not in Kind.values:
            raise Invalid("类型须为 task、sheet 或 item", code="invalid_kind", field="kind")
        if kind == Kind.ITEM and (parent is None or parent.kind != Kind.SHEET):
            raise Invalid("交办事项须属于一张交办单", code="item_needs_sheet", field="parent")
        if kind == Kind.SHEET and parent is not None:
            raise Invalid("交办单不能作为下级任务", code="sheet_has_parent", field="parent")
        title = text(data.get("title"), "title", "任务名称", 200)
        area = None
        if data.get("area"):
            area = (
                Area.objects.filter(code=str(data["area"]).strip()).first()
                or Area.objects.filter(name=str(data["area"]).strip()).first()
            )
            if area is None:
                raise Invalid(f"改革领域不存在：{data['area']}", code="invalid_area", field="area")
        elif parent is not None:
            area = parent.area
        elif kind == Kind.TASK:
            raise Invalid("请选择改革领域", code="area_required", field="area")
        owner = _owner(actor, parent) if not system else (parent.owner if parent else data["owner"])
        lead = unit_by_code(data.get("lead_unit") or (parent.lead_unit if parent else None), "lead_unit", "牵头单位")
        if not system and not (actor.sees_all or lead.path.startswith(owner.path)):
            raise Invalid("牵头单位不在本级范围内", code="lead_unit_out_of_scope", field="lead_unit")
        assisting = [unit_by_code(c, "assisting", "配合单位") for c in data.get("assisting") or []]
        starts_on = date(data.get("starts_on") or (parent.starts_on if parent else None), "starts_on", "开始日期")
        due_on = date(data.get("due_on") or (parent.due_on if parent else None), "due_on", "完成时限")
        if due_on < starts_on:
            raise Invalid("完成时限不能早于开始日期", code="due_before_start", field="due_on")
        year = number(data.get("year") or starts_on.year, "year", "年度", 2000, 2100)
        code = text(data.get("code"), "code", "编号", 40, required=False) or _next_code(year, kind, parent)
        if Task.objects.filter(code=code).exists():
            raise Conflict(f"编号已存在：{code}", code="code_taken", field="code")
        task = Task(
            kind=kind,
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
            year=year,
            code=code,
            title=title,
            area=area,
            owner=owner,
            lead_unit=lead,
            issuer_title=text(data.get("issuer_title"), "issuer_title", "交办领导", 20, required=False),
            leader_name=text(data.get("leader_name"), "leader_name", "责任领导", 60, required=False),
            person_name=text(data.get("person_name"), "person_name", "责任人", 60, required=False),
            starts_on=starts_on,
            due_on=due_on,
            target=text(data.get("target"), "target", "目标要求", 2000, required=False),
            weight=number(data.get("weight") or 1, "weight", "权重", 1, 100),
            report_every_months=number(
                data.get("report_every_months") or lights.int_param("reforms.report_every_months"),
                "report_every_months",
                "报送周期",
                1,
                12,
            ),
            is_public=bool(data.get("is_public")),
            source_category=data.get("source_category"),
            created_at=now,
        )
        milestones = []
        for n, m in enumerate(data.get("milestones") or []):
            name = text(m.get("name"), "milestones", f"第{n + 1}个节点名称", 120)
            due = date(m.get("due_on"), "milestones", f"第{n + 1}个节点日期")
            if not starts_on <= due <= due_on:
                raise Invalid("节点日期须在开始日期与完成时限之间", code="milestone_out_of_range", field="milestones")
            milestones.append(Milestone(name=name, due_on=due))
        lights.schedule(task, timezone.localtime(now).date(), milestones)
        task.save()
        task.assisting_units.set(assisting)
        for m in milestones:
            m.task = task
        Milestone.objects.bulk_create(milestones)
        append(
            task,
            EventKind.CREATE,
            actor,
            now,
            text=task.target,
            payload={"title": title, "lead_unit": lead.code, "due_on": due_on.isoformat(), "weight": task.weight},
        )
        task.save(update_fields=["event_seq", "last_event_hash"])
        if parent is not None:
            roll_up(task, timezone.localtime(now).date())
    return task


def _next_code(year: int, kind: str, parent: Task | None) -> str:
    if parent is not None:
        prefix = f"{parent.code}-"
        n = Task.objects.filter(parent=parent).count() + 1
    else:
        prefix = f"{year}-{'JB' if kind == Kind.SHEET else 'GG'}-"
        n = Task.objects.filter(year=year, parent__isnull=True, kind=kind).count() + 1
    while Task.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


# ---- progress, acceptance, 销号 ----------------------------------------------------------------------------------


def report_add(
    actor: Actor,
    task_id: int,
    *,
    text_value: str,
    progress=None,
    status: str | None = None,
    milestones_done=(),
    files=(),
    now: dt.datetime | None = None,
) -> TaskEvent:
    """报送进展: text, percent (or a status's default percent), milestones done, evidence files."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    checked = _files(files)
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        _refuse(actor, task, "report")
        body = text(text_value, "text", "进展情况", 4000)
        found_status = None
        if status:
            found_status = TaskStatus.objects.filter(code=status).first()
            if found_status is None:
                raise Invalid("推进状态不存在", code="invalid_status", field="status")
        percent = number(progress, "progress", "进度", 0, 100, required=False)
        has_children = task.children.exists()
        if has_children:
            percent = None  # a parent's progress is its children's, by weight
        elif percent is None:
            percent = found_status.progress if found_status else task.progress
        milestones = list(task.milestones.all())
        done_ids = set()
        for m in milestones_done or []:
            try:
                done_ids.add(int(m))
            except (TypeError, ValueError):
                raise Invalid("节点不正确", code="invalid_milestone", field="milestones") from None
        known = {m.pk: m for m in milestones}
        if done_ids - set(known):
            raise Invalid("节点不属于该任务", code="invalid_milestone", field="milestones")
        finished = []
        for pk in sorted(done_ids):
            if known[pk].done_on is None:
                known[pk].done_on = today
                known[pk].save(update_fields=["done_on"])
                finished.append(known[pk].name)
        period = lights.report_period(task, today)
        event = append(
            task,
            EventKind.REPORT,
            actor,
            now,
            period=period,
            progress=percent if percent is not None else task.progress,
            status=found_status.name if found_status else "",
            text=body,
            payload={"milestones_done": finished, "files": [n for _, _, n in checked]},
        )
        _attach(task, event, checked)
        if percent is not None:
            task.progress = percent
        if found_status:
            task.status = found_status
        task.reported_through = max(filter(None, [task.reported_through, period]))
        lights.schedule(task, today, milestones)
        task.save()
        roll_up(task, today)
    return event


def task_submit(actor: Actor, task_id: int, *, text_value: str, files=(), now=None) -> TaskEvent:
    """申请验收: the lead unit says the task is done, with evidence; the reform office reviews."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    checked = _files(files)
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        _refuse(actor, task, "submit")
        body = text(text_value, "text", "完成情况", 4000)
        if not checked and not task.files.exists():
            raise Invalid("申请验收须附佐证材料", code="evidence_required", field="files")
        event = append(task, EventKind.SUBMIT, actor, now, text=body, payload={"files": [n for _, _, n in checked]})
        _attach(task, event, checked)
        task.state, task.submitted_on = State.SUBMITTED, today
        lights.schedule(task, today)
        task.save()
    return event


def task_accept(actor: Actor, task_id: int, *, text_value: str = "", now=None) -> TaskEvent:
    """验收通过 (谁验收、谁负责): the office's opinion is recorded; 销号 is a step of its own."""
    now = now or timezone.now()
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        _refuse(actor, task, "accept")
        body = text(text_value, "text", "验收意见", 2000, required=False) or "验收通过"
        event = append(task, EventKind.ACCEPT, actor, now, text=body)
        task.state = State.ACCEPTED
        lights.schedule(task, timezone.localtime(now).date())
        task.save()
    return event


def task_send_back(actor: Actor, task_id: int, *, reason: str, now=None) -> TaskEvent:
    """退回整改, always with reasons: the task is live again, its lights and letters resume."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        _refuse(actor, task, "send_back")
        body = text(reason, "reason", "退回理由", 2000)
        event = append(task, EventKind.SEND_BACK, actor, now, text=body)
        task.state, task.submitted_on = State.OPEN, None
        lights.schedule(task, today)
        task.save()
    return event


def task_close(actor: Actor, task_id: int, *, text_value: str = "", now=None) -> TaskEvent:
    """销号: only an accepted task closes (整改一个、销号一个: one item at a time, never in batch)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        _refuse(actor, task, "close")
        if not task.events.filter(kind=EventKind.ACCEPT).exists():  # the database state says so; the chain agrees
            raise Conflict("未经验收不能销号", code="not_accepted")
        body = text(text_value, "text", "销号说明", 2000, required=False) or "销号"
        event = append(task, EventKind.CLOSE, actor, now, text=body)
        task.state, task.closed_at, task.progress = State.CLOSED, now, 100
        lights.schedule(task, today)
        task.save()
        roll_up(task, today)
    return event


def sheet_review(actor: Actor, sheet_id: int, *, score, note: str, now=None) -> TaskEvent:
    """年终考评: the city scores a county's sheet item by item at year end."""
    now = now or timezone.now()
    with transaction.atomic():
        sheet = selectors.task_get(actor, sheet_id, for_update=True)
        if not selectors.can_review(actor, sheet):
            raise Forbidden("只有交办方改革办可以考评交办单", code="not_allowed")
        try:
            value = round(float(score), 1)
        except (TypeError, ValueError):
            raise Invalid("得分须为数字", code="invalid_score", field="score") from None
        if not 0 <= value <= 100:
            raise Invalid("得分须在0–100之间", code="out_of_range", field="score")
        body = text(note, "note", "考评意见", 500)
        event = append(sheet, EventKind.REVIEW, actor, now, text=body, payload={"score": value})
        sheet.review_score, sheet.review_note = value, body
        sheet.save()
    return event


def sheet_issue(actor: Actor, data: dict, now=None) -> Task:
    """一县区一清单: a sheet to one county (its government leads it), with its items."""
    now = now or timezone.now()
    with transaction.atomic():
        items = data.get("items") or []
        if not items:
            raise Invalid("交办单至少要有一项", code="items_required", field="items")
        sheet = task_create(actor, {**data, "kind": Kind.SHEET}, now)
        for item in items:
            task_create(actor, {**item, "parent": sheet.pk, "kind": Kind.ITEM}, now)
    return sheet


# ---- outcomes ----------------------------------------------------------------------------------------------------


def outcome_propose(actor: Actor, task_id: int, *, title: str, summary: str, now=None) -> Outcome:
    now = now or timezone.now()
    with transaction.atomic():
        task = selectors.task_get(actor, task_id, for_update=True)
        if not (selectors.is_reporter(actor, task) or selectors.is_office(actor, task)):
            raise Forbidden("只有牵头单位或改革办可以申报成果", code="not_allowed")
        return Outcome.objects.create(
            task=task,
            title=text(title, "title", "成果名称", 200),
            summary=text(summary, "summary", "成果简介", 4000),
            proposed_on=timezone.localtime(now).date(),
            proposed_by=actor.user,
        )


def _office_outcome(actor: Actor, outcome_id) -> Outcome:
    outcome = selectors.outcome_get(actor, outcome_id)
    outcome = Outcome.objects.select_for_update().select_related("task__owner").get(pk=outcome.pk)
    if not selectors.is_office(actor, outcome.task):
        raise Forbidden("只有改革办可以认定、遴选和报送成果", code="not_allowed")
    return outcome


def outcome_review(actor: Actor, outcome_id: int, *, decision: str, note: str, now=None) -> Outcome:
    """认定: recognised as a 制度性创新成果, or not selected — with the office's note."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = _office_outcome(actor, outcome_id)
        if decision not in ("innovation", "rejected"):
            raise Invalid(
                "结论须为 innovation（认定）或 rejected（不予认定）", code="invalid_decision", field="decision"
            )
        if outcome.stage != OutcomeStage.PROPOSED:
            raise Conflict(f"该成果已{outcome.get_stage_display()}", code="invalid_state")
        outcome.review_note = text(note, "note", "认定意见", 500)
        outcome.stage, outcome.reviewed_on = decision, timezone.localtime(now).date()
        outcome.save()
    return outcome


def outcome_select(actor: Actor, outcome_id: int, now=None) -> Outcome:
    """遴选为典型经验."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = _office_outcome(actor, outcome_id)
        if outcome.stage != OutcomeStage.INNOVATION:
            raise Conflict("只有已认定的制度性创新成果可以遴选为典型经验", code="invalid_state")
        outcome.stage, outcome.selected_on = OutcomeStage.TYPICAL, timezone.localtime(now).date()
        outcome.save()
    return outcome


def outcome_push(actor: Actor, outcome_id: int, *, level: str, pushed_on, document=None, now=None) -> Outcome:
    """报送: a 典型经验 recorded as pushed to the province or the central reform office, with the date and document."""
    with transaction.atomic():
        outcome = _office_outcome(actor, outcome_id)
        if level not in (PushLevel.PROVINCE, PushLevel.CENTRAL):
            raise Invalid("报送层级须为 province 或 central", code="invalid_level", field="level")
        if outcome.stage != OutcomeStage.TYPICAL:
            raise Conflict("只有典型经验可以报送", code="invalid_state")
        if outcome.pushed_level == PushLevel.CENTRAL or outcome.pushed_level == level:
            raise Conflict("已报送该层级", code="already_pushed")
        day = date(pushed_on, "pushed_on", "报送日期")
        checked = _files([document] if document else [])
        outcome.pushed_level, outcome.pushed_on = level, day
        if checked:
            upload, _, name = checked[0]
            outcome.document.save(name, upload, save=False)
            outcome.document_name = name
        outcome.save()
    return outcome


# ---- a recurring problem → a reform task (item 9) -------------------------------------------------------------------


def topic_to_task(actor: Actor, category: str, *, months: int = 12, now=None) -> Task:
    """One click: a task on a recurring category, its cases of the last `months` months in the office's area linked
    as evidence; lead unit from the dispatch catalogue where it names one."""
    from whistle.cases.models import Case, Category, DispatchRule

    now = now or timezone.now()
    if not selectors.can_manage(actor):
        raise Forbidden("只有改革办可以立项", code="not_allowed")
    found = Category.objects.filter(code=str(category or "").strip()).first()
    if found is None:
        raise NotFound("问题分类不存在", code="category_not_found")
    root = actor.scope_root
    codes = [found.pk, *Category.objects.filter(parent=found).values_list("pk", flat=True)]
    cases = Case.objects.filter(category__in=codes, submitted_at__gte=now - dt.timedelta(days=31 * months))
    if not actor.sees_all:
        cases = cases.filter(county__path__startswith=root.path)
    ids = list(cases.values_list("pk", flat=True)[:500])
    if not ids:
        raise Conflict("该分类近期没有工单，无需立项", code="no_cases")
    rule = DispatchRule.objects.filter(category=found).select_related("unit")
    rule = rule.filter(area=root).first() or rule.filter(area__isnull=True).first()
    lead = rule.unit if rule else root
    today = timezone.localtime(now).date()
    area = Area.objects.filter(code="economy").first() or Area.objects.first()
    with transaction.atomic():
        task = task_create(
            actor,
            {
                "title": f"破解“{found.name}”反复出现的问题",
                "area": area.code if area else None,
                "lead_unit": lead,
                "starts_on": today,
                "due_on": today + dt.timedelta(days=180),
                "target": f"近{months}个月吹哨工单{len(ids)}件反映“{found.name}”问题；从制度上解决，销号后同类工单明显减少",
                "source_category": found,
            },
            now,
        )
        TaskCase.objects.bulk_create([TaskCase(task=task, case_id=pk) for pk in ids])
    return task
