"""不罚/轻罚 pages: the inspector's inspections on a phone (record, suggested items, decide, re-check), the level
above's approvals, the enterprise's findings and orders, the lists (versions, items, import, diff, legality review),
the monthly figures with .xlsx export and the printable report, and the list evaluation. Thin: services write,
selectors read."""

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
from whistle.core import sheets
from whistle.core.errors import Invalid, Problem
from whistle.core.months import add_months, last_complete_month
from whistle.core.params import parse_month, parse_year
from whistle.org.models import Role
from whistle.pagekit import act, page

from . import exports, importing, jobs, selectors, services
from .models import Condition, InspectionKind, ListLevel, Treatment

IMPORT_MAX_BYTES = 10 * 1024 * 1024
XLSX = sheets.XLSX
FIGURE_ROLES = tuple(selectors.FIGURE_ROLES)
ANY = ()


def _month(request, default_current: bool = False):
    value = request.GET.get("month")
    if not value:
        today = timezone.localdate()
        return today.replace(day=1) if default_current else last_complete_month(timezone.now())
    return parse_month(value)


def _answers(post) -> dict:
    return {c.code: post.get(f"answer_{c.code}") == "1" for c in Condition.objects.all() if f"answer_{c.code}" in post}


# ---- home, inspections, findings -----------------------------------------------------------------------------------


@page(*ANY)
def home(request):
    """An inspector's drafts, re-checks and inspections; an administrator's approvals; an enterprise's findings and
    orders; anyone else the figures."""
    actor = request.actor
    if actor.role not in (Role.INSPECTOR, Role.UNIT_ADMIN, Role.ENTERPRISE):
        return redirect("leniency:figures")
    return render(
        request,
        "leniency/home.html",
        {
            **selectors.inbox(actor),
            "inspections": selectors.inspection_list(actor)[:30],
            "can_record": selectors.can_record(actor),
            "is_enterprise": actor.role == Role.ENTERPRISE,
            "today": timezone.localdate(),
        },
    )


@page(Role.INSPECTOR)
def inspection_new(request):
    actor = request.actor
    form = request.POST if request.method == "POST" else {"inspected_on": timezone.localdate().isoformat()}
    context = {
        "form": form,
        "error": None,
        "kinds": InspectionKind.choices,
        "enterprises": selectors.enterprises_for(actor)[:500],
    }
    status = 200
    if request.method == "POST":
        try:
            inspection = services.inspection_record(
                actor,
                enterprise=form.get("enterprise", ""),
                inspected_on=form.get("inspected_on", ""),
                subject=form.get("subject", ""),
                kind=form.get("kind") or InspectionKind.ROUTINE,
                findings=[line for line in form.get("findings", "").splitlines() if line.strip()],
            )
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            first = inspection.findings.order_by("pk").first()
            messages.success(request, "已登记检查" + ("，请对发现的问题作出处理决定" if first else ""))
            return (
                redirect("leniency:finding", pk=first.pk)
                if first
                else redirect("leniency:inspection", pk=inspection.pk)
            )
    return render(request, "leniency/inspection_new.html", context, status=status)


def _inspection_context(request, inspection, **extra):
    actor = request.actor
    context = {
        "inspection": inspection,
        "findings": inspection.findings.select_related("item", "order").order_by("pk"),
        "cases": inspection.cases.select_related("case"),
        "can_add": selectors.can_record(actor) and actor.covers(inspection.department),
        "is_enterprise": selectors.is_own_enterprise(actor, inspection),
        "categories": category_choices(city_id=inspection.enterprise.county.city_id),
        "kinds": [(k, label) for k, label in Kind.choices if k in (Kind.COMPLAINT, Kind.SUGGESTION, Kind.HELP)],
        "form": {},
        "error": None,
        "others": selectors.inspection_list(actor, enterprise=inspection.enterprise_id)
        .exclude(pk=inspection.pk)
        .filter(inspected_on__gte=add_months(inspection.inspected_on.replace(day=1), -2))[:10],
    }
    context.update(extra)
    return context


@page(*ANY)
def inspection_detail(request, pk):
    inspection = selectors.inspection_get(request.actor, pk)
    return render(request, "leniency/inspection.html", _inspection_context(request, inspection))


@page(Role.INSPECTOR)
@require_POST
def finding_new(request, pk):
    inspection = selectors.inspection_get(request.actor, pk)
    try:
        finding = services.finding_add(request.actor, inspection.pk, request.POST.get("description", ""))
    except Problem as problem:
        context = _inspection_context(request, inspection, error=problem, form=request.POST)
        return render(request, "leniency/inspection.html", context, status=problem.status)
    return redirect("leniency:finding", pk=finding.pk)


@page(Role.ENTERPRISE)
@require_POST
def inspection_case(request, pk):
    inspection = selectors.inspection_get(request.actor, pk)
    try:
        case = services.inspection_raise_case(
            request.actor,
            inspection.pk,
            category=request.POST.get("category", ""),
            kind=request.POST.get("kind") or Kind.COMPLAINT,
            description=request.POST.get("description", ""),
        )
    except Problem as problem:
        context = _inspection_context(request, inspection, error=problem, form=request.POST)
        return render(request, "leniency/inspection.html", context, status=problem.status)
    messages.success(request, f"已提交诉求 {case.number}")
    return redirect("web:case", number=case.number)


def _finding_context(request, finding, **extra):
    actor = request.actor
    answers = extra.pop("answers", None)
    can_decide = selectors.can_decide(actor, finding)
    context = {
        "f": finding,
        "order": selectors.order_of(finding),
        "notes": finding.notes.order_by("created_at", "pk"),
        "can_decide": can_decide,
        "can_approve": selectors.can_approve(actor, finding),
        "can_recheck": selectors.can_recheck(actor, finding),
        "can_report": selectors.can_report(actor, finding),
        "can_reply": selectors.is_own_enterprise(actor, finding),
        "suggestions": selectors.suggestions_for(finding, answers) if can_decide else [],
        "treatments": Treatment,
        "today": timezone.localdate(),
        "form": {},
        "error": None,
    }
    context.update(extra)
    return context


@page(*ANY)
def finding_detail(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    return render(request, "leniency/finding.html", _finding_context(request, finding))


def _refused(request, finding, problem: Problem, which: str):
    finding = selectors.finding_get(request.actor, finding.pk)
    context = _finding_context(
        request, finding, error=problem, error_form=which, form=request.POST, answers=_answers(request.POST)
    )
    return render(request, "leniency/finding.html", context, status=problem.status)


def _act_on(request, finding, run, done, which: str):
    """A step on a finding from its page: done, the page again with the message; refused, with the error."""
    return act(
        request,
        run,
        done=done,
        to=reverse("leniency:finding", args=[finding.pk]),
        refused=lambda problem: _refused(request, finding, problem, which),
    )


@page(Role.INSPECTOR)
@require_POST
def finding_decide(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    form = request.POST
    return _act_on(
        request,
        finding,
        lambda: services.finding_decide(
            request.actor,
            finding.pk,
            decision=form.get("decision", ""),
            item=form.get("item") or None,
            answers=_answers(form),
            reason=form.get("reason", ""),
            fine_standard=form.get("fine_standard", ""),
            fine_imposed=form.get("fine_imposed", ""),
            days=form.get("days", ""),
            content=form.get("content", ""),
        ),
        lambda decided: (
            "已报上级审批" if decided.approval == "pending" else f"已作出处理决定：{decided.get_decision_display()}"
        ),
        "decide",
    )


@page(Role.UNIT_ADMIN)
@require_POST
def finding_approve(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    return _act_on(
        request,
        finding,
        lambda: services.finding_approve(
            request.actor, finding.pk, decision=request.POST.get("decision", ""), note=request.POST.get("note", "")
        ),
        "已审批",
        "approve",
    )


@page(Role.INSPECTOR)
@require_POST
def finding_recheck(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    return _act_on(
        request,
        finding,
        lambda: services.finding_recheck(
            request.actor,
            finding.pk,
            corrected=request.POST.get("corrected", ""),
            rechecked_on=request.POST.get("rechecked_on") or None,
            note=request.POST.get("note", ""),
        ),
        lambda rechecked: f"已复查：{rechecked.get_state_display()}",
        "recheck",
    )


@page(Role.ENTERPRISE)
@require_POST
def finding_report(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    return _act_on(
        request,
        finding,
        lambda: services.order_report(request.actor, finding.pk, report=request.POST.get("report", "")),
        "已报告改正情况，等待执法人员复查",
        "report",
    )


@page(Role.ENTERPRISE)
@require_POST
def finding_reply(request, pk):
    finding = selectors.finding_get(request.actor, pk)
    return _act_on(
        request,
        finding,
        lambda: services.finding_reply(request.actor, finding.pk, text=request.POST.get("text", "")),
        "已回复",
        "reply",
    )


# ---- lists ------------------------------------------------------------------------------------------------------


@page(*ANY)
def versions(request):
    actor = request.actor
    context = {
        "versions": selectors.version_list(),
        "can_manage": actor.role in selectors.LIST_MANAGERS,
        "levels": ListLevel.choices,
        "form": request.POST if request.method == "POST" else {},
        "error": None,
    }
    status = 200
    if request.method == "POST":
        try:
            version = services.version_create(actor, request.POST)
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            messages.success(request, "已新建清单版本，请导入事项并登记合法性审查")
            return redirect("leniency:version", pk=version.pk)
    return render(request, "leniency/versions.html", context, status=status)


def _version_context(request, version, **extra):
    actor = request.actor
    items = version.items.select_related("field").prefetch_related("conditions").order_by("field__order", "pk")
    context = {
        "version": version,
        "fields": version.fields.all(),
        "items": items,
        "reviews": version.reviews.select_related("recorded_by"),
        "can_manage": actor.role in selectors.LIST_MANAGERS,
        "editable": not version.reviews.exists(),
        "others": selectors.version_list().exclude(pk=version.pk),
        "today": timezone.localdate(),
        "form": {},
        "error": None,
        "result": None,
    }
    context.update(extra)
    return context


@page(*ANY)
def version_detail(request, pk):
    version = selectors.version_get(pk)
    return render(request, "leniency/version.html", _version_context(request, version))


@page(Role.SYSADMIN)
@require_POST
def version_review(request, pk):
    version = selectors.version_get(pk)
    try:
        services.review_record(request.actor, version.pk, request.POST)
    except Problem as problem:
        context = _version_context(request, version, error=problem, error_form="review", form=request.POST)
        return render(request, "leniency/version.html", context, status=problem.status)
    messages.success(request, "已登记合法性审查")
    return redirect("leniency:version", pk=version.pk)


@page(Role.SYSADMIN)
@require_POST
def version_import(request, pk):
    version = selectors.version_get(pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid("请选择 .xlsx 文件", code="file_required", field="file")
        if upload.size > IMPORT_MAX_BYTES:
            raise Invalid("文件不能超过10MB", code="file_too_large", field="file")
        result = importing.import_workbook(request.actor, version.pk, upload.read())
    except Problem as problem:
        context = _version_context(request, version, error=problem, error_form="import")
        return render(request, "leniency/version.html", context, status=problem.status)
    request.session["leniency_import_rejects"] = result.rejects
    context = _version_context(request, selectors.version_get(version.pk), result=result)
    return render(request, "leniency/version.html", context)


@page(Role.SYSADMIN)
def import_rejects(request):
    response = HttpResponse(
        importing.rejects_workbook(request.session.get("leniency_import_rejects", [])), content_type=XLSX
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E9%80%80%E5%9B%9E%E6%B8%85%E5%8D%95.xlsx"
    return response


@page(*ANY)
def import_template(request):
    response = HttpResponse(importing.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''leniency-template.xlsx"
    return response


@page(*ANY)
def version_diff(request, pk):
    version = selectors.version_get(pk)
    other = request.GET.get("against") or (version.replaces_id and str(version.replaces_id)) or ""
    if not other:
        messages.error(request, "请选择要比较的版本")
        return redirect("leniency:version", pk=version.pk)
    against = selectors.version_get(other)
    return render(request, "leniency/diff.html", selectors.version_diff(against, version))


@page(*ANY)
def item_detail(request, pk):
    item = selectors.item_get(pk)
    return render(request, "leniency/item.html", {"item": item, "conditions": item.conditions.all()})


# ---- figures ----------------------------------------------------------------------------------------------------


def _figures_context(request, default_current=True):
    actor = request.actor
    month = _month(request, default_current)
    figures = selectors.monthly_figures(actor, month)
    root = actor.scope_root
    return {
        **figures,
        "repeated": selectors.repeated_inspections(actor, month),
        "deviations": selectors.deviation_reasons(actor, month),
        "prev_month": add_months(month, -1),
        "next_month": add_months(month, 1) if add_months(month, 1) <= timezone.localdate() else None,
        "scope_name": root.name if root else "全市",
        "today": timezone.localdate(),
    }


def _problem(request, problem: Problem):
    return render(request, "leniency/problem.html", {"problem": problem}, status=problem.status)


@page(*FIGURE_ROLES)
def figures(request):
    try:
        context = _figures_context(request)
    except Invalid as problem:
        return _problem(request, problem)
    return render(request, "leniency/figures.html", context)


@page(*FIGURE_ROLES)
def figures_export(request):
    try:
        context = _figures_context(request)
    except Invalid as problem:
        return _problem(request, problem)
    data = exports.figures_workbook(context)
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=f"不罚轻罚-{context['month']:%Y-%m}.xlsx", content_type=XLSX
    )


@page(*FIGURE_ROLES)
def report(request):
    """The printable monthly report (月报), in the city's wording."""
    try:
        context = _figures_context(request, default_current=False)
    except Invalid as problem:
        return _problem(request, problem)
    return render(request, "leniency/report.html", context)


@page(Role.SYSADMIN, Role.AUDITOR, Role.COORDINATOR, Role.LEADER)
def evaluation(request):
    """动态评估: items matched often and deviated from often, items never applied in the year."""
    try:
        year = parse_year(request.GET["year"]) if request.GET.get("year") else timezone.localdate().year
    except Invalid as problem:
        return _problem(request, problem)
    rows = jobs.evaluate_items(year)
    return render(
        request,
        "leniency/evaluation.html",
        {
            "year": year,
            "often": [r for r in rows if r["kind"] == "often_deviated"],
            "unused": [r for r in rows if r["kind"] == "unused"],
            "flags": selectors.item_flags(year),
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        },
    )
