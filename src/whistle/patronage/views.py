"""领导包保 pages: the portfolio, one assignment (visits, problems → cases), coverage (遍访率) with .xlsx export,
assignment management and the .xlsx import. Thin: services write, selectors read."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from whistle.cases.models import Kind
from whistle.cases.selectors import category_choices
from whistle.core import sheets, tables
from whistle.core.errors import Invalid, Problem
from whistle.enterprises.models import Enterprise
from whistle.org.models import Membership, Role
from whistle.pagekit import page

from . import exports, selectors, services, workbook_import
from .models import Project

VIEW_ROLES = selectors.VIEW_ROLES
MANAGE_ROLES = (Role.COORDINATOR, Role.SYSADMIN)
XLSX = sheets.XLSX
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@page(*VIEW_ROLES)
def home(request):
    """A leader's portfolio (their own assignments); with ?all=1, or for coordinators, every assignment in scope."""
    actor = request.actor
    show_all = actor.role != Role.LEADER or request.GET.get("all") == "1"
    rows = (
        selectors.patronage_list(actor, county=request.GET.get("county") or None)
        if show_all
        else selectors.portfolio(actor)
    )
    year = timezone.localdate().year
    return render(
        request,
        "patronage/home.html",
        {
            "rows": rows,
            "show_all": show_all,
            "summary": selectors.coverage_summary(actor, year),
            "can_manage": actor.role in MANAGE_ROLES,
            "is_leader": actor.role == Role.LEADER,
        },
    )


def _detail_context(request, patronage, **extra):
    actor = request.actor
    visits = list(selectors.visit_list(actor, patronage))
    context = {
        "p": patronage,
        "target": patronage.target,
        "history": selectors.patronage_history(actor, patronage),
        "task_force": patronage.task_force.select_related("unit"),
        "visits": visits,
        "can_visit": patronage.is_active and selectors.can_visit(actor, patronage),
        "can_manage": patronage.is_active and selectors.can_manage(actor, patronage.county),
        "categories": category_choices(city_id=patronage.county.city_id),
        "kinds": Kind.choices,
        "today": timezone.localdate(),
        "leaders": _leaders(),
        "form": {},
        "error": None,
    }
    if patronage.project_id:
        context["milestones"] = patronage.project.milestones.all()
        context["behind"] = selectors.behind_plan(patronage.project)
    context.update(extra)
    return context


def _leaders():
    return (
        Membership.objects.filter(role=Role.LEADER)
        .select_related("user", "unit")
        .order_by("unit__path", "display_name")
    )


@page(*VIEW_ROLES)
def detail(request, pk):
    patronage = selectors.patronage_get(request.actor, pk)
    return render(request, "patronage/detail.html", _detail_context(request, patronage))


def _refused(request, patronage, problem: Problem, which: str, problem_pk: int | None = None):
    context = _detail_context(
        request, patronage, error=problem, error_form=which, error_problem=problem_pk, form=request.POST
    )
    return render(request, "patronage/detail.html", context, status=problem.status)


@page(*VIEW_ROLES)
@require_POST
def visit_new(request, pk):
    patronage = selectors.patronage_get(request.actor, pk)
    form = request.POST
    problems = [line for line in form.get("problems", "").splitlines() if line.strip()]
    try:
        visit = services.visit_log(
            request.actor,
            patronage.pk,
            visited_on=form.get("visited_on", ""),
            participants=form.get("participants", ""),
            raised=form.get("raised", ""),
            decided=form.get("decided", ""),
            problems=problems,
        )
    except Problem as problem:
        return _refused(request, patronage, problem, "visit")
    messages.success(request, f"已登记走访（{len(problems)}个问题待转办）")
    return redirect(reverse("patronage:detail", args=[patronage.pk]) + f"#visit-{visit.pk}")


@page(*VIEW_ROLES)
@require_POST
def problem_case(request, pk):
    problem = selectors.visit_problem_get(request.actor, pk)
    patronage = problem.visit.patronage
    try:
        case = services.problem_to_case(
            request.actor,
            problem.pk,
            category=request.POST.get("category", ""),
            kind=request.POST.get("kind") or Kind.HELP,
        )
    except Problem as refusal:
        return _refused(request, selectors.patronage_get(request.actor, patronage.pk), refusal, "problem", problem.pk)
    messages.success(request, f"已转为工单 {case.number}")
    return redirect("web:case", number=case.number)


@page(*MANAGE_ROLES)
@require_POST
def change(request, pk):
    patronage = selectors.patronage_get(request.actor, pk)
    form = request.POST
    try:
        successor = services.patronage_change(
            request.actor,
            patronage.pk,
            leader=form.get("leader", ""),
            lead_unit=form.get("lead_unit") or None,
            changed_on=form.get("changed_on", ""),
            reason=form.get("reason", ""),
        )
    except Problem as problem:
        return _refused(request, patronage, problem, "change")
    messages.success(request, "已调整包保领导/牵头部门")
    return redirect("patronage:detail", pk=successor.pk)


@page(*MANAGE_ROLES)
@require_POST
def end(request, pk):
    patronage = selectors.patronage_get(request.actor, pk)
    try:
        services.patronage_end(
            request.actor,
            patronage.pk,
            ended_on=request.POST.get("ended_on", ""),
            reason=request.POST.get("reason", ""),
        )
    except Problem as problem:
        return _refused(request, patronage, problem, "end")
    messages.success(request, "已结束包保关系")
    return redirect("patronage:detail", pk=patronage.pk)


def _task_force_lines(text: str) -> list[dict]:
    """One member a line: 姓名/单位编码/分工/电话."""
    members = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        bits = [b.strip() for b in line.split("/")] + ["", "", ""]
        members.append({"name": bits[0], "unit": bits[1] or None, "duty": bits[2], "phone": bits[3]})
    return members


@page(*MANAGE_ROLES)
def assign(request):
    """Give a key enterprise (by credit code) or a key project (by code) its leader, lead unit and task force."""
    actor = request.actor
    form = (
        request.POST
        if request.method == "POST"
        else {"kind": "enterprise", "started_on": timezone.localdate().isoformat()}
    )
    context = {"form": form, "leaders": _leaders(), "error": None}
    status = 200
    if request.method == "POST":
        key = form.get("target", "").strip()
        try:
            if form.get("kind") == "project":
                target = {"project": selectors.project_list(actor).filter(code=key).first()}
            else:
                target = {"enterprise": Enterprise.objects.filter(uscc=key.upper()).first()}
            if next(iter(target.values())) is None:
                raise Invalid(
                    "包保对象不存在（企业填统一社会信用代码，项目填项目编号）", code="unknown_target", field="target"
                )
            patronage = services.patronage_assign(
                actor,
                leader=form.get("leader", ""),
                lead_unit=form.get("lead_unit", ""),
                started_on=form.get("started_on", ""),
                reason=form.get("reason", ""),
                task_force=_task_force_lines(form.get("task_force", "")),
                **target,
            )
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            messages.success(request, "已确定包保领导")
            return redirect("patronage:detail", pk=patronage.pk)
    return render(request, "patronage/assign.html", context, status=status)


@page(*VIEW_ROLES)
def coverage(request):
    actor = request.actor
    year = _year(request)
    return render(
        request,
        "patronage/coverage.html",
        {
            "year": year,
            "summary": selectors.coverage_summary(actor, year),
            "by_county": selectors.coverage_by_county(actor, year),
            "by_leader": selectors.coverage_by_leader(actor, year),
            "patronages": selectors.patronage_list(actor),
            "behind": selectors.projects_behind_plan(actor),
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        },
    )


@page(*VIEW_ROLES)
def coverage_export(request):
    """The coverage page as .xlsx: 遍访率 by county and by leader, open cases per assignment, projects behind plan."""
    actor = request.actor
    year = _year(request)
    return FileResponse(
        io.BytesIO(exports.coverage_workbook(actor, year)),
        as_attachment=True,
        filename=f"领导包保遍访-{year}.xlsx",
        content_type=XLSX,
    )


@page(*MANAGE_ROLES)
def import_view(request):
    """Upload the workbook; show what went in and the rejected rows; the rejects download as .xlsx."""
    context = {"result": None, "error": None}
    status = 200
    if request.method == "POST":
        try:
            data = tables.uploaded(request.FILES.get("file"), max_bytes=IMPORT_MAX_BYTES)
            result = workbook_import.import_workbook(request.actor, data)
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            context["result"] = result
            request.session["patronage_import_rejects"] = result.rejects
    return render(request, "patronage/import.html", context, status=status)


@page(*MANAGE_ROLES)
def import_rejects(request):
    result = workbook_import.ImportResult(rejects=request.session.get("patronage_import_rejects", []))
    response = HttpResponse(workbook_import.rejects_workbook(result), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E9%80%80%E5%9B%9E%E6%B8%85%E5%8D%95.xlsx"
    return response


@page(*MANAGE_ROLES)
def import_template(request):
    response = HttpResponse(workbook_import.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%8C%85%E4%BF%9D%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


@page(*VIEW_ROLES)
def project_detail(request, pk):
    """A project: its plan, milestones, why it is behind, and its assignment."""
    project = selectors.project_get(request.actor, pk)
    active = project.patronages.filter(ended_on__isnull=True).first()
    if active is not None:
        return redirect("patronage:detail", pk=active.pk)
    return render(request, "patronage/project.html", {"project": project, "behind": selectors.behind_plan(project)})


@page(*VIEW_ROLES)
@require_POST
def project_progress(request, pk):
    actor = request.actor
    project: Project = selectors.project_get(actor, pk)
    done = {m.pk: request.POST.get(f"done_{m.pk}", "") for m in project.milestones.all()}
    try:
        services.project_progress(actor, project.pk, progress=request.POST.get("progress", ""), done=done)
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(request, "已更新项目进度")
    active = project.patronages.filter(ended_on__isnull=True).first()
    return redirect("patronage:detail", pk=active.pk) if active else redirect("patronage:project", pk=project.pk)
