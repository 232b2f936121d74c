"""指标监测 pages: the leader's page (ECharts), a unit's "what I owe" and the entry form, the reviewer's queue, warning
letters with their answers, the monthly 通报 (printable and .xlsx) and the .xlsx import. Thin: services write,
selectors read; every button shown comes from the same checks the services make."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from whistle.core import params, sheets
from whistle.core.errors import Invalid, Problem
from whistle.core.months import last_complete_month
from whistle.org.models import Role
from whistle.pagekit import page

from . import derive, importing, selectors, services
from .models import Origin

VIEW_ROLES = tuple(selectors.VIEW_ROLES)
UNIT_ROLES = (Role.HANDLER, Role.UNIT_ADMIN)
REPORT_ROLES = tuple(selectors.REPORT_ROLES)
LETTER_ROLES = (*VIEW_ROLES, *UNIT_ROLES)
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def _period(request, key: str = "period") -> dt.date | None:
    try:
        return params.parse_month(request.GET.get(key, "")) if request.GET.get(key) else None
    except Invalid:
        return None


@page(*VIEW_ROLES)
def home(request):
    data = selectors.leader_page(request.actor, request.GET.get("indicator"), _period(request))
    charts = {}
    if data.get("period"):
        charts = {
            "trend": data["trend"],
            "figure_label": data["figure_label"],
            "periods": data["periods"],
            "bump": {k: s["bump"] for k, s in data["sets"].items() if s["bump"]},
            "lower": data["indicator"].direction == "lower",
        }
    return render(request, "indicators/home.html", {**data, "charts": charts})


@page(*REPORT_ROLES)
def owe(request):
    return render(request, "indicators/owe.html", selectors.owed(request.actor))


def _enter_context(request, **extra):
    series = selectors.reportable(request.actor)
    return {
        "series": [
            {
                "value": f"{i.code}|{r.code}",
                "label": f"{i.name} · {r.name}",
                "measure": i.measure,
                "frequency": i.get_frequency_display(),
            }
            for i, r in series
        ],
        "form": {},
        "error": None,
        "default_period": last_complete_month(timezone.now()).strftime("%Y-%m"),
        **extra,
    }


@page(*REPORT_ROLES)
def enter(request):
    """The entry form (works on a phone): series, period, value or growth, a source note and an optional file."""
    if request.method != "POST":
        context = _enter_context(request)
        wanted = request.GET.get("series", "")
        if wanted:
            context["form"] = {"series": wanted, "period": request.GET.get("period", "")}
        return render(request, "indicators/enter.html", context)
    form = request.POST
    indicator, _, region = form.get("series", "").partition("|")
    try:
        figure, created = services.figure_submit(
            request.actor,
            indicator=indicator,
            region=region,
            period=form.get("period", ""),
            value=form.get("value"),
            growth=form.get("growth"),
            source_note=form.get("source_note", ""),
            upload=request.FILES.get("file"),
            origin=Origin.FORM,
        )
    except Problem as problem:
        context = _enter_context(request, form=form, error=problem)
        return render(request, "indicators/enter.html", context, status=problem.status)
    if created:
        note = "，已标记“异常波动”，请审核人员核实" if figure.jump_flag else ""
        messages.success(
            request,
            f"已报送 {figure.indicator.name} {figure.region.name} {derive.period_label(figure.indicator, figure.period)}，待审核{note}",
        )
    else:
        messages.info(request, "与已报送的数据一致，未产生新版本")
    return redirect("indicators:owe")


@page(Role.DATA_REVIEWER)
def review(request):
    queue = list(selectors.review_queue(request.actor)[:300])
    batches = sorted({f.batch for f in queue if f.batch})
    return render(
        request,
        "indicators/review.html",
        {
            "rows": [
                {
                    "figure": f,
                    "can_review": selectors.can_review(request.actor, f),
                    "label": derive.period_label(f.indicator, f.period),
                }
                for f in queue
            ],
            "batches": batches,
        },
    )


@page(*REPORT_ROLES, Role.AUDITOR, Role.SYSADMIN)
def figure(request, pk):
    f = selectors.figure_get(request.actor, pk)
    return render(
        request,
        "indicators/figure.html",
        {
            "f": f,
            "label": derive.period_label(f.indicator, f.period),
            "versions": selectors.history(f),
            "can_review": selectors.can_review(request.actor, f),
        },
    )


@page(Role.DATA_REVIEWER)
@require_POST
def figure_review(request, pk):
    try:
        f = services.figure_review(request.actor, pk, request.POST.get("decision", ""), request.POST.get("note", ""))
    except Problem as problem:
        if problem.status == 404:
            raise
        messages.error(request, problem.detail)
        return redirect("indicators:figure", pk=pk)
    messages.success(request, f"{f.indicator.name} {f.region.name}：{f.get_state_display()}")
    return redirect("indicators:review")


@page(Role.DATA_REVIEWER)
@require_POST
def batch_approve(request):
    try:
        n = services.batch_approve(request.actor, request.POST.get("batch", ""), request.POST.get("note", ""))
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(request, f"已通过发布{n}条（异常波动的数据须逐条审核）")
    return redirect("indicators:review")


@page(*LETTER_ROLES)
def warnings(request):
    qs = selectors.warnings_visible(request.actor)
    state = request.GET.get("state", "")
    if state in ("issued", "answered"):
        qs = qs.filter(state=state)
    now = timezone.now()
    return render(
        request,
        "indicators/warnings.html",
        {"rows": [{"w": w, "overdue": w.state == "issued" and w.due_at < now} for w in qs[:300]], "state": state},
    )


@page(*LETTER_ROLES)
def warning(request, pk):
    w = selectors.warning_get(request.actor, pk)
    return render(
        request,
        "indicators/warning.html",
        {
            "w": w,
            "can_answer": selectors.can_answer(request.actor, w),
            "overdue": w.state == "issued" and w.due_at < timezone.now(),
            "form": {},
        },
    )


@page(*LETTER_ROLES)
@require_POST
def warning_answer(request, pk):
    w = selectors.warning_get(request.actor, pk)
    try:
        services.warning_answer(request.actor, w.pk, request.POST.get("answer", ""))
    except Problem as problem:
        if problem.status == 403:
            raise PermissionDenied(problem.detail) from None
        return render(
            request,
            "indicators/warning.html",
            {"w": w, "can_answer": selectors.can_answer(request.actor, w), "error": problem, "form": request.POST},
            status=problem.status,
        )
    messages.success(request, "已答复预警函")
    return redirect("indicators:warning", pk=w.pk)


def _report_month(request) -> dt.date:
    month = _period(request, "month")
    return month if month and month <= timezone.localdate() else last_complete_month(timezone.now())


@page(*VIEW_ROLES)
def report(request):
    data = selectors.monthly_report(request.actor, _report_month(request))
    return render(request, "indicators/report.html", {**data, "today": timezone.localdate()})


@page(*VIEW_ROLES)
def report_xlsx(request):
    data = selectors.monthly_report(request.actor, _report_month(request))
    response = HttpResponse(report_workbook(data), content_type=sheets.XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''indicators-{data['month']:%Y-%m}.xlsx"
    return response


def report_workbook(data: dict) -> bytes:
    """The 通报 as a workbook: one sheet of every table (indicator × peer set), one of the letters issued."""
    book = sheets.Book()
    rows = []
    for section in data["sections"]:
        for item in section["items"]:
            ind = item["indicator"]
            for s in item["sets"].values():
                for t in s["table"]:
                    rows.append(
                        [
                            section["name"],
                            ind.name,
                            f"v{ind.version}",
                            item["label"],
                            s["name"],
                            t["region"].name,
                            t["ytd"] if t["ytd"] is not None else t["value"],
                            ind.measure,
                            t["growth"],
                            t["target"],
                            t["gap"],
                            t["rank"],
                            t["rank_of"],
                            t["rank_change"],
                        ]
                    )
    book.table(
        "指标通报",
        [
            "类别",
            "指标",
            "口径版本",
            "期别",
            "比较范围",
            "地区",
            "数值",
            "单位",
            "累计增速（%）",
            "目标",
            "差距",
            "位次",
            "参评数",
            "位次变化",
        ],
        rows,
        widths={1: 22, 5: 16},
    )
    book.table(
        "预警函",
        ["文号", "责任单位", "事由", "发函时间", "答复期限", "状态", "整改措施"],
        [
            [w.number, w.unit.name, w.summary, w.issued_at, w.due_at, w.get_state_display(), w.answer]
            for w in data["letters"]
        ],
        widths={2: 60, 6: 60},
    )
    return book.close()


@page(*REPORT_ROLES)
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
            result = importing.import_workbook(request.actor, upload.read())
        except Problem as problem:
            context["error"], status = problem, problem.status
        else:
            context["result"] = result
            request.session["indicators_import_rejects"] = result.rejects
    return render(request, "indicators/import.html", context, status=status)


@page(*REPORT_ROLES)
def import_rejects(request):
    result = importing.ImportResult(rejects=request.session.get("indicators_import_rejects", []))
    response = HttpResponse(importing.rejects_workbook(result), content_type=sheets.XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E9%80%80%E5%9B%9E%E6%B8%85%E5%8D%95.xlsx"
    return response


@page(*REPORT_ROLES)
def import_template(request):
    response = HttpResponse(importing.template_workbook(), content_type=sheets.XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''indicators-template.xlsx"
    return response
