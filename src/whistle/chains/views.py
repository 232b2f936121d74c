"""链长制 pages: the leader's view of the chains, a chain's page (its map, KPIs, lists, pipeline by stage, trips and
open cases, and the office's forms), a project's page (move it on, a problem → 吹哨 case, 领导包保), the period's
investment figures, and the map's .xlsx export and import. Thin: services write, selectors read; a form appears
only where the server will accept it (`selectors.can_keep`, `patronage.selectors.can_manage`)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from whistle.cases.models import Category, category_city_q
from whistle.core import sheets as xlsx
from whistle.core import tables
from whistle.core.errors import Invalid, Problem
from whistle.core.params import parse_year
from whistle.org.selectors import counties_for, handling_units
from whistle.pagekit import page
from whistle.patronage.selectors import can_manage as can_assign_patronage

from . import importing, mapcache, selectors, services
from .models import Segment

VIEW_ROLES = selectors.VIEW_ROLES
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def _year(request) -> int:
    value = request.GET.get("year")
    return parse_year(value) if value else timezone.localdate().year


def _attachment(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=xlsx.XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _problem_page(request, problem: Problem):
    return render(request, "chains/problem.html", {"problem": problem}, status=problem.status)


# ---- the leader's view and the figures ----------------------------------------------------------------------------


@page(*VIEW_ROLES)
@require_GET
def board(request):
    try:
        year = _year(request)
    except Invalid as problem:
        return _problem_page(request, problem)
    return render(request, "chains/board.html", {"rows": selectors.board(request.actor, year), "year": year})


def _date(value, field: str, default: dt.date) -> dt.date:
    return services.clean_date(value, field, "日期") if value else default


@page(*VIEW_ROLES)
@require_GET
def investment(request):
    actor = request.actor
    today = timezone.localdate()
    try:
        start = _date(request.GET.get("start"), "start", today.replace(month=1, day=1))
        end = _date(request.GET.get("end"), "end", today)
        if end < start:
            raise Invalid("结束日期不能早于开始日期", code="dates_reversed", field="end")
        chain = selectors.chain_get(actor, request.GET["chain"]) if request.GET.get("chain") else None
    except Invalid as problem:
        return _problem_page(request, problem)
    figures = selectors.investment_figures(actor, start, end, chain)
    return render(request, "chains/investment.html", {"f": figures, "chains": selectors.chains_for(actor)})


# ---- a chain ------------------------------------------------------------------------------------------------------


def _chain_page(request, chain, *, error: Problem | None = None, status: int = 200):
    actor = request.actor
    year = timezone.localdate().year
    if request.method == "GET" and request.GET.get("year"):
        year = parse_year(request.GET["year"])
    if request.method != "GET":
        chain.refresh_from_db(fields=["map_version"])  # a refused form: the map as it stands now
    keeps = selectors.can_keep(actor, chain)
    the_map = mapcache.payload(chain, year)
    now = timezone.now()
    signals = selectors.firm_signals(chain, now)
    lists = selectors.lists_of(chain, year)
    context = {
        "chain": chain,
        "year": year,
        "chiefs": list(chain.chiefs.all()),
        "parks": list(chain.parks.select_related("county")),
        "owners": list(chain.owners.select_related("enterprise")),
        "map": the_map,
        "suggestions": selectors.gap_analysis(chain, now, the_map.facts, signals),
        "kpis": selectors.chain_kpis(chain, year, the_map.nodes),
        "kpi_figures": selectors.kpi_figures(chain, year),
        "lists": lists,
        "list_years": (list_years := selectors.list_years(chain)),
        "other_years": [y for y in list_years if y != year],
        "list_types": [t for t, _ in lists],
        "pipeline": selectors.pipeline_by_stage(chain),
        "project_base": reverse("chains:project", args=[0]).removesuffix("0/"),  # one reverse, not one a project
        "cases": selectors.open_cases(chain, signals),
        "trips": selectors.trips_of(chain),
        "keeps": keeps,
        "error": error,
        "segments": Segment.choices,
    }
    context["suggestions_shown"] = context["suggestions"][: selectors.SUGGESTIONS_SHOWN]
    if keeps:
        context["accept"] = _accepted(request, context["suggestions"])
        context["suggestion_nodes"] = [g.node for g in context["suggestions"]]
        context["reported_kpis"] = selectors.reported_kpis()
        context["counties"] = counties_for(actor)
        context["units"] = handling_units()
        context["open_projects"] = selectors.open_projects(chain)
    return render(request, "chains/chain.html", context, status=status)


def _accepted(request, suggestions):
    """The suggestion the office chose to accept (`?accept=<node>`), to fill the target form with."""
    chosen = request.GET.get("accept") if request.method == "GET" else request.POST.get("node")
    return next((s for s in suggestions if str(s.node.pk) == str(chosen)), None)


@page(*VIEW_ROLES)
@require_GET
def node_firms(request, chain, node_id):
    """The firms at a node of the map, scoped like the chain page: a page of its own, or with `?part=1` the bare list
    the chain page loads in place."""
    chain = selectors.chain_get(request.actor, chain)
    node = selectors.node_get(request.actor, chain, node_id)
    context = {"chain": chain, "node": node, "firms": selectors.node_firms(node)}
    if request.GET.get("part") == "1":
        return render(request, "chains/_node_firms.html", context)
    return render(request, "chains/node_firms.html", context)


@page(*VIEW_ROLES)
@require_GET
def chain_health(request, chain):
    chain = selectors.chain_get(request.actor, chain)
    health = selectors.chain_health(chain, timezone.now())
    return render(request, "chains/health.html", {"chain": chain, "h": health})


def _report(request, chain):
    chain = selectors.chain_get(request.actor, chain)
    year = _year(request)
    return selectors.chain_report(request.actor, chain, year, timezone.now(), mapcache.payload(chain, year).facts)


@page(*VIEW_ROLES)
@require_GET
def chain_report(request, chain):
    """The printable chain report (产业链发展报告), in the city's wording."""
    try:
        report = _report(request, chain)
    except Invalid as problem:
        return _problem_page(request, problem)
    return render(request, "chains/report.html", {"r": report})


@page(*VIEW_ROLES)
@require_GET
def chain_report_xlsx(request, chain):
    try:
        report = _report(request, chain)
    except Invalid as problem:
        return _problem_page(request, problem)
    name = f"{report['chain'].name}产业链{report['year']}年报告.xlsx"
    return _attachment(importing.export_report(report), name)


@page(*VIEW_ROLES)
@require_GET
def chain_detail(request, chain):
    try:
        chain = selectors.chain_get(request.actor, chain)
        return _chain_page(request, chain)
    except Invalid as problem:
        return _problem_page(request, problem)


def _chain_post(action):
    """A form of the chain page: on success back to the page (at the form's anchor), on a refusal the page again with
    the message and the status (422, 409), nothing written."""

    def view(request, chain):
        chain = selectors.chain_get(request.actor, chain)
        try:
            done, anchor = action(request, chain)
        except Invalid as problem:
            return _chain_page(request, chain, error=problem, status=problem.status)
        except Problem as problem:
            if problem.status in (403, 404):
                raise
            return _chain_page(request, chain, error=problem, status=problem.status)
        messages.success(request, done)
        return redirect(reverse("chains:chain", args=[chain.code]) + anchor)

    view.__name__ = action.__name__
    return page(*VIEW_ROLES)(require_POST(view))


def _node_add(request, chain):
    p = request.POST
    node = services.node_add(request.actor, chain, name=p.get("name"), segment=p.get("segment"), parent=p.get("parent"))
    return f"已添加节点“{node.name}”", "#map"


def _firm_add(request, chain):
    p = request.POST
    firm = services.firm_add(
        request.actor, chain, p.get("node"), name=p.get("name", ""), uscc=p.get("uscc", ""), place=p.get("place", "")
    )
    return f"已添加企业“{firm.name}”", "#map"


def _entry_add(request, chain):
    p = request.POST
    entry = services.entry_add(
        request.actor,
        chain,
        list_type=p.get("list_type"),
        year=p.get("year"),
        name=p.get("name"),
        uscc=p.get("uscc", ""),
        node=p.get("node"),
        note=p.get("note", ""),
    )
    return f"已加入{entry.year}年{entry.list_type.name}", "#lists"


def _project_add(request, chain):
    fields = ("pipeline", "name", "target_firm", "uscc", "node", "county", "responsible_unit")
    project = services.project_create(request.actor, chain, {k: request.POST.get(k, "") for k in fields})
    return f"已登记项目“{project.name}”（{project.stage.name}）", "#pipeline"


def _trip_add(request, chain):
    p = request.POST
    data = {k: p.get(k, "") for k in ("went_on", "city", "who", "met")}
    data["led_by_leader"] = p.get("led_by_leader") == "1"
    data["projects"] = p.getlist("projects")
    trip = services.trip_record(request.actor, chain, data)
    return f"已记录{trip.went_on:%Y-%m-%d}赴{trip.city}招商", "#trips"


def _map_import(request, chain):
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid("请选择要导入的 .xlsx 文件", code="file_required", field="file")
    if upload.size > IMPORT_MAX_BYTES:
        raise Invalid("文件不能超过10MB", code="file_too_large", field="file")
    result = importing.import_map(request.actor, chain, upload.read())
    if result.rejects:
        first = result.rejects[0]
        raise Invalid(f"{result.summary()}；第{first['row']}行：{first['reason']}", code="rows_rejected", field="file")
    return result.summary(), "#map"


def _lists_copy(request, chain):
    p = request.POST
    n = services.lists_carry_over(request.actor, chain, from_year=p.get("from_year"), to_year=p.get("to_year"))
    return f"已沿用{p.get('from_year')}年清单{n}条至{p.get('to_year')}年", "#lists"


def _kpi_record(request, chain):
    p = request.POST
    record = services.kpi_record(
        request.actor, chain, kpi=p.get("kpi"), year=p.get("year"), value=p.get("value"), note=p.get("note", "")
    )
    return f"已填报{record.year}年{record.definition.name}", f"?year={record.year}#kpis"


node_add = _chain_post(_node_add)
firm_add = _chain_post(_firm_add)
entry_add = _chain_post(_entry_add)
project_add = _chain_post(_project_add)
trip_add = _chain_post(_trip_add)
map_import = _chain_post(_map_import)
lists_copy = _chain_post(_lists_copy)
kpi_record = _chain_post(_kpi_record)
LISTS_REJECTS = "chains_lists_rejects"


@page(*VIEW_ROLES)
@require_POST
def lists_import(request, chain):
    """A year's lists from .xlsx: the result page with the rejected rows (downloadable), or the chain page with the
    refusal when the file as a whole is refused."""
    chain = selectors.chain_get(request.actor, chain)
    try:
        data = tables.uploaded(request.FILES.get("file"), max_bytes=IMPORT_MAX_BYTES)
        result = importing.import_lists(request.actor, chain, request.POST.get("year"), data)
    except Invalid as problem:
        return _chain_page(request, chain, error=problem, status=problem.status)
    request.session[LISTS_REJECTS] = result.rejects
    return render(request, "chains/import_result.html", {"chain": chain, "result": result})


@page(*VIEW_ROLES)
@require_GET
def lists_rejects(request, chain):
    chain = selectors.chain_get(request.actor, chain)
    return _attachment(importing.rejects_workbook(request.session.get(LISTS_REJECTS, [])), "清单退回行.xlsx")


@page(*VIEW_ROLES)
@require_GET
def lists_export(request, chain):
    chain = selectors.chain_get(request.actor, chain)
    try:
        year = _year(request)
    except Invalid as problem:
        return _problem_page(request, problem)
    return _attachment(importing.export_lists(chain, year), f"{chain.name}产业链{year}年清单.xlsx")


@page(*VIEW_ROLES)
@require_GET
def map_export(request, chain):
    chain = selectors.chain_get(request.actor, chain)
    return _attachment(importing.export_map(chain), f"{chain.name}产业链图谱.xlsx")


# ---- a project ----------------------------------------------------------------------------------------------------


def _project_page(request, project, *, error: Problem | None = None, status: int = 200):
    actor = request.actor
    keeps = selectors.can_keep(actor, project.chain)
    context = {
        "p": project,
        "events": list(project.events.select_related("actor")),
        "trips": list(project.trips.all()),
        "cases": list(selectors.project_cases(project)),
        "notices": list(project.notices.select_related("unit")[:20]),
        "keeps": keeps,
        "next_stages": selectors.next_stages(project) if keeps else [],
        "categories": Category.objects.filter(
            category_city_q(project.county.city_id), is_active=True, is_public=True
        ).order_by("code")
        if keeps
        else [],
        "can_patronage": project.patronage_project_id is None and can_assign_patronage(actor, project.county),
        "error": error,
        "today": timezone.localdate(),
    }
    if context["can_patronage"]:
        context["units"] = handling_units()
    return render(request, "chains/project.html", context, status=status)


@page(*VIEW_ROLES)
@require_GET
def project_detail(request, project_id):
    return _project_page(request, selectors.project_get(request.actor, project_id))


def _project_post(action):
    def view(request, project_id):
        project = selectors.project_get(request.actor, project_id)
        try:
            done = action(request, project)
        except Problem as problem:
            if problem.status in (403, 404):
                raise
            project = selectors.project_get(request.actor, project_id)
            return _project_page(request, project, error=problem, status=problem.status)
        messages.success(request, done)
        return redirect("chains:project", project_id=project.pk)

    view.__name__ = action.__name__
    return page(*VIEW_ROLES)(require_POST(view))


def _advance(request, project):
    p = request.POST
    project = services.project_advance(
        request.actor, project.pk, stage=p.get("stage"), on=p.get("on"), amount=p.get("amount")
    )
    return f"已推进至“{project.stage.name}”"


def _case(request, project):
    case = services.problem_to_case(
        request.actor,
        project.pk,
        category=request.POST.get("category", ""),
        description=request.POST.get("description"),
    )
    return f"已转为吹哨工单 {case.number}"


def _patronage(request, project):
    p = request.POST
    patronage = services.project_patronage(
        request.actor, project.pk, leader=p.get("leader"), lead_unit=p.get("lead_unit"), started_on=p.get("started_on")
    )
    return f"已纳入领导包保（{patronage.leader}）"


project_advance = _project_post(_advance)
project_case = _project_post(_case)
project_patronage = _project_post(_patronage)
