"""改革任务 pages: the reform office's board and list, a unit's own list, a task (report on a phone, accept, send
back, 销号), sheets, outcomes, the monthly 通报, the .xlsx import and export, recurring topics → tasks, and the public
progress page. Thin: services write, selectors read; the forms offered are `selectors.allowed_actions`."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from whistle.core import sheets as xlsx
from whistle.core.errors import Invalid, NotFound, Problem
from whistle.core.months import add_months, last_complete_month
from whistle.core.params import parse_month, parse_page, parse_year
from whistle.org.models import Level, Role, Unit, UnitKind
from whistle.org.scopes import UNIT_ROLES
from whistle.pagekit import act, page

from . import importing, selectors, services
from .models import Light, State, TaskStatus

VIEW_ROLES = selectors.VIEW_ROLES
BOARD_ROLES = selectors.BOARD_ROLES
OFFICE = (Role.REFORM_OFFICE,)
REPORTER_ROLES = (*UNIT_ROLES, Role.REFORM_OFFICE)
IMPORT_MAX_BYTES = 10 * 1024 * 1024
PER_PAGE = 50


def view(*roles):
    """`web.views.page`, and a query string no page can use (a month 2026-13, a year 10000) is a 422 page."""

    def decorate(fn):
        @page(*roles)
        @wraps(fn)
        def wrapped(request, *args, **kwargs):
            try:
                return fn(request, *args, **kwargs)
            except Invalid as problem:
                return render(request, "reforms/problem.html", {"problem": problem}, status=problem.status)

        return wrapped

    return decorate


def _year(request) -> int:
    value = request.GET.get("year")
    return parse_year(value) if value else timezone.localdate().year


def _attachment(data: bytes, filename: str, content_type: str = xlsx.XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _filters(request) -> dict:
    f = {k: (request.GET.get(k) or "").strip() for k in selectors.FILTERS}
    f["year"] = parse_year(f["year"]) if f["year"] else timezone.localdate().year
    f["overdue"] = f["overdue"] == "1"
    f["waiting"] = f["waiting"] == "1"
    return f


# ---- the board, the list, a unit's own list -------------------------------------------------------------------------


@view(*BOARD_ROLES)
def board(request):
    actor = request.actor
    year = _year(request)
    return render(
        request,
        "reforms/board.html",
        {
            "b": selectors.board(actor, year),
            "sheets": selectors.sheet_rows(actor, year),
            "can_manage": selectors.can_manage(actor),
            "funnel": selectors.funnel(actor, year),
        },
    )


@view(*VIEW_ROLES)
def task_list(request):
    actor = request.actor
    f = _filters(request)
    paginator = Paginator(selectors.task_list(actor, f), PER_PAGE)
    page_obj = paginator.get_page(parse_page(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reforms/list.html",
        {
            "page_obj": page_obj,
            "f": f,
            "areas": selectors.areas(),
            "lights": [c for c in Light.choices if c[0] != Light.NONE],
            "states": State.choices,
            "query": query.urlencode(),
        },
    )


@view(*VIEW_ROLES)
def export(request):
    actor = request.actor
    data = importing.export_plan(selectors.task_list(actor, _filters(request)))
    return _attachment(data, "改革任务台账.xlsx")


@view(*REPORTER_ROLES)
def mine(request):
    actor = request.actor
    today = timezone.localdate()
    rows = list(selectors.my_tasks(actor, today)[:300])
    return render(
        request,
        "reforms/mine.html",
        {"rows": rows, "assisting": list(selectors.assisting_tasks(actor)[:100]), "today": today},
    )


# ---- one task --------------------------------------------------------------------------------------------------------


def _detail(request, task, *, error=None, form=None, status=200):
    actor = request.actor
    allowed = selectors.allowed_actions(actor, task)
    context = {
        "t": task,
        "allowed": allowed,
        "milestones": list(task.milestones.all()),
        "children": list(selectors.children(actor, task)),
        "timeline": selectors.timeline(task),
        "assisting": list(task.assisting_units.all()),
        "statuses": TaskStatus.objects.all(),
        "outcomes": list(task.outcomes.all()),
        "can_propose": selectors.is_reporter(actor, task) or selectors.is_office(actor, task),
        "can_review": selectors.can_review(actor, task),
        "can_split": selectors.is_office(actor, task) and task.state == State.OPEN,
        "trend": selectors.case_trend(task),
        "cases": list(selectors.linked_cases(actor, task)) if task.source_category_id else [],
        "error": error,
        "form": form or {},
        "today": timezone.localdate(),
        "has_children": task.children.exists(),
    }
    return render(request, "reforms/task.html", context, status=status)


@view(*VIEW_ROLES)
def task_detail(request, task_id):
    return _detail(request, selectors.task_get(request.actor, task_id))


def _step(request, task_id, run, done: str, form_name: str):
    actor = request.actor
    task = selectors.task_get(actor, task_id)  # 404 first, for anyone outside the task's scope

    def refused(problem):
        if isinstance(problem, NotFound):
            raise problem
        again = selectors.task_get(actor, task_id)
        form = {"name": form_name, **request.POST.dict()}
        return _detail(request, again, error=problem, form=form, status=problem.status)

    return act(
        request, lambda: run(actor, task.pk), done=done, to=reverse("reforms:task", args=[task.pk]), refused=refused
    )


@view(*VIEW_ROLES)
@require_POST
def task_report(request, task_id):
    p = request.POST
    return _step(
        request,
        task_id,
        lambda actor, pk: services.report_add(
            actor,
            pk,
            text_value=p.get("text", ""),
            progress=p.get("progress", ""),
            status=p.get("status") or None,
            milestones_done=p.getlist("milestones_done"),
            files=request.FILES.getlist("files"),
        ),
        "已报送进展",
        "report",
    )


@view(*VIEW_ROLES)
@require_POST
def task_submit(request, task_id):
    return _step(
        request,
        task_id,
        lambda actor, pk: services.task_submit(
            actor, pk, text_value=request.POST.get("text", ""), files=request.FILES.getlist("files")
        ),
        "已申请验收",
        "submit",
    )


@view(*VIEW_ROLES)
@require_POST
def task_accept(request, task_id):
    return _step(
        request,
        task_id,
        lambda actor, pk: services.task_accept(actor, pk, text_value=request.POST.get("text", "")),
        "已验收通过",
        "accept",
    )


@view(*VIEW_ROLES)
@require_POST
def task_send_back(request, task_id):
    return _step(
        request,
        task_id,
        lambda actor, pk: services.task_send_back(actor, pk, reason=request.POST.get("reason", "")),
        "已退回整改",
        "send_back",
    )


@view(*VIEW_ROLES)
@require_POST
def task_close(request, task_id):
    return _step(
        request,
        task_id,
        lambda actor, pk: services.task_close(actor, pk, text_value=request.POST.get("text", "")),
        "已销号",
        "close",
    )


@view(*VIEW_ROLES)
@require_POST
def outcome_propose(request, task_id):
    return _step(
        request,
        task_id,
        lambda actor, pk: services.outcome_propose(
            actor, pk, title=request.POST.get("title", ""), summary=request.POST.get("summary", "")
        ),
        "已申报改革成果",
        "outcome",
    )


@view(*VIEW_ROLES)
def file_download(request, file_id):
    f = selectors.file_get(request.actor, file_id)
    return FileResponse(f.file.open("rb"), as_attachment=True, filename=f.name, content_type=f.content_type)


# ---- creating: a task, an import, a sheet ----------------------------------------------------------------------------


def _unit_choices(actor):
    root = actor.scope_root
    units = Unit.objects.filter(is_active=True).exclude(kind__in=[UnitKind.COORDINATION_OFFICE, UnitKind.REFORM_OFFICE])
    if root is not None and not actor.sees_all:
        units = units.filter(path__startswith=root.path)
    return units.order_by("path")


@view(*OFFICE)
def task_new(request):
    actor = request.actor
    parent = None
    if request.GET.get("parent") or request.POST.get("parent"):
        try:
            parent = selectors.task_get(actor, int(request.GET.get("parent") or request.POST.get("parent")))
        except ValueError:
            raise NotFound("任务不存在") from None
    context = {"areas": selectors.areas(), "units": _unit_choices(actor), "parent": parent, "form": {}, "error": None}
    if request.method == "POST":
        p = request.POST
        milestones = [
            {"name": n, "due_on": d}
            for n, d in zip(p.getlist("milestone_name"), p.getlist("milestone_due"))
            if n.strip() or d.strip()
        ]
        data = {
            "parent": parent.pk if parent else None,
            **{
                k: p.get(k, "")
                for k in (
                    "title",
                    "area",
                    "lead_unit",
                    "starts_on",
                    "due_on",
                    "target",
                    "leader_name",
                    "person_name",
                    "weight",
                    "report_every_months",
                )
            },
            "assisting": p.getlist("assisting"),
            "is_public": p.get("is_public") == "1",
            "milestones": milestones,
        }
        try:
            task = services.task_create(actor, data)
        except Problem as problem:
            context.update(form=p, error=problem)
            return render(request, "reforms/new.html", context, status=problem.status)
        messages.success(request, f"已立项：{task.code}")
        return redirect("reforms:task", task_id=task.pk)
    return render(request, "reforms/new.html", context)


@view(*OFFICE)
def import_view(request):
    context = {"result": None, "error": None}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise Invalid("请选择 .xlsx 文件", code="file_required", field="file")
            if upload.size > IMPORT_MAX_BYTES:
                raise Invalid("文件不能超过10MB", code="file_too_large", field="file")
            result = importing.import_plan(request.actor, upload.read())
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            context["result"] = result
            request.session["reforms_import_rejects"] = result.rejects
    return render(request, "reforms/import.html", context, status=status)


@view(*OFFICE)
def import_rejects(request):
    return _attachment(importing.rejects_workbook(request.session.get("reforms_import_rejects", [])), "退回清单.xlsx")


@view(*OFFICE)
def import_template(request):
    return _attachment(importing.template_workbook(), "改革任务导入模板.xlsx")


def _counties(actor):
    counties = Unit.objects.filter(level=Level.COUNTY, kind__in=[UnitKind.GOVERNMENT, UnitKind.ZONE], is_active=True)
    if not actor.sees_all and actor.scope_root is not None:
        counties = counties.filter(path__startswith=actor.scope_root.path)
    return counties.order_by("path")


def parse_items(text: str) -> list[dict]:
    """One item per line: 任务｜目标｜完成时限｜责任领导｜责任人 (a full-width or ASCII bar)."""
    items = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        parts += [""] * (5 - len(parts))
        if not parts[2]:
            raise Invalid(
                f"第{n}行缺少完成时限（格式：任务｜目标｜完成时限｜责任领导｜责任人）",
                code="invalid_items",
                field="items",
            )
        items.append(
            {
                "title": parts[0],
                "target": parts[1],
                "due_on": parts[2],
                "leader_name": parts[3],
                "person_name": parts[4],
            }
        )
    return items


@view(*VIEW_ROLES)
def sheets(request):
    actor = request.actor
    year = _year(request)
    return render(
        request,
        "reforms/sheets.html",
        {"rows": selectors.sheet_rows(actor, year), "year": year, "can_manage": selectors.can_manage(actor)},
    )


@view(*OFFICE)
def sheet_new(request):
    actor = request.actor
    context = {"counties": _counties(actor), "form": {}, "error": None, "today": timezone.localdate()}
    if request.method == "POST":
        p = request.POST
        try:
            county = _counties(actor).filter(code=p.get("county", "")).first()
            if county is None:
                raise Invalid("请选择县区", code="invalid_county", field="county")
            items = parse_items(p.get("items", ""))
            for item in items:
                item["lead_unit"] = county
                item["starts_on"] = p.get("starts_on")
            sheet = services.sheet_issue(
                actor,
                {
                    "title": p.get("title", ""),
                    "issuer_title": p.get("issuer_title", ""),
                    "lead_unit": county,
                    "starts_on": p.get("starts_on"),
                    "due_on": p.get("due_on"),
                    "leader_name": p.get("leader_name", ""),
                    "items": items,
                },
            )
        except Problem as problem:
            context.update(form=p, error=problem)
            return render(request, "reforms/sheet_new.html", context, status=problem.status)
        messages.success(request, f"已下达交办单：{sheet.code}")
        return redirect("reforms:task", task_id=sheet.pk)
    return render(request, "reforms/sheet_new.html", context)


@view(*VIEW_ROLES)
@require_POST
def sheet_review(request, sheet_id):
    return _step(
        request,
        sheet_id,
        lambda actor, pk: services.sheet_review(
            actor, pk, score=request.POST.get("score", ""), note=request.POST.get("note", "")
        ),
        "已记录年终考评",
        "review",
    )


# ---- outcomes ------------------------------------------------------------------------------------------------------


@view(*VIEW_ROLES)
def outcomes(request):
    actor = request.actor
    year = _year(request)
    rows = list(selectors.outcomes(actor, year))
    for o in rows:
        o.office = selectors.is_office(actor, o.task)
    return render(
        request, "reforms/outcomes.html", {"rows": rows, "funnel": selectors.funnel(actor, year), "year": year}
    )


def _outcome_step(request, outcome_id, run, done):
    actor = request.actor
    selectors.outcome_get(actor, outcome_id)  # 404 first
    try:
        run(actor, outcome_id)
    except NotFound:
        raise
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(request, done)
    return redirect("reforms:outcomes")


@view(*VIEW_ROLES)
@require_POST
def outcome_review(request, outcome_id):
    p = request.POST
    return _outcome_step(
        request,
        outcome_id,
        lambda a, pk: services.outcome_review(a, pk, decision=p.get("decision", ""), note=p.get("note", "")),
        "已记录认定结论",
    )


@view(*VIEW_ROLES)
@require_POST
def outcome_select(request, outcome_id):
    return _outcome_step(request, outcome_id, services.outcome_select, "已遴选为典型经验")


@view(*VIEW_ROLES)
@require_POST
def outcome_push(request, outcome_id):
    p = request.POST
    return _outcome_step(
        request,
        outcome_id,
        lambda a, pk: services.outcome_push(
            a, pk, level=p.get("level", ""), pushed_on=p.get("pushed_on", ""), document=request.FILES.get("document")
        ),
        "已记录报送",
    )


# ---- the monthly 通报 ---------------------------------------------------------------------------------------------


def _month(request) -> dt.date:
    value = request.GET.get("month")
    return parse_month(value) if value else last_complete_month(timezone.now())


@view(*BOARD_ROLES)
def bulletin(request):
    actor = request.actor
    month = _month(request)
    data = selectors.bulletin(actor, month)
    return render(
        request,
        "reforms/bulletin.html",
        {**data, "issuer": actor.scope_root, "prev": add_months(month, -1), "next": add_months(month, 1)},
    )


@view(*BOARD_ROLES)
def bulletin_export(request):
    actor = request.actor
    month = _month(request)
    data = selectors.bulletin(actor, month)
    b = data["board"]
    book = xlsx.Book()
    book.table(
        "分领域",
        ["改革领域", "任务数", "红灯", "黄灯", "已销号", "平均进度（%）"],
        [
            [r["area__name"] or "交办事项", r["total"], r["red"], r["yellow"], r["closed"], r["progress"]]
            for r in b["by_area"]
        ],
    )
    book.table(
        "红黄灯任务",
        ["编号", "任务名称", "牵头单位", "预警灯", "最近节点", "进度（%）"],
        [[t.code, t.title, t.lead_unit.name, t.get_light_display(), t.next_due_on, t.progress] for t in data["late"]],
    )
    book.table(
        "提醒与督办函",
        ["发往单位", "编号", "任务名称", "类型", "事由", "发出时间"],
        [
            [n.unit.name, n.task.code, n.task.title, n.get_kind_display(), n.reason, n.issued_at]
            for n in data["letters"]
        ],
    )
    book.table(
        "本月销号",
        ["编号", "任务名称", "牵头单位", "销号时间"],
        [[t.code, t.title, t.lead_unit.name, t.closed_at] for t in data["closed"]],
    )
    return _attachment(book.close(), f"改革任务通报{month:%Y年%m月}.xlsx")


# ---- a recurring problem → a task (item 9) ---------------------------------------------------------------------------


@view(*OFFICE)
def topics(request):
    """Categories with cases in many of the last months, in the office's area; one click makes a task of one."""
    actor = request.actor
    if request.method == "POST":
        try:
            task = services.topic_to_task(actor, request.POST.get("category", ""))
        except Problem as problem:
            messages.error(request, problem.detail)
            return redirect("reforms:topics")
        messages.success(request, f"已立项：{task.code}，关联工单{task.case_links.count()}件")
        return redirect("reforms:task", task_id=task.pk)
    from django.db.models.functions import TruncMonth

    from whistle.cases.models import Case

    since = timezone.now() - dt.timedelta(days=183)
    cases = Case.objects.filter(submitted_at__gte=since)
    if not actor.sees_all:
        cases = cases.filter(county__path__startswith=actor.scope_root.path)
    months = (
        cases.annotate(m=TruncMonth("submitted_at")).values("category__code", "m").annotate(n=Count("pk")).order_by()
    )
    by_category: dict[str, dict] = {}
    for row in months:
        entry = by_category.setdefault(row["category__code"], {"months": 0, "cases": 0})
        entry["months"] += 1
        entry["cases"] += row["n"]
    from whistle.cases.models import Category

    names = dict(Category.objects.filter(code__in=list(by_category)).values_list("code", "name"))
    made = set(
        selectors.tasks(actor).filter(source_category__isnull=False).values_list("source_category__code", flat=True)
    )
    rows = sorted(
        (
            {"code": code, "name": names.get(code, code), **v, "made": code in made}
            for code, v in by_category.items()
            if code and v["months"] >= 3
        ),
        key=lambda r: (-r["cases"], r["code"]),
    )[:30]
    return render(request, "reforms/topics.html", {"rows": rows})


# ---- the public page ---------------------------------------------------------------------------------------------


@require_GET
def public_task(request, task_id):
    try:
        task = selectors.public_task(task_id)
    except NotFound:
        from django.http import Http404

        raise Http404("该任务未公开") from None
    return render(request, "reforms/public.html", {"t": task, "events": selectors.public_reports(task)})
